import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllCliProcesses, runCli, startPlatform, TempDirs } from './support/cli.ts';

/**
 * Every call the CLI makes to a running platform goes through the generated SDK
 * (surfaces/cli/kit/platform-client.ts, HttpPlatformClient): one flow touches each of them —
 * ingest and true costs (simulate), importBill, build and finopsSummary,
 * simulatePricing, generateInvoices, buildRuns, events, quarantine — and an
 * error answer comes back as its catalogue code.
 */
describe('the CLI through a running platform (the TypeScript SDK)', () => {
  const temp = new TempDirs();
  afterEach(async () => {
    await killAllCliProcesses();
    await temp.removeAll();
  });

  it('simulates, imports a bill, builds, prices, invoices and reads back, all over the API', { timeout: 240_000 }, async () => {
    const dataDir = await temp.make();
    const out = join(dataDir, 'simulation');
    const platform = await startPlatform(dataDir, ['--no-seed'], { timeoutMs: 120_000 });
    const via = `the running platform at ${platform.url}`;
    const period = '2026-10';
    const run = async (args: string[], timeoutMs = 60_000) => {
      const result = await runCli(args, { dataDir, timeoutMs });
      expect(result.stderr, `companyos ${args.join(' ')}`).not.toContain('    at ');
      return result;
    };
    try {
      // ingest (NDJSON body) and recordTrueCosts
      const simulated = await run(['simulate', '--tenants', '4', '--days', '10', '--seed', '5', '--start', `${period}-01`, '--out', out]);
      expect(simulated.code, simulated.stderr).toBe(0);
      expect(simulated.stdout).toContain(`into ${via}`);

      // importBill: the file's bytes as the body
      const imported = await run(['bills', 'import', join(out, 'bill.csv')]);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toMatch(/bill\.csv: focus, \d+ rows → loaded \d+, parked 0 .* via the running platform/);
      const again = await run(['bills', 'import', join(out, 'bill.csv')]);
      expect(again.stdout).toContain('already imported as batch');

      // build, then finopsSummary
      const built = await run(['build'], 120_000);
      expect(built.code, built.stderr).toBe(0);
      expect(built.stdout).toContain(`build on ${via}`);
      expect(built.stdout).toMatch(/PASS=\d+ ERROR=0 SKIP=0/);
      expect(built.stdout).toMatch(/FinOps: (\d+) of \1 invoices reconcile exactly/);
      expect(built.stdout).toMatch(/attribution accuracy [\d.]+% against simulation /);

      // buildRuns
      const history = await run(['schedule', '--history']);
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).toMatch(/ api +success /);

      // simulatePricing and generateInvoices
      const whatIf = await run(['pricing', 'simulate', '--period', period, '--exclude-pack', 'revops']);
      expect(whatIf.code, whatIf.stderr).toBe(0);
      expect(whatIf.stdout).toMatch(new RegExp(`^Total ${period}: revenue`, 'm'));
      const invoiced = await run(['invoices', 'generate', '--period', period]);
      expect(invoiced.code, invoiced.stderr).toBe(0);
      expect(invoiced.stdout).toContain(`invoices for ${period}; no webhook configured via ${via}`);

      // events and quarantine
      const events = await run(['events', '--tenant', 'sim-tenant-001', '--json', '--limit', '5']);
      expect(events.code, events.stderr).toBe(0);
      const lines = events.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toHaveLength(5);
      for (const event of lines) expect(event).toMatchObject({ specversion: '1.0', tenantid: 'sim-tenant-001' });
      const quarantine = await run(['quarantine', '--json']);
      expect(quarantine.code, quarantine.stderr).toBe(0);

      // An error answer (409 NOTHING_TO_INVOICE): the platform's sentence, one line, no stack.
      const refused = await run(['invoices', 'generate', '--period', '1999-01']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${platform.url}: `);
    } finally {
      await platform.stop('SIGTERM');
    }
  });
});
