import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../kernel/warehouse/index.ts';
import { killAllCliProcesses, runCli, startPlatform, TempDirs } from './support/cli.ts';

describe('companyos build, end to end', () => {
  const temp = new TempDirs();
  afterEach(async () => {
    await killAllCliProcesses();
    await temp.removeAll();
  });

  it('builds the shipped models, writes dbt artifacts, and reports every compile problem at once', { timeout: 60_000 }, async () => {
    const dataDir = await temp.make();
    const target = join(dataDir, 'target');
    const built = await runCli(['build', '--target', target], { dataDir });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/OK {4}stg_events \(view created, 2\/2 tests pass\)/);
    expect(built.stdout).toContain('31 of 31 models. PASS=31 ERROR=0 SKIP=0');
    const results = JSON.parse(await readFile(join(target, 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
    expect(results.results.map((r) => r.unique_id)).toEqual(expect.arrayContaining(['model.companyos.stg_events', 'model.companyos.meter_policy_decisions_total']));

    const broken = fileURLToPath(new URL('../platform/transforms/fixtures/broken/', import.meta.url));
    const failed = await runCli(['build', '--models', broken, '--target', target], { dataDir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('7 problems in the models');
    expect(failed.stderr).toContain('ref cycle: a → b → a');
    expect(failed.stderr).not.toContain('    at ');
  });

  it('simulates a company, imports its bill and builds: exact reconciliation and accuracy of at least 99%', { timeout: 120_000 }, async () => {
    const dataDir = await temp.make();
    const out = join(dataDir, 'simulation');
    const simulated = await runCli(['simulate', '--tenants', '8', '--days', '20', '--seed', '5', '--out', out], { dataDir, timeoutMs: 60_000 });
    expect(simulated.code, simulated.stderr).toBe(0);
    expect(simulated.stdout).toMatch(/Simulated 8 tenants × 20 days/);
    const imported = await runCli(['bills', 'import', join(out, 'bill.csv')], { dataDir });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/bill\.csv: focus, \d+ rows → loaded \d+, parked 0/);
    const again = await runCli(['bills', 'import', join(out, 'bill.csv')], { dataDir });
    expect(again.stdout).toContain('already imported as batch');
    const built = await runCli(['build', '--target', join(dataDir, 'target')], { dataDir, timeoutMs: 60_000 });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/FinOps: 2 of 2 invoices reconcile exactly/);
    const accuracy = /attribution accuracy ([\d.]+)%/.exec(built.stdout);
    expect(Number(accuracy?.[1])).toBeGreaterThanOrEqual(99);
    const whatIf = await runCli(['pricing', 'simulate', '--period', '2026-10', '--move-tier', 'sim-tenant-001=gold', '--exclude-pack', 'revops'], { dataDir });
    expect(whatIf.code, whatIf.stderr).toBe(0);
    expect(whatIf.stdout).toMatch(/base pro\/gold +0 → 1 /);
    expect(whatIf.stdout).toMatch(/pack revops +0 → 8 /);
    expect(whatIf.stdout).toMatch(/^Total 2026-10: revenue [\d.]+ → [\d.]+ \(\+\d+\.\d\d\)/m);
    const invoiced = await runCli(['invoices', 'generate', '--period', '2026-10'], { dataDir });
    expect(invoiced.code, invoiced.stderr).toBe(0);
    expect(invoiced.stdout).toContain('8 invoices for 2026-10; no webhook configured');
    const refused = await runCli(['bills', 'import', join(out, 'events.ndjson')], { dataDir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('events.ndjson');
    expect(refused.stderr).not.toContain('    at ');

    // Working on the warehouse directly is no side door: each privileged command was decided and receipted.
    const warehouse = await DuckDBWarehouse.open(join(dataDir, 'warehouse.duckdb'));
    try {
      const receipts = await warehouse.query<{ entry: string }>("SELECT entry FROM ledger_entries WHERE tenant_id = 'summit-internal' ORDER BY log_index");
      const actions = receipts.map((r) => JSON.parse(Buffer.from(JSON.parse(r.entry).payload, 'base64').toString('utf8')).predicate);
      expect(actions.map((p: { action: string }) => p.action)).toEqual(['import_bills', 'import_bills', 'import_bills', 'run_transforms', 'generate_invoices', 'import_bills']);
      expect(new Set(actions.map((p: { actor: string }) => p.actor))).toEqual(new Set(['summit-internal/companyos-cli']));
      const [decisions] = await warehouse.query<{ n: number }>("SELECT count(*) AS n FROM policy_decisions WHERE principal = 'summit-internal/companyos-cli' AND decision = 'allow'");
      expect(decisions!.n).toBe(6);
    } finally {
      await warehouse.close();
    }
  });

  it('builds the meters of the seeded demo data through the running platform', { timeout: 150_000 }, async () => {
    const dataDir = await temp.make();
    // A seeded start (metering, FinOps, a week of governed runs with a DR drill, RevOps) takes about 35 s on a quiet 2-core machine.
    const platform = await startPlatform(dataDir, [], { timeoutMs: 90_000 });
    try {
      const built = await runCli(['build', '-s', '+tag:meters'], { dataDir, timeoutMs: 60_000 });
      expect(built.code, built.stderr).toBe(0);
      expect(built.stdout).toContain(`build on the running platform at ${platform.url}`);
      expect(built.stdout).toContain('15 of 31 models. PASS=15 ERROR=0 SKIP=0');
      // `start` built everything once already: this build merges what is new.
      expect(built.stdout).toMatch(/OK {4}meter_policy_decisions_total \((table built|merged), \d+ rows/);
      const refused = await fetch(`${platform.url}/v1/transforms/build`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${(await runCli(['token', '--tenant', 'acme', '--role', 'admin'], { dataDir })).stdout.trim()}` },
        body: '{}',
      });
      expect(refused.status).toBe(403);
    } finally {
      await platform.stop('SIGTERM');
    }
  });

  // Eleven CLI processes, each paying tsx's start-up: 77 s on a CI run of 2e23048, over 90 s on one of 454561a.
  it('seeds, runs, tests and schedules from the CLI, recording every build', { timeout: 180_000 }, async () => {
    const dataDir = await temp.make();
    const target = join(dataDir, 'target');
    const commands = ['build', 'run', 'test', 'seed', 'ls', 'schedule'];
    const helps = await Promise.all(commands.map((command) => runCli([command, '--help'], { dataDir, timeoutMs: 60_000 })));
    helps.forEach((help, i) => expect(help.stdout, commands[i]).toMatch(/Usage: companyos /));
    const seeded = await runCli(['seed', '--target', target], { dataDir });
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/OK {4}packs \(seed loaded, 3 rows\)/);
    const tested = await runCli(['test', '-s', 'stg_events', '--target', target], { dataDir });
    expect(tested.code).toBe(1);
    expect(tested.stdout).toContain('stg_events (not built yet');
    const ran = await runCli(['run', '-s', '+meter_notary_calls_total', '--target', target], { dataDir });
    expect(ran.stdout).toContain('2 of 31 models. PASS=2 ERROR=0 SKIP=0');
    const scheduled = await runCli(['schedule', '--once', '--target', target], { dataDir, timeoutMs: 60_000 });
    expect(scheduled.code, scheduled.stderr).toBe(0);
    // The seed `seed` loaded is left as it is.
    expect(scheduled.stdout).toMatch(/models: Done in .*31 of 31 models\. PASS=30 ERROR=0 SKIP=0 NO-OP=1 /);
    const history = await runCli(['schedule', '--history'], { dataDir });
    expect(history.stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(1, 3))).toEqual([
      ['schedule', 'success'],
      ['cli', 'success'],
      ['cli', 'error'],
      ['cli', 'success'],
    ]);
  });
});
