import { errors, jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../../kernel/errors/index.ts';
import { DEFAULT_MAX_TOKEN_TTL_SECONDS, durationSeconds, formatDuration, TOKEN_CLOCK_SKEW_SECONDS } from './token-lifetime.ts';

export const ROLES = ['admin', 'writer', 'reader', 'connector', 'operator', 'approver', 'auditor', 'partner'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  tenant: string;
  roles: Role[];
  subject: string;
  /** The environment the token was minted for (prod, staging, dev); policies refuse it elsewhere. */
  env: string;
  /** Where the holder works from; restricted data is served in its own region only. */
  region: string;
  /** Temporary grants (AccessGrants) whose roles `roles` includes right now. */
  grants?: string[];
}

/** What a token without `env` / `region` claims stands for. */
export const DEFAULT_ENV = 'dev';
export const DEFAULT_REGION = 'local';

export interface TokenRequest {
  tenant: string;
  roles: Role[];
  subject?: string;
  env?: string;
  region?: string;
  /** Lifetime ("15m", "24h", "30d"), or the expiry as seconds since the epoch; at most the authority's longest lifetime. */
  expiresIn?: string | number;
}

export interface TokenPolicy {
  /** The longest lifetime (`exp` - `iat`) a token may have, minted or presented (COMPANYOS_MAX_TOKEN_TTL). */
  maxTtlSeconds?: number;
}

const ISSUER = 'companyos';

/**
 * HS256 bearer tokens with `tenant`, `roles`, `env` and `region` claims. A token
 * must carry `exp`, live no longer than the longest lifetime, not be issued in the
 * future and name at least one known role.
 */
export class TokenAuthority {
  private readonly key: Uint8Array;
  readonly maxTtlSeconds: number;
  /** Tokens already verified, until they expire: an HMAC check per request is a measurable share of a gated call. */
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(secret: string, policy: TokenPolicy = {}) {
    if (secret.length < 32) throw new Error('the JWT secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
    this.maxTtlSeconds = policy.maxTtlSeconds ?? DEFAULT_MAX_TOKEN_TTL_SECONDS;
  }

  async mint(request: TokenRequest): Promise<string> {
    if (!request.roles.length) throw new RangeError('a token needs at least one role');
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = request.expiresIn ?? '24h';
    const lifetime = typeof expiresIn === 'number' ? expiresIn - now : durationSeconds(expiresIn);
    if (lifetime === undefined) throw new RangeError(`"${expiresIn}" is not a lifetime like 15m, 24h or 30d`);
    if (lifetime > this.maxTtlSeconds) {
      throw new RangeError(`a token may live at most ${formatDuration(this.maxTtlSeconds)} (COMPANYOS_MAX_TOKEN_TTL); ${formatDuration(lifetime)} was asked for`);
    }
    return new SignJWT({ tenant: request.tenant, roles: request.roles, env: request.env ?? DEFAULT_ENV, region: request.region ?? DEFAULT_REGION })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setSubject(request.subject ?? `${request.tenant}:${request.roles.join('+')}`)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
      .sign(this.key);
  }

  /** The principal behind an `Authorization` header value, or an `DomainError`. */
  async verify(header: string | undefined): Promise<Principal> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) throw new DomainError('AUTH_MISSING_TOKEN');
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.principal;
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const { tenant, roles, sub, env, region, exp, iat } = payload;
      if (typeof tenant !== 'string' || !Array.isArray(roles)) {
        throw new DomainError('AUTH_INVALID_TOKEN', 'It has no tenant or roles claim.');
      }
      if (typeof exp !== 'number') throw new DomainError('AUTH_TOKEN_NO_EXPIRY');
      const now = Date.now() / 1000;
      if (typeof iat === 'number' && iat > now + TOKEN_CLOCK_SKEW_SECONDS) throw new DomainError('AUTH_TOKEN_NOT_YET_VALID');
      if (exp - Math.min(iat ?? now, now) > this.maxTtlSeconds + TOKEN_CLOCK_SKEW_SECONDS) {
        throw new DomainError('AUTH_TOKEN_TOO_LONG_LIVED', `This server accepts at most ${formatDuration(this.maxTtlSeconds)}.`);
      }
      const known = roles.filter((r): r is Role => ROLES.includes(r));
      if (!known.length) throw new DomainError('AUTH_TOKEN_NO_ROLES');
      const principal: Principal = {
        tenant,
        roles: known,
        subject: sub ?? tenant,
        env: typeof env === 'string' ? env : DEFAULT_ENV,
        region: typeof region === 'string' ? region : DEFAULT_REGION,
      };
      this.remember(token, principal, exp * 1000);
      return principal;
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (error instanceof errors.JWTExpired) throw new DomainError('AUTH_TOKEN_EXPIRED');
      throw new DomainError('AUTH_INVALID_TOKEN');
    }
  }

  private remember(token: string, principal: Principal, expiresAt: number): void {
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.clear();
    this.verified.set(token, { principal, expiresAt });
  }
}

const VERIFIED_TOKENS = 10_000;
