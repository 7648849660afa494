/** `npm run openapi:lint`: the served document validated and linted, one line a problem; exits 1 on any. */
import { renderOpenApiDocument } from './openapi-document.ts';
import { formatProblem, lintOpenApi } from './openapi-lint.ts';

const problems = await lintOpenApi(await renderOpenApiDocument());
for (const problem of problems) console.log(formatProblem(problem));
console.log(problems.length ? `${problems.length} problems` : 'valid OpenAPI 3.1; no lint problems');
if (problems.length) process.exitCode = 1;
