import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { DomainError } from '../../kernel/errors/index.ts';
import type { Principal } from './auth.ts';
import { principalFromClaims } from './claims-mapping.ts';
import type { IdentityProvider } from './identity-providers.ts';
import { DEFAULT_MAX_TOKEN_TTL_SECONDS, formatDuration, TOKEN_CLOCK_SKEW_SECONDS } from './token-lifetime.ts';

/** Signatures a provider's access token may carry: asymmetric only (an HMAC "signed" with a public key is forged). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface ProviderTokenOptions {
  /** The environment of this server: a provider's token stands for it unless `env_claim` names another. */
  env: string;
  maxTtlSeconds?: number;
  /** How long fetched keys are trusted: a key the provider removed stops verifying within this (default 10 min). */
  jwksCacheMs?: number;
  /** How long a discovery or key fetch may take (default 5 s). */
  fetchTimeoutMs?: number;
  /** The provider with its claims mapping in force (a governed change may have replaced the file's). */
  resolve?: (provider: IdentityProvider) => Promise<IdentityProvider>;
  /** Whether the tenant's directory (SCIM) has deactivated or removed the person a token names (by `sub` or email). */
  deprovisioned?: (tenant: string, keys: readonly string[]) => Promise<boolean>;
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * Access tokens (JWT) from the tenants' identity providers: signature against the provider's published
 * keys (fetched again when a token names a key not seen yet, so a rotation needs no restart), `iss`, `aud`,
 * `exp` checked; roles from the provider's group and machine-client mappings.
 */
export class ProviderTokens {
  private readonly byIssuer = new Map<string, IdentityProvider[]>();
  private readonly keySets = new Map<string, Promise<KeySet>>();
  private readonly maxTtlSeconds: number;

  constructor(
    providers: readonly IdentityProvider[],
    private readonly options: ProviderTokenOptions,
  ) {
    for (const provider of providers) this.byIssuer.set(provider.issuer, [...(this.byIssuer.get(provider.issuer) ?? []), provider]);
    this.maxTtlSeconds = options.maxTtlSeconds ?? DEFAULT_MAX_TOKEN_TTL_SECONDS;
  }

  /** Whether `issuer` is one of the configured providers. */
  knows(issuer: string): boolean {
    return this.byIssuer.has(issuer);
  }

  async verify(token: string): Promise<Principal> {
    const unverified = decodeJwt(token);
    const candidates = this.byIssuer.get(unverified.iss ?? '');
    if (!candidates) throw new DomainError('AUTH_INVALID_TOKEN', 'Its issuer is not an identity provider of this server.');
    const audiences = typeof unverified.aud === 'string' ? [unverified.aud] : (unverified.aud ?? []);
    const provider = candidates.find((candidate) => audiences.includes(candidate.audience));
    if (!provider) throw new DomainError('AUTH_TOKEN_WRONG_AUDIENCE');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keySet(provider), {
        issuer: provider.issuer,
        audience: provider.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: TOKEN_CLOCK_SKEW_SECONDS,
      }));
    } catch (error) {
      throw verificationError(error);
    }
    const now = Date.now() / 1000;
    if (typeof payload.iat === 'number' && payload.iat > now + TOKEN_CLOCK_SKEW_SECONDS) throw new DomainError('AUTH_TOKEN_NOT_YET_VALID');
    if (payload.exp! - Math.min(payload.iat ?? now, now) > this.maxTtlSeconds + TOKEN_CLOCK_SKEW_SECONDS) {
      throw new DomainError('AUTH_TOKEN_TOO_LONG_LIVED', `This server accepts at most ${formatDuration(this.maxTtlSeconds)}.`);
    }
    const principal = principalFromClaims(this.options.resolve ? await this.options.resolve(provider) : provider, payload, this.options.env);
    const keys = [payload.sub, payload.email].filter((key): key is string => typeof key === 'string');
    if (this.options.deprovisioned && (await this.options.deprovisioned(provider.tenant, keys))) throw new DomainError('AUTH_ACCOUNT_DEPROVISIONED');
    return principal;
  }

  /** The provider's keys: one remote set per provider, its address discovered once (again after a failure). */
  private keySet(provider: IdentityProvider): Promise<KeySet> {
    let keys = this.keySets.get(provider.name);
    if (!keys) {
      const cacheMaxAge = this.options.jwksCacheMs ?? 600_000;
      // A key id not seen yet fetches the keys again, at most once per cooldown.
      keys = this.jwksUri(provider).then((uri) =>
        createRemoteJWKSet(new URL(uri), { cacheMaxAge, cooldownDuration: Math.min(30_000, cacheMaxAge), timeoutDuration: this.fetchTimeoutMs }),
      );
      keys.catch(() => this.keySets.delete(provider.name));
      this.keySets.set(provider.name, keys);
    }
    return keys;
  }

  private get fetchTimeoutMs(): number {
    return this.options.fetchTimeoutMs ?? 5000;
  }

  private async jwksUri(provider: IdentityProvider): Promise<string> {
    if (provider.jwks_uri) return provider.jwks_uri;
    const where = `${provider.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(where, { signal: AbortSignal.timeout(this.fetchTimeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (error) {
      throw new DomainError('AUTH_PROVIDER_UNAVAILABLE', `${provider.name}'s discovery document (${where}) could not be read: ${(error as Error).message}.`);
    }
    if (document.issuer !== provider.issuer || typeof document.jwks_uri !== 'string') {
      throw new DomainError('AUTH_PROVIDER_UNAVAILABLE', `${provider.name}'s discovery document names issuer ${String(document.issuer)}, not ${provider.issuer}, or no jwks_uri.`);
    }
    return document.jwks_uri;
  }
}

function verificationError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof errors.JWTExpired) return new DomainError('AUTH_TOKEN_EXPIRED', 'Ask its identity provider for a new one.');
  if (error instanceof errors.JWKSNoMatchingKey) return new DomainError('AUTH_INVALID_TOKEN', 'Its signing key is not among its provider\'s current keys.');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError && error.code === 'ERR_JWKS_INVALID' || isFetchFailure(error)) {
    return new DomainError('AUTH_PROVIDER_UNAVAILABLE', `Its provider's keys could not be fetched: ${(error as Error).message}.`);
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') return new DomainError('AUTH_TOKEN_WRONG_AUDIENCE');
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp') return new DomainError('AUTH_TOKEN_NO_EXPIRY');
  return new DomainError('AUTH_INVALID_TOKEN');
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed/.test(error.message);
}
