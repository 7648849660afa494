import { afterAll, describe, expect, it } from 'vitest';
import { runCli, TempDirs } from '../../../test/support/cli.ts';

describe('companyos token', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('refuses a --ttl beyond the longest lifetime with a sentence that names the limit and its setting', { timeout: 120_000 }, async () => {
    const dataDir = await dirs.make();
    const refused = await runCli(['token', '--tenant', 'acme', '--role', 'reader', '--ttl', '31d'], { dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('--ttl 31d is longer than tokens may live here (at most 30d; COMPANYOS_MAX_TOKEN_TTL sets it).');
    const shorter = await runCli(['token', '--tenant', 'acme', '--role', 'reader', '--ttl', '2h'], { dataDir, env: { COMPANYOS_MAX_TOKEN_TTL: '1h' } });
    expect(shorter.stderr).toContain('(at most 1h;');
    const minted = await runCli(['token', '--tenant', 'acme', '--role', 'reader', '--ttl', '30d'], { dataDir });
    expect(minted.code).toBe(0);
    expect(minted.stdout.trim()).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
