import { decodeJwt } from 'jose';
import { DomainError } from '../../kernel/errors/index.ts';
import type { Principal, TokenAuthority } from './auth.ts';
import type { ProviderTokens } from './provider-tokens.ts';
import { API_KEY_PREFIX, type ApiKeys } from './api-keys.ts';

/**
 * The principal behind an `Authorization: Bearer` value: an API key (`cosk_…`), a token of one of the
 * tenants' identity providers (chosen by its `iss`), or else one of the platform's own.
 */
export class BearerTokens {
  constructor(
    private readonly own: TokenAuthority,
    private readonly providers: ProviderTokens | undefined,
    private readonly apiKeys: ApiKeys,
    /** The server's environment and region: an API key stands for them. */
    private readonly where: { env: string; region: string },
  ) {}

  async verify(header: string | undefined): Promise<Principal> {
    const presented = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (presented?.startsWith(API_KEY_PREFIX)) return this.apiKeys.verify(presented, this.where.env, this.where.region);
    const token = this.providers && presented;
    if (!token) return this.own.verify(header);
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new DomainError('AUTH_INVALID_TOKEN');
    }
    return issuer !== undefined && this.providers!.knows(issuer) ? this.providers!.verify(token) : this.own.verify(header);
  }
}
