import { createHash } from 'node:crypto';
import { DomainError } from '../../kernel/errors/index.ts';
import type { StateStore } from '../../kernel/state/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import { checkIdentityProviders, type IdentityProvider } from './identity-providers.ts';

/** The part of a provider's configuration that turns claims into roles and attributes: what a mapping change changes. */
export const MAPPING_FIELDS = ['allowed_domains', 'groups_claim', 'group_roles', 'machine_clients', 'env_claim', 'region_claim', 'default_region'] as const;
export type ClaimsMapping = Pick<IdentityProvider, (typeof MAPPING_FIELDS)[number]>;

export const IDENTITY_MAPPINGS_TABLE: TableDefinition = {
  name: 'identity_mappings',
  owner: 'platform/identity',
  tenantColumn: 'tenant_id',
  retention: 'audit',
  key: ['tenant_id', 'provider', 'revision'],
  clickhouse: { engine: 'MergeTree' },
  state: { unique: [['tenant_id', 'provider', 'revision'], ['tenant_id', 'run_id']], onlyInStateStore: true },
  columns: [
    { name: 'tenant_id', type: 'text' },
    { name: 'provider', type: 'text' },
    { name: 'revision', type: 'bigint' },
    { name: 'mapping', type: 'json' },
    /** `sha256:<hex>` of the mapping's canonical JSON, as receipts and principals name it. */
    { name: 'digest', type: 'text' },
    { name: 'run_id', type: 'text' },
    { name: 'activated_by', type: 'text' },
    { name: 'activated_at', type: 'timestamp' },
  ],
};

/** A provider's mapping in force: its revision (0: as the providers file has it) and digest. */
export interface MappingRevision {
  provider: string;
  revision: number;
  digest: string;
  mapping: ClaimsMapping;
}

/**
 * The claims → attributes mappings in force, versioned: revision 0 is the providers file's; each governed
 * `identity-mapping-change` run activates the next. Every process reads the newest from the state store,
 * so a change applies to the next token and login on every replica, without a restart.
 */
export class IdentityMappings {
  private readonly byName: Map<string, IdentityProvider>;

  constructor(
    private readonly state: StateStore,
    providers: readonly IdentityProvider[],
  ) {
    this.byName = new Map(providers.map((provider) => [provider.name, provider]));
  }

  /** The provider `name` of `tenant`, or a refusal (another tenant's provider is unknown here). */
  provider(tenant: string, name: string): IdentityProvider {
    const provider = this.byName.get(name);
    if (!provider || provider.tenant !== tenant) throw new DomainError('WORKFLOW_PARAMS_INVALID', `identity-mapping-change: ${tenant} has no identity provider "${name}".`);
    return provider;
  }

  async current(provider: IdentityProvider): Promise<MappingRevision> {
    const [row] = await this.state.query<{ revision: number; mapping: string; digest: string }>(
      'SELECT revision, mapping, digest FROM identity_mappings WHERE tenant_id = ? AND provider = ? ORDER BY revision DESC LIMIT 1', [provider.tenant, provider.name],
    );
    if (!row) {
      const mapping = mappingOf(provider);
      return { provider: provider.name, revision: 0, digest: mappingDigest(mapping), mapping };
    }
    return { provider: provider.name, revision: Number(row.revision), digest: row.digest, mapping: JSON.parse(String(row.mapping)) as ClaimsMapping };
  }

  /** `provider` with the mapping in force. */
  async resolve(provider: IdentityProvider): Promise<IdentityProvider> {
    return { ...provider, ...(await this.current(provider)).mapping };
  }

  /** Checks a proposed mapping against the providers file's schema (roles known, claims named): the mapping as it will be stored. */
  check(provider: IdentityProvider, proposed: unknown): ClaimsMapping {
    if (!proposed || typeof proposed !== 'object' || Array.isArray(proposed)) throw new DomainError('WORKFLOW_PARAMS_INVALID', 'identity-mapping-change: mapping is an object.');
    const unknown = Object.keys(proposed).filter((key) => !(MAPPING_FIELDS as readonly string[]).includes(key));
    if (unknown.length) throw new DomainError('WORKFLOW_PARAMS_INVALID', `identity-mapping-change: ${unknown.join(', ')} cannot be changed by a mapping (only ${MAPPING_FIELDS.join(', ')}).`);
    const base = Object.fromEntries(Object.entries(provider).filter(([key]) => !(MAPPING_FIELDS as readonly string[]).includes(key)));
    try {
      const [checked] = checkIdentityProviders({ providers: [{ ...base, ...proposed }] }, 'identity-mapping-change');
      return mappingOf(checked!);
    } catch (error) {
      throw new DomainError('WORKFLOW_PARAMS_INVALID', (error as Error).message);
    }
  }

  /** Activates `mapping` as the next revision, once per run (a retried execution finds its revision). */
  async activate(provider: IdentityProvider, mapping: ClaimsMapping, runId: string, actor: string, at: Date): Promise<MappingRevision> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const [mine] = await this.state.query<{ revision: number; digest: string }>('SELECT revision, digest FROM identity_mappings WHERE tenant_id = ? AND run_id = ?', [provider.tenant, runId]);
      if (mine) return { provider: provider.name, revision: Number(mine.revision), digest: mine.digest, mapping };
      const revision = (await this.current(provider)).revision + 1;
      const digest = mappingDigest(mapping);
      try {
        await this.state.transaction((tx) => tx.insert('identity_mappings', [{
          tenant_id: provider.tenant, provider: provider.name, revision, mapping: JSON.stringify(mapping), digest, run_id: runId, activated_by: actor, activated_at: at,
        }]));
        return { provider: provider.name, revision, digest, mapping };
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'STATE_CONFLICT')) throw error;
      }
    }
    throw new DomainError('STATE_CONFLICT', `The mapping of ${provider.name} kept changing; try the execution again.`);
  }
}

function mappingOf(provider: IdentityProvider): ClaimsMapping {
  return Object.fromEntries(MAPPING_FIELDS.filter((field) => provider[field] !== undefined).map((field) => [field, provider[field]])) as ClaimsMapping;
}

export function mappingDigest(mapping: ClaimsMapping): string {
  return `sha256:${createHash('sha256').update(canonical(mapping)).digest('hex')}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
  return JSON.stringify(value);
}
