import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signEnvelope, verifyEnvelope } from './dsse.ts';
import { formatVerifierKey } from './keys.ts';
import { Keyring } from './keyring.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-keys-'));
  dirs.push(dir);
  return join(dir, 'keys');
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('Keyring', () => {
  it('creates a first key on disk and loads it again', async () => {
    const dir = await tempDir();
    const ring = await Keyring.open(dir, 'companyos-ledger');
    const id = ring.active.keyId;
    expect((await readdir(dir)).sort()).toEqual([`${id}.key`, `${id}.pub`, 'keyring.json']);
    expect((await stat(join(dir, `${id}.key`))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, `${id}.pub`), 'utf8')).toBe(`${formatVerifierKey(ring.active)}\n`);
    const state = JSON.parse(await readFile(join(dir, 'keyring.json'), 'utf8'));
    expect(state).toMatchObject({ version: 1, name: 'companyos-ledger', active: id, keys: [{ keyId: id }] });

    const again = await Keyring.open(dir, 'companyos-ledger');
    expect(again.active.keyId).toBe(id);
    expect(again.active.createdAt).toBe(ring.active.createdAt);
    const envelope = signEnvelope('text/plain', 'hello', again.active);
    expect(verifyEnvelope(envelope, ring).toString()).toBe('hello');
  });

  it('rotates: the new key signs, the retired one keeps verifying and loses its private key', async () => {
    const dir = await tempDir();
    const ring = await Keyring.open(dir, 'companyos-ledger');
    const old = ring.active;
    const before = signEnvelope('text/plain', 'signed before rotation', old);
    const fresh = await ring.rotate();
    expect(ring.active).toBe(fresh);
    expect(fresh.keyId).not.toBe(old.keyId);
    expect(ring.all().map((k) => k.keyId)).toEqual([fresh.keyId, old.keyId]);
    expect(ring.get(old.keyId)?.retiredAt).toBe(fresh.createdAt);
    expect(ring.get(old.keyId)?.privateKey).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual([`${fresh.keyId}.key`, `${fresh.keyId}.pub`, `${old.keyId}.pub`, 'keyring.json'].sort());

    const reopened = await Keyring.open(dir, 'companyos-ledger');
    expect(reopened.active.keyId).toBe(fresh.keyId);
    expect(reopened.all().map((k) => [k.keyId, k.retiredAt])).toEqual([
      [fresh.keyId, undefined],
      [old.keyId, fresh.createdAt],
    ]);
    expect(verifyEnvelope(before, reopened).toString()).toBe('signed before rotation');
    expect(() => verifyEnvelope(before, [reopened.active])).toThrow(/unknown key/);
  });

  it('refuses a directory holding other keys or a tampered key file', async () => {
    const dir = await tempDir();
    const ring = await Keyring.open(dir, 'companyos-ledger');
    await expect(Keyring.open(dir, 'someone-else')).rejects.toThrow(/not someone-else/);
    const other = Keyring.inMemory('companyos-ledger').active;
    await writeFile(join(dir, `${ring.active.keyId}.pub`), `${formatVerifierKey(other)}\n`);
    await expect(Keyring.open(dir, 'companyos-ledger')).rejects.toThrow(/holds key/);
  });

  it('also lives in memory', async () => {
    const ring = Keyring.inMemory('test-ledger');
    expect(ring.dir).toBeUndefined();
    const first = ring.active;
    await ring.rotate();
    expect(ring.all()).toHaveLength(2);
    expect(ring.all()[1]?.keyId).toBe(first.keyId);
    expect(ring.all()[1]?.retiredAt).toBeDefined();
  });
});
