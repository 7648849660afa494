import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatVerifierKey, generateLedgerKey, isValidKeyName, ledgerKeyFromPrivate, parseVerifierKey, type LedgerKey } from './keys.ts';

interface KeyringState {
  version: 1;
  name: string;
  active: string;
  /** Oldest first. */
  keys: { keyId: string; createdAt: string; retiredAt?: string }[];
}

const STATE_FILE = 'keyring.json';

/**
 * The ledger's signing keys in a directory: `<keyid>.key` (PKCS8 PEM, 0600,
 * active key only), `<keyid>.pub` (verifier key line, kept forever) and
 * `keyring.json` (which key is active, when each was created and retired).
 */
export class Keyring {
  #keys: LedgerKey[];

  private constructor(
    readonly name: string,
    keys: LedgerKey[],
    readonly dir: string | undefined,
  ) {
    this.#keys = keys;
  }

  /** Loads the keyring in `dir`, creating it with a first key when it does not exist. */
  static async open(dir: string, name: string): Promise<Keyring> {
    if (!isValidKeyName(name)) throw new Error(`Key name ${JSON.stringify(name)} is empty or has a space or a plus sign.`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const text = await readFile(join(dir, STATE_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text === undefined) {
      const ring = new Keyring(name, [generateLedgerKey(name)], dir);
      await ring.#writeKey(ring.active);
      await ring.#writeState();
      return ring;
    }
    const state = JSON.parse(text) as KeyringState;
    if (state.name !== name) throw new Error(`The keyring in ${dir} holds keys named ${state.name}, not ${name}.`);
    const keys: LedgerKey[] = [];
    for (const entry of state.keys) {
      const key = parseVerifierKey(await readFile(join(dir, `${entry.keyId}.pub`), 'utf8'), entry);
      if (key.keyId !== entry.keyId || key.name !== name) throw new Error(`${entry.keyId}.pub in ${dir} holds key ${key.name}+${key.keyId}.`);
      if (entry.keyId === state.active) key.privateKey = await loadPrivateKey(dir, key);
      keys.unshift(key);
    }
    const ring = new Keyring(name, keys, dir);
    if (ring.active.keyId !== state.active) throw new Error(`The active key ${state.active} of the keyring in ${dir} is missing or retired.`);
    return ring;
  }

  /** A keyring that lives only in memory, for tests. */
  static inMemory(name: string): Keyring {
    return new Keyring(name, [generateLedgerKey(name)], undefined);
  }

  /** The signing key. */
  get active(): LedgerKey {
    const key = this.#keys[0];
    if (!key || key.retiredAt || !key.privateKey) throw new Error(`Keyring ${this.name} has no active signing key.`);
    return key;
  }

  /** Every key, newest first. */
  all(): LedgerKey[] {
    return [...this.#keys];
  }

  get(keyId: string): LedgerKey | undefined {
    return this.#keys.find((k) => k.keyId === keyId);
  }

  /** Makes a new active key; the old one is retired, keeps its .pub and loses its private key. */
  async rotate(): Promise<LedgerKey> {
    const now = new Date().toISOString();
    const old = this.active;
    const fresh = generateLedgerKey(this.name, now);
    if (this.dir) await this.#writeKey(fresh);
    const retired: LedgerKey = { ...old, retiredAt: now };
    delete retired.privateKey;
    this.#keys = [fresh, retired, ...this.#keys.slice(1)];
    if (this.dir) {
      await this.#writeState();
      await unlink(join(this.dir, `${old.keyId}.key`)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    return fresh;
  }

  async #writeKey(key: LedgerKey): Promise<void> {
    const dir = this.dir!;
    const pem = key.privateKey!.export({ format: 'pem', type: 'pkcs8' });
    await writeFile(join(dir, `${key.keyId}.key`), pem, { mode: 0o600, flag: 'wx' });
    await writeFile(join(dir, `${key.keyId}.pub`), `${formatVerifierKey(key)}\n`, { mode: 0o644 });
  }

  async #writeState(): Promise<void> {
    const state: KeyringState = {
      version: 1,
      name: this.name,
      active: this.active.keyId,
      keys: [...this.#keys].reverse().map((k) => ({ keyId: k.keyId, createdAt: k.createdAt ?? '', ...(k.retiredAt ? { retiredAt: k.retiredAt } : {}) })),
    };
    // Written aside and renamed so a crash never leaves a half-written keyring.json.
    const tmp = join(this.dir!, `${STATE_FILE}.${process.pid}.tmp`);
    await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
    await rename(tmp, join(this.dir!, STATE_FILE));
  }
}

async function loadPrivateKey(dir: string, key: LedgerKey): Promise<KeyObject> {
  const privateKey = createPrivateKey(await readFile(join(dir, `${key.keyId}.key`), 'utf8'));
  if (ledgerKeyFromPrivate(key.name, privateKey).keyId !== key.keyId) {
    throw new Error(`${key.keyId}.key in ${dir} does not belong to ${key.keyId}.pub.`);
  }
  return privateKey;
}
