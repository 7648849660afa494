import type { JWTPayload } from 'jose';
import { DomainError } from '../../kernel/errors/index.ts';
import { DEFAULT_REGION, ROLES, type Principal, type Role } from './auth.ts';
import type { IdentityProvider } from './identity-providers.ts';

/**
 * The principal a provider's verified claims (an access token's or a login's ID token) stand for, by the
 * provider's mapping: the tenant is the provider's; roles from its groups (people) or its machine clients.
 */
export function principalFromClaims(provider: IdentityProvider, claims: JWTPayload, serverEnv: string): Principal {
  // A client-credentials token: the client is its own subject.
  const machine = typeof claims.client_id === 'string' && claims.sub === claims.client_id;
  let roles: Role[];
  if (machine) {
    roles = provider.machine_clients?.[claims.client_id as string] ?? [];
  } else {
    if (provider.allowed_domains?.length) {
      const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : '';
      const domain = email.slice(email.lastIndexOf('@') + 1);
      if (!email.includes('@') || claims.email_verified === false || !provider.allowed_domains.includes(domain)) {
        throw new DomainError('AUTH_DOMAIN_NOT_ALLOWED', `${provider.name} lets in ${provider.allowed_domains.join(', ')} only.`);
      }
    }
    const groups = claims[provider.groups_claim ?? 'groups'];
    const named = Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [];
    roles = [...new Set(named.flatMap((group) => provider.group_roles[group] ?? []))].filter((role) => ROLES.includes(role));
  }
  if (!roles.length) throw new DomainError('AUTH_TOKEN_NO_ROLES', `None of its groups or clients has a role in ${provider.name}'s mapping.`);
  const claim = (name: string | undefined) => (name && typeof claims[name] === 'string' ? (claims[name] as string) : undefined);
  return {
    tenant: provider.tenant,
    roles,
    subject: `${provider.name}:${claims.sub ?? claims.client_id}`,
    env: claim(provider.env_claim) ?? serverEnv,
    region: claim(provider.region_claim) ?? provider.default_region ?? DEFAULT_REGION,
  };
}
