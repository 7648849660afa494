import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatOpenApiDocument, renderOpenApiDocument } from '../../http/index.ts';

export function registerOpenApi(program: Command): void {
  program
    .command('openapi')
    .description('Print the API\'s OpenAPI 3.1 document, generated from the route schemas (the one served at /openapi.json; `npm run openapi:lint` lints it).')
    .option('--out <file>', 'write it to this file instead (the committed contract is surfaces/http/openapi.json)')
    .action(async (options: { out?: string }) => {
      const text = formatOpenApiDocument(await renderOpenApiDocument());
      if (!options.out) return void process.stdout.write(text);
      await writeFile(options.out, text);
      console.log(`wrote ${options.out}`);
    });
}
