import { decodeJwt } from 'jose';
import { DomainError } from '../../kernel/errors/index.ts';
import type { Principal, TokenAuthority } from './auth.ts';
import type { ProviderTokens } from './provider-tokens.ts';

/**
 * The principal behind an `Authorization: Bearer` value: a token of one of the tenants' identity providers
 * (chosen by its `iss`) or else one of the platform's own.
 */
export class BearerTokens {
  constructor(
    private readonly own: TokenAuthority,
    private readonly providers?: ProviderTokens,
  ) {}

  async verify(header: string | undefined): Promise<Principal> {
    const token = this.providers && /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
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
