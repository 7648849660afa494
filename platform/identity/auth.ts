import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../../kernel/errors/index.ts';
import { secretId } from './rotating-secret.ts';
import { DEFAULT_MAX_TOKEN_TTL_SECONDS, durationSeconds, formatDuration, TOKEN_CLOCK_SKEW_SECONDS } from './token-lifetime.ts';

export const ROLES = ['admin', 'writer', 'reader', 'connector', 'operator', 'approver', 'auditor', 'partner', 'sales_lead', 'finance', 'ceo'] as const;
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
  /** An API key's scopes: what it may call at all (`scopesAllow`), whatever its roles allow. */
  scopes?: string[];
  /** A connector key's tenants: the only ones (besides its own) its events may be for. */
  tenants?: string[];
  /** An exchanged token's audience (`workflow-run:<id>`): the only thing it may be used on. */
  audience?: string;
  /** An exchanged token's actor (`act.sub`, RFC 8693): who acts on the subject's behalf. */
  actor?: string;
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
  /** The one thing the token may be used on (token exchange: `workflow-run:<id>`). */
  audience?: string;
  /** Who acts on the subject's behalf (RFC 8693 `act`). */
  actor?: string;
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
  /** The key that signs; `kid` names it in every token's header. */
  private signing: SigningKey;
  /** Keys that signed before a rotation, each verifying until its overlap ends. */
  private retired: (SigningKey & { until: number })[] = [];
  readonly maxTtlSeconds: number;
  /** Tokens already verified, until they expire: an HMAC check per request is a measurable share of a gated call. */
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(secret: string, policy: TokenPolicy = {}) {
    this.signing = signingKey(secret);
    this.maxTtlSeconds = policy.maxTtlSeconds ?? DEFAULT_MAX_TOKEN_TTL_SECONDS;
  }

  /** The id (`kid`) of the key that signs now. */
  get keyId(): string {
    return this.signing.kid;
  }

  /** Keys that still verify besides the signing one, and until when. */
  get overlapping(): { kid: string; until: Date }[] {
    return this.retired.filter((key) => key.until > Date.now()).map((key) => ({ kid: key.kid, until: new Date(key.until) }));
  }

  /**
   * Signs with `secret` from now on; the key that signed until now still verifies until `until`
   * (the overlap, so tokens already handed out keep working), then nothing it signed does.
   */
  rotate(secret: string, until: Date): void {
    const next = signingKey(secret);
    if (next.kid === this.signing.kid) return;
    this.retired = [...this.retired.filter((key) => key.until > Date.now() && key.kid !== next.kid), { ...this.signing, until: until.getTime() }];
    this.signing = next;
    // What was verified under the old key was remembered without its overlap's end.
    this.verified.clear();
  }

  /** A key retired before this process started (its overlap read back from where the rotation kept it). */
  acceptRetired(secret: string, until: Date): void {
    const key = signingKey(secret);
    if (key.kid !== this.signing.kid && until.getTime() > Date.now()) this.retired.push({ ...key, until: until.getTime() });
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
    const jwt = new SignJWT({
      tenant: request.tenant, roles: request.roles, env: request.env ?? DEFAULT_ENV, region: request.region ?? DEFAULT_REGION,
      ...(request.actor ? { act: { sub: request.actor } } : {}),
    });
    if (request.audience) jwt.setAudience(request.audience);
    return jwt
      .setProtectedHeader({ alg: 'HS256', kid: this.signing.kid })
      .setIssuer(ISSUER)
      .setSubject(request.subject ?? `${request.tenant}:${request.roles.join('+')}`)
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
      .sign(this.signing.key);
  }

  /** The principal behind an `Authorization` header value, or an `DomainError`. */
  async verify(header: string | undefined): Promise<Principal> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) throw new DomainError('AUTH_MISSING_TOKEN');
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.principal;
    try {
      const signedBy = this.keyFor(token);
      const { payload } = await jwtVerify(token, signedBy.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const { tenant, roles, sub, env, region, exp, iat, aud, act } = payload;
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
        ...(typeof aud === 'string' ? { audience: aud } : {}),
        ...(act && typeof act === 'object' && typeof (act as { sub?: unknown }).sub === 'string' ? { actor: (act as { sub: string }).sub } : {}),
      };
      if (Array.isArray(aud)) throw new DomainError('AUTH_INVALID_TOKEN', 'It names several audiences; this server takes one.');
      this.remember(token, principal, Math.min(exp * 1000, signedBy.until));
      return principal;
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (error instanceof errors.JWTExpired) throw new DomainError('AUTH_TOKEN_EXPIRED');
      throw new DomainError('AUTH_INVALID_TOKEN');
    }
  }

  /** The key the token's `kid` names (a token without one: the signing key), while it verifies; else the token is invalid. */
  private keyFor(token: string): { key: Uint8Array; until: number } {
    const kid = decodeProtectedHeader(token).kid;
    if (kid === undefined || kid === this.signing.kid) return { key: this.signing.key, until: Infinity };
    const retired = this.retired.find((key) => key.kid === kid && key.until > Date.now());
    if (!retired) throw new DomainError('AUTH_INVALID_TOKEN', 'Its signing key is retired or unknown.');
    return retired;
  }

  private remember(token: string, principal: Principal, expiresAt: number): void {
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.clear();
    this.verified.set(token, { principal, expiresAt });
  }
}

const VERIFIED_TOKENS = 10_000;

interface SigningKey {
  kid: string;
  key: Uint8Array;
}

/** An HS256 key and its id (`secretId`: names the key, reveals nothing of it). */
function signingKey(secret: string): SigningKey {
  if (secret.length < 32) throw new Error('the JWT secret must be at least 32 characters');
  return { kid: secretId(secret), key: new TextEncoder().encode(secret) };
}
