import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllCliProcesses, runCli, TempDirs } from './support/cli.ts';

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
    expect(built.stdout).toMatch(/1\/1 OK {4}stg_events \(view\)/);
    expect(built.stdout).toContain('PASS=1 ERROR=0 SKIP=0');
    const results = JSON.parse(await readFile(join(target, 'run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
    expect(results.results).toEqual([expect.objectContaining({ unique_id: 'model.companyos.stg_events', status: 'success' })]);

    const broken = fileURLToPath(new URL('../transforms/fixtures/broken/', import.meta.url));
    const failed = await runCli(['build', '--models', broken, '--target', target], { dataDir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('5 problems in the models');
    expect(failed.stderr).toContain('ref cycle: a → b → a');
    expect(failed.stderr).not.toContain('    at ');
  });
});
