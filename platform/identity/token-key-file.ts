import type { TokenAuthority } from './auth.ts';
import { RotatingSecret } from './rotating-secret.ts';

/** Where the token-signing secret lives in the data directory (read by every `companyos` process). */
export const JWT_SECRET_FILE = 'jwt-secret';

export interface TokenRotation {
  retired_kid: string;
  signing_kid: string;
  overlap_until: string;
}

/**
 * The token-signing secret kept in the data directory, rotated in place (`RotatingSecret`): the new
 * secret replaces `jwt-secret`, so the CLI mints with it too, and the old one keeps verifying for the
 * overlap, across restarts.
 */
export class TokenKeyFile {
  private readonly secret: RotatingSecret;

  constructor(
    readonly authority: TokenAuthority,
    dataDir: string,
  ) {
    this.secret = new RotatingSecret(dataDir, JWT_SECRET_FILE);
  }

  /** Accepts again the retired secrets whose overlap has not ended (at start). */
  async load(): Promise<void> {
    await this.secret.load();
    for (const { secret, until } of this.secret.overlapping()) this.authority.acceptRetired(secret, until);
  }

  async rotate(overlapMs: number): Promise<TokenRotation> {
    await this.secret.load();
    const before = this.authority.keyId;
    const rotation = await this.secret.rotate(overlapMs);
    this.authority.rotate(this.secret.current, new Date(rotation.overlap_until));
    return { retired_kid: before, signing_kid: this.authority.keyId, overlap_until: rotation.overlap_until };
  }
}
