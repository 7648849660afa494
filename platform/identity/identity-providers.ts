import { readFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import { ROLES, type Role } from './auth.ts';

/**
 * A tenant's identity provider (an OIDC issuer): whose access tokens the API accepts for that tenant, and
 * how their claims become a principal. The tenant comes from here, never from a claim in the token.
 */
export interface IdentityProvider {
  /** A short name, unique in the file; principals' subjects are `<name>:<sub>`. */
  name: string;
  tenant: string;
  /** The provider's `iss`, exactly as its tokens and its discovery document carry it. */
  issuer: string;
  /** This API's identifier at the provider: tokens must name it in `aud`. */
  audience: string;
  /** Where its signing keys are; discovered from `<issuer>/.well-known/openid-configuration` when absent. */
  jwks_uri?: string;
  /** The client people sign in through (authorization code with PKCE); without it, the provider's tokens are accepted but no one signs in here. */
  client_id?: string;
  /** Its secret, or the environment variable holding it (better: the file then holds no secret). A public client has neither. */
  client_secret?: string;
  client_secret_env?: string;
  /** A person's token must carry a verified `email` in one of these domains (none: any). */
  allowed_domains?: string[];
  /** The claim listing a person's groups (default `groups`) and the roles each group gives. */
  groups_claim?: string;
  group_roles: Record<string, Role[]>;
  /** Machine clients (`client_id` of a client-credentials token) and their roles. */
  machine_clients?: Record<string, Role[]>;
  /** Claims naming the environment and region (else the server's own environment and `default_region`). */
  env_claim?: string;
  region_claim?: string;
  default_region?: string;
}

const roleList = { type: 'array', items: { enum: [...ROLES] }, uniqueItems: true } as const;

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['providers'],
  properties: {
    providers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'tenant', 'issuer', 'audience', 'group_roles'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
          tenant: { type: 'string', minLength: 1 },
          issuer: { type: 'string', pattern: '^https?://' },
          audience: { type: 'string', minLength: 1 },
          jwks_uri: { type: 'string', pattern: '^https?://' },
          client_id: { type: 'string', minLength: 1 },
          client_secret: { type: 'string', minLength: 1 },
          client_secret_env: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$' },
          allowed_domains: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9.-]+$' } },
          groups_claim: { type: 'string', minLength: 1 },
          group_roles: { type: 'object', additionalProperties: roleList },
          machine_clients: { type: 'object', additionalProperties: roleList },
          env_claim: { type: 'string', minLength: 1 },
          region_claim: { type: 'string', minLength: 1 },
          default_region: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;

// Compiled when a providers file is first read, not when the module loads (every CLI command loads it).
let compiled: ValidateFunction<{ providers: IdentityProvider[] }> | undefined;
const providersFileSchema = (): ValidateFunction<{ providers: IdentityProvider[] }> =>
  (compiled ??= new Ajv({ allErrors: true, strict: true }).compile<{ providers: IdentityProvider[] }>(SCHEMA));

/** The providers a file (COMPANYOS_IDENTITY_PROVIDERS) configures, checked: a mistake names its place. */
export async function loadIdentityProviders(path: string): Promise<IdentityProvider[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`identity providers (${path}): ${(error as Error).message}`, { cause: error });
  }
  return checkIdentityProviders(parsed, path);
}

export function checkIdentityProviders(parsed: unknown, where = 'identity providers'): IdentityProvider[] {
  const validate = providersFileSchema();
  if (!validate(parsed)) {
    const problems = (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
    throw new Error(`${where}: ${problems.join('; ')}`);
  }
  const seen = new Set<string>();
  for (const provider of parsed.providers) {
    for (const key of [`name ${provider.name}`, `issuer ${provider.issuer} with audience ${provider.audience}`]) {
      if (seen.has(key)) throw new Error(`${where}: two providers have the same ${key}; a token must name one tenant`);
      seen.add(key);
    }
  }
  return parsed.providers;
}
