import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenAuthority } from './auth.ts';

/** Where the token-signing secret lives in the data directory (read by every `companyos` process). */
export const JWT_SECRET_FILE = 'jwt-secret';
/** Secrets retired by a rotation, each verifying until its overlap ends: `[{ "secret", "until" }]`. */
const RETIRED_FILE = 'jwt-secret.retired.json';

export interface TokenRotation {
  retired_kid: string;
  signing_kid: string;
  overlap_until: string;
}

/**
 * The token-signing secret kept in the data directory, rotated in place: the new secret replaces
 * `jwt-secret` (so the CLI mints with it too) and the old one goes to `jwt-secret.retired.json` with
 * the end of its overlap, so a restart keeps accepting what it signed until then.
 */
export class TokenKeyFile {
  constructor(
    readonly authority: TokenAuthority,
    private readonly dataDir: string,
  ) {}

  /** Accepts again the retired secrets whose overlap has not ended (at start). */
  async load(): Promise<void> {
    for (const { secret, until } of await this.retired()) this.authority.acceptRetired(secret, new Date(until));
  }

  async rotate(overlapMs: number): Promise<TokenRotation> {
    const before = this.authority.keyId;
    const current = (await readFile(join(this.dataDir, JWT_SECRET_FILE), 'utf8')).trim();
    const until = new Date(Date.now() + overlapMs);
    const secret = randomBytes(32).toString('base64url');
    const retired = [...(await this.retired()).filter((key) => Date.parse(key.until) > Date.now()), { secret: current, until: until.toISOString() }];
    // The retired list first: a crash between the two writes leaves the old secret signing, and also listed (harmless).
    await writeAtomically(join(this.dataDir, RETIRED_FILE), `${JSON.stringify(retired)}\n`);
    await writeAtomically(join(this.dataDir, JWT_SECRET_FILE), `${secret}\n`);
    this.authority.rotate(secret, until);
    return { retired_kid: before, signing_kid: this.authority.keyId, overlap_until: until.toISOString() };
  }

  private async retired(): Promise<{ secret: string; until: string }[]> {
    try {
      return JSON.parse(await readFile(join(this.dataDir, RETIRED_FILE), 'utf8')) as { secret: string; until: string }[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
