import { afterEach, describe, expect, it } from 'vitest';
import { killAllCliProcesses, runCli, startPlatform, TempDirs } from './support/cli.ts';

const temp = new TempDirs();
afterEach(async () => {
  await killAllCliProcesses();
  await temp.removeAll();
});

describe('the CLI\'s side door around a governed action', () => {
  it('`companyos ledger rotate-key` in local mode is refused, rotates nothing, and is recorded as a policy violation', { timeout: 120_000 }, async () => {
    const dataDir = await temp.make();
    expect((await runCli(['migrate'], { dataDir })).code).toBe(0);
    const refused = await runCli(['ledger', 'rotate-key'], { dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ledger\.rotate_key runs only as a governed ledger-key-rotation run/);
    expect(refused.stdout).not.toMatch(/Signing with/);
    const events = await runCli(['events', '--tenant', 'summit-internal', '--type', 'companyos.policy.violation', '--json'], { dataDir });
    expect(events.code, events.stderr).toBe(0);
    const [violation] = events.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(violation.data).toMatchObject({ action: 'ledger.rotate_key', governed_by: 'ledger-key-rotation', channel: 'cli-local', principal: 'summit-internal/companyos-cli' });
  });

  it('against the running platform it is refused the same way, through the API', { timeout: 120_000 }, async () => {
    const dataDir = await temp.make();
    const platform = await startPlatform(dataDir, ['--no-seed']);
    try {
      const refused = await runCli(['ledger', 'rotate-key'], { dataDir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/WORKFLOW_REQUIRED|runs only as a governed ledger-key-rotation run/);
      const events = await runCli(['events', '--tenant', 'summit-internal', '--type', 'companyos.policy.violation', '--json'], { dataDir });
      expect(events.stdout).toMatch(/"channel":"http"/);
      expect(events.stdout).toMatch(/"action":"ledger.rotate_key"/);
    } finally {
      await platform.stop('SIGTERM');
    }
  });
});
