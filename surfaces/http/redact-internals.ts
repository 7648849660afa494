import { homedir, tmpdir } from 'node:os';

/** Where a server keeps what a client has no business knowing the location of. */
const INTERNAL_ROOTS = [...new Set([process.cwd(), tmpdir(), homedir(), '/tmp', '/var', '/home', '/root', '/usr', '/opt', '/srv', '/mnt', '/etc', '/work', '/private'])]
  .filter((root) => root.length > 1)
  .map((root) => root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
/** An absolute path (or file URL) under one of those roots, or anywhere inside node_modules. */
const INTERNAL_PATH = new RegExp(
  `(?:file://)?(?:(?:${INTERNAL_ROOTS.join('|')})(?:/[^\\s'"\`()<>,;:]*)?|/(?:[^\\s'"\`()<>,;:/]+/)*node_modules/[^\\s'"\`()<>,;:]*)`,
  'g',
);
/** A stack frame line: `    at fn (file:line:col)`. */
const STACK_FRAME = /(?:^|\n)[ \t]+at [^\n]*:\d+:\d+\)?/g;

/** The warehouse adapters' wrapping, `DuckDB failed (<the SQL, ≤ 200 characters>): `, and DuckDB's `LINE 1: <SQL>` pointer. */
const ENGINE_SQL = /\b(?:DuckDB|ClickHouse) failed \([\s\S]{0,200}?\): /g;
const SQL_POINTER = /\n+LINE \d+:[^\n]*(?:\n[ \t]*\^)?/g;

/**
 * `text` as a client may read it: no stack frames, no SQL the server ran, and
 * every server path cut to its last segment (`/tmp/companyos-uploads/3f2a.csv`
 * becomes `3f2a.csv`), so a message still names the file without saying where
 * the server keeps it.
 */
export function redactInternals(text: string): string {
  return text
    .replace(STACK_FRAME, '')
    .replace(SQL_POINTER, '')
    .replace(ENGINE_SQL, '')
    .replace(INTERNAL_PATH, (path) => path.replace(/\/+$/, '').split('/').pop() || '[path]');
}
