import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
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
    expect(built.stdout).toContain('14 of 14 models. PASS=14 ERROR=0 SKIP=0');
    const results = JSON.parse(await readFile(join(target, 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
    expect(results.results.map((r) => r.unique_id)).toEqual(expect.arrayContaining(['model.companyos.stg_events', 'model.companyos.meter_policy_decisions_total']));

    const broken = fileURLToPath(new URL('../transforms/fixtures/broken/', import.meta.url));
    const failed = await runCli(['build', '--models', broken, '--target', target], { dataDir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('5 problems in the models');
    expect(failed.stderr).toContain('ref cycle: a → b → a');
    expect(failed.stderr).not.toContain('    at ');
  });

  it('builds the meters of the seeded demo data through the running platform', { timeout: 90_000 }, async () => {
    const dataDir = await temp.make();
    const platform = await startPlatform(dataDir);
    try {
      const built = await runCli(['build', '-s', '+tag:meters'], { dataDir, timeoutMs: 60_000 });
      expect(built.code, built.stderr).toBe(0);
      expect(built.stdout).toContain(`build on the running platform at ${platform.url}`);
      expect(built.stdout).toContain('14 of 14 models. PASS=14 ERROR=0 SKIP=0');
      expect(built.stdout).toMatch(/OK {4}meter_policy_decisions_total \(table built, \d+ rows/);
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
});
