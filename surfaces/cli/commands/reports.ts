import { resolve } from 'node:path';
import type { Command } from 'commander';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { buildSite, loadPages } from '../../reports/index.ts';
import { loadConfig, openLocalPlatform } from '../kit/index.ts';

export function registerReports(program: Command): void {
  const reports = program.command('reports').description('Evidence-style report pages (surfaces/reports/pages/ and each pack\'s pages/): markdown, named SQL blocks, charts rendered to SVG.');
  reports
    .command('build')
    .description(
      'Render every page to a static site: one HTML file per page (charts inline, no script, nothing fetched when viewing) and each query as CSV. ' +
        'The running platform serves the same pages live at /reports/… with fresh data.',
    )
    .option('--out <dir>', 'where the site goes', 'reports/site')
    .option('--tenant <tenant>', 'whose data the pages show', TENANT_ZERO)
    .option('--pages <dir>', 'only the pages of this folder (markdown files, any depth); default: the platform\'s and every pack\'s')
    .action(async (options: { out: string; tenant: string; pages?: string }) => {
      const platform = await openLocalPlatform(loadConfig());
      try {
        await platform.flushEvents();
        const scopes = { scope: platform.scope(options.tenant), stateScope: platform.stateScope(options.tenant) };
        const report = await buildSite(scopes, resolve(options.out), await loadPages(options.pages ? resolve(options.pages) : undefined));
        for (const page of report.pages) {
          console.log(`${page.problems.length ? 'FAIL' : 'OK  '} ${page.slug} (${page.seconds.toFixed(2)} s) → ${page.file}`);
          for (const problem of page.problems) console.log(`     ${problem}`);
        }
        const failed = report.pages.filter((p) => p.problems.length > 0).length;
        console.log(`${report.pages.length} pages for ${options.tenant} in ${resolve(options.out)}${failed ? `; ${failed} with problems` : ''}.`);
        if (failed) process.exitCode = 1;
      } finally {
        await platform.close();
      }
    });
}
