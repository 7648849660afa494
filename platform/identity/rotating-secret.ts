import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SecretRotation {
  retired_id: string;
  current_id: string;
  overlap_until: string;
}

interface Retired {
  secret: string;
  until: string;
}

/** A secret's public name: the first 16 hex digits of its SHA-256 (says which, reveals nothing). */
export function secretId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/**
 * A shared secret kept in the data directory as `<name>` and rotated in place: the new one replaces
 * the file, the old one moves to `<name>.retired.json` with the end of its overlap, during which
 * both are in use (verified, or signed with) — also across restarts. Before the first rotation the
 * secret is `initial` (a setting) unless the file exists; the file, once written, supersedes it.
 */
export class RotatingSecret {
  private secret: string;
  private retired: Retired[] = [];

  constructor(
    private readonly dataDir: string,
    readonly name: string,
    initial?: string,
  ) {
    this.secret = initial ?? '';
  }

  /** Reads the file and the retired list; true when the file supersedes the initial secret. */
  async load(): Promise<boolean> {
    const stored = await readOptional(join(this.dataDir, this.name));
    if (stored?.trim()) this.secret = stored.trim();
    this.retired = JSON.parse((await readOptional(join(this.dataDir, `${this.name}.retired.json`))) ?? '[]') as Retired[];
    if (!this.secret) throw new Error(`no ${this.name}: neither set nor in ${this.dataDir}`);
    return Boolean(stored?.trim());
  }

  get current(): string {
    return this.secret;
  }

  /** The current secret, then those retired whose overlap has not ended. */
  inUse(now = Date.now()): string[] {
    return [this.secret, ...this.overlapping(now).map((r) => r.secret)];
  }

  overlapping(now = Date.now()): { secret: string; until: Date }[] {
    return this.retired.filter((r) => Date.parse(r.until) > now && r.secret !== this.secret).map((r) => ({ secret: r.secret, until: new Date(r.until) }));
  }

  async rotate(overlapMs: number): Promise<SecretRotation> {
    const before = this.secret;
    const until = new Date(Date.now() + overlapMs).toISOString();
    const next = randomBytes(32).toString('base64url');
    const retired = [...this.retired.filter((r) => Date.parse(r.until) > Date.now()), { secret: before, until }];
    // The retired list first: a crash between the two writes leaves the old secret current, and also listed (harmless).
    await writeAtomically(join(this.dataDir, `${this.name}.retired.json`), `${JSON.stringify(retired)}\n`);
    await writeAtomically(join(this.dataDir, this.name), `${next}\n`);
    this.retired = retired;
    this.secret = next;
    return { retired_id: secretId(before), current_id: secretId(next), overlap_until: until };
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
