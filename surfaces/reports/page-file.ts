import { parse } from 'yaml';
import { unsupportedSyntax } from './page-syntax.ts';

/** A report page as an analyst writes it for Evidence: markdown, named ```sql blocks, components. */
export interface ReportPage {
  /** `finops/tenant-costs` for packs/finops/pages/tenant-costs.md (the finops pack's pages are under `finops/`). */
  slug: string;
  title: string;
  description?: string;
  /** Query name → SQL, in page order. */
  queries: Map<string, string>;
  /** The markdown with the SQL blocks taken out: prose and component tags. */
  body: string;
  /** Evidence syntax the renderer does not support, as `file:line: construct: message`; such a page is not rendered. */
  syntaxProblems: string[];
}

export class ReportPageError extends Error {
  override readonly name = 'ReportPageError';
}

const FRONT_MATTER = /^---\n([\s\S]*?)\n---\n/;
const SQL_BLOCK = /^```sql[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;

/** `file` names the page in syntax problems (default `<slug>.md`). */
export function parsePage(slug: string, text: string, file = `${slug}.md`): ReportPage {
  const syntaxProblems = unsupportedSyntax(text).map((p) => `${file}:${p.line}: ${p.construct}: ${p.message}`);
  const front = FRONT_MATTER.exec(text);
  const meta = (front ? parse(front[1]!) : {}) as { title?: unknown; description?: unknown } | null;
  let body = front ? text.slice(front[0].length) : text;
  const queries = new Map<string, string>();
  body = body.replace(SQL_BLOCK, (_, name: string, sql: string) => {
    if (queries.has(name)) throw new ReportPageError(`${slug}.md: two queries are named ${name}.`);
    queries.set(name, sql.trim().replace(/;\s*$/, ''));
    return '';
  });
  const heading = /^#\s+(.+)$/m.exec(body)?.[1];
  const title = typeof meta?.title === 'string' ? meta.title : (heading ?? slug);
  return { slug, title, description: typeof meta?.description === 'string' ? meta.description : undefined, queries, body, syntaxProblems };
}
