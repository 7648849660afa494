import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { toCsv } from '../../platform/ingest/index.ts';
import { PACKS } from '../../packs/index.ts';
import { parsePage, type ReportPage } from './page-file.ts';
import { renderPage, type RenderContext } from './render-page.ts';

/** The platform's own pages (leadership, lineage); packs bring theirs (`Pack.pages`). */
export const PAGES_DIR = new URL('./pages/', import.meta.url).pathname;

/** A folder of pages, their slugs prefixed with `under` (`finops/`). */
export interface PageSource {
  dir: string;
  under?: string;
}

/** The platform's pages and every registered pack's. */
export function pageSources(): PageSource[] {
  return [{ dir: PAGES_DIR }, ...PACKS.flatMap((pack) => (pack.pages ? [pack.pages] : []))];
}

/** Every page of the sources (`*.md`, any depth), by slug; two pages with one slug are refused. */
export async function loadPages(sources: string | readonly PageSource[] = pageSources()): Promise<Map<string, ReportPage>> {
  const pages = new Map<string, ReportPage>();
  const files = new Map<string, string>();
  for (const { dir, under = '' } of typeof sources === 'string' ? [{ dir: sources }] : sources) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.md')) continue;
      const path = join(entry.parentPath, entry.name);
      const slug = under + relative(dir, path).replace(/\.md$/, '').split('\\').join('/');
      const file = relative(process.cwd(), path);
      if (files.has(slug)) throw new Error(`two report pages are /reports/${slug}: ${files.get(slug)} and ${file}`);
      files.set(slug, file);
      pages.set(slug, parsePage(slug, await readFile(path, 'utf8'), file));
    }
  }
  return new Map([...pages].sort(([a], [b]) => a.localeCompare(b)));
}

export function navigation(pages: Map<string, ReportPage>): Map<string, string> {
  return new Map([...pages].map(([slug, page]) => [slug, page.title]));
}

export interface SiteReport {
  pages: { slug: string; file: string; seconds: number; problems: string[] }[];
}

/**
 * A static site: one HTML file per page (charts inline as SVG, no script, no
 * network needed to view it) and each query's rows as CSV beside it.
 */
export async function buildSite(scopes: Pick<RenderContext, 'scope' | 'stateScope'>, outDir: string, pages?: Map<string, ReportPage>): Promise<SiteReport> {
  const all = pages ?? (await loadPages());
  const nav = navigation(all);
  const report: SiteReport = { pages: [] };
  for (const [slug, page] of all) {
    const started = performance.now();
    const from = posix.dirname(slug);
    const context: RenderContext = {
      ...scopes,
      nav,
      href: (to) => `${posix.relative(from, to)}.html`,
      csvHref: (to, query) => `${posix.relative(from, `${to}/${query}`)}.csv`,
    };
    const rendered = await renderPage(page, context);
    const file = join(outDir, `${slug}.html`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, rendered.html);
    for (const [query, rows] of rendered.results) {
      await mkdir(join(outDir, slug), { recursive: true });
      await writeFile(join(outDir, slug, `${query}.csv`), toCsv(rows));
    }
    report.pages.push({ slug, file, seconds: (performance.now() - started) / 1000, problems: rendered.problems });
  }
  return report;
}
