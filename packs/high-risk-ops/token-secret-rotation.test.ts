import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { JWT_SECRET_FILE, TokenAuthority, TokenKeyFile } from '../../platform/identity/index.ts';
import { parseOverlap } from './secret-rotation-governance.ts';
import { stateOptionsFor, TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { buildServer } from '../../surfaces/http/index.ts';

const PLATFORM = 'summit-internal';
const WHY = { category: 'security', text: 'the old token secret was in a leaked CI log' };
const SECRET = 'token-rotation-test-secret-long-enough-for-hs256';

describe('token-signing keys', () => {
  it('verify what a retired key signed during its overlap only, the cache included', async () => {
    const authority = new TokenAuthority(SECRET);
    const old = await authority.mint({ tenant: 'acme', roles: ['reader'] });
    await authority.verify(`Bearer ${old}`);
    authority.rotate('a-new-secret-that-is-also-long-enough-for-hs256', new Date(Date.now() + 150));
    expect((await authority.verify(`Bearer ${old}`)).tenant).toBe('acme');
    const fresh = await authority.mint({ tenant: 'acme', roles: ['reader'] });
    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).kid).toBe(authority.keyId);
    expect((await authority.verify(`Bearer ${fresh}`)).tenant).toBe('acme');
    // The overlap ends: the old token is refused, though it was verified (and remembered) during it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(authority.verify(`Bearer ${old}`)).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
    expect((await authority.verify(`Bearer ${fresh}`)).tenant).toBe('acme');
    // A key rotated out with no overlap stops at once.
    authority.rotate('a-third-secret-that-is-also-long-enough-for-hs256', new Date(Date.now() - 1));
    await expect(authority.verify(`Bearer ${fresh}`)).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
  });
});

describe('a rotation\'s overlap', () => {
  it('is 0 to 10080 minutes, 1440 unless given, and nothing else', () => {
    expect(parseOverlap('token-secret-rotation', undefined)).toEqual({ overlap_minutes: 1440 });
    expect(parseOverlap('token-secret-rotation', { overlap_minutes: 0 })).toEqual({ overlap_minutes: 0 });
    for (const bad of [{ overlap_minutes: -1 }, { overlap_minutes: 10_081 }, { overlap_minutes: 1.5 }, { overlap_minutes: '60' }, { overlap: 60 }, [60], 'x']) {
      expect(() => parseOverlap('token-secret-rotation', bad), JSON.stringify(bad)).toThrow(/overlap_minutes/);
    }
  });
});

describe.each(TEST_ENGINES)('High-Risk Ops: token secret rotation on %s', (engine) => {
  const db = useWarehouse(engine);

  it('rotates the secret through a governed run; live tokens keep working through the overlap, also after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'token-rotation-'));
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    await writeFile(join(dataDir, JWT_SECRET_FILE), `${SECRET}\n`);
    const authority = new TokenAuthority(SECRET);
    const app = await buildServer({ warehouse: db.warehouse, state: stateOptionsFor(db.warehouse), tokens: authority, tokenKeys: new TokenKeyFile(authority, dataDir), logLevel: 'silent' });
    onTestFinished(() => app.close());
    const [ops, lead, sre] = await Promise.all([
      authority.mint({ tenant: PLATFORM, roles: ['operator'], subject: 'ops' }), authority.mint({ tenant: PLATFORM, roles: ['approver'], subject: 'lead' }),
      authority.mint({ tenant: PLATFORM, roles: ['operator'], subject: 'sre' }),
    ]);
    const call = (token: string, url: string, payload?: object) => app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const before = authority.keyId;

    const run = (await call(ops, '/v1/workflows/types/token-secret-rotation/runs', { rationale: WHY, params: { overlap_minutes: 60 } })).json();
    expect(run.status, JSON.stringify(run)).toBe('awaiting-approval');
    await call(lead, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY });
    const done = (await call(sre, `/v1/workflows/runs/${run.run_id}/execute`)).json();
    expect(done.status, JSON.stringify(done.transitions.at(-1))).toBe('succeeded');
    expect(authority.keyId).not.toBe(before);
    expect(authority.overlapping.map((k) => k.kid)).toEqual([before]);
    // The CLI mints with the file's secret: the new one.
    expect((await readFile(join(dataDir, JWT_SECRET_FILE), 'utf8')).trim()).not.toBe(SECRET);

    // A token from before still works; so does one of the new secret; after a restart too.
    expect((await app.inject({ method: 'GET', url: '/v1/workflows/runs', headers: { authorization: `Bearer ${ops}` } })).statusCode).toBe(200);
    const restarted = new TokenAuthority((await readFile(join(dataDir, JWT_SECRET_FILE), 'utf8')).trim());
    await new TokenKeyFile(restarted, dataDir).load();
    expect((await restarted.verify(`Bearer ${ops}`)).subject).toBe('ops');
    expect(restarted.keyId).toBe(authority.keyId);
  });
});
