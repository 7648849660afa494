import type { TableDefinition } from '../../kernel/warehouse/index.ts';

const loginTable = { owner: 'platform/identity', tenantColumn: 'tenant_id', retention: 'run-history', expiresBy: 'expires_at', clickhouse: { engine: 'MergeTree' } } as const;

/**
 * People signed in through their tenant's identity provider (`LoginSessions`), and the logins under way
 * (between the redirect to the provider and its callback). Ids are kept as SHA-256 digests only: the
 * state store never holds what a browser presents.
 */
export const LOGIN_SESSION_TABLES: readonly TableDefinition[] = [
  {
    ...loginTable,
    name: 'login_sessions',
    key: ['tenant_id', 'session_hash'],
    state: { unique: [['session_hash']], checks: ['expires_at > created_at'], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'session_hash', type: 'text' },
      { name: 'provider', type: 'text' },
      { name: 'subject', type: 'text' },
      { name: 'principal', type: 'json' },
      { name: 'created_at', type: 'timestamp' },
      { name: 'last_seen_at', type: 'timestamp' },
      { name: 'expires_at', type: 'timestamp' },
      /** `live`, or why it ended: `logout`, `rotated`, `deprovisioned`. */
      { name: 'status', type: 'text' },
      { name: 'ended_at', type: 'timestamp', nullable: true },
    ],
  },
  {
    ...loginTable,
    name: 'login_attempts',
    key: ['tenant_id', 'state_hash'],
    state: { unique: [['state_hash']], onlyInStateStore: true },
    columns: [
      { name: 'tenant_id', type: 'text' },
      { name: 'state_hash', type: 'text' },
      { name: 'provider', type: 'text' },
      { name: 'code_verifier', type: 'text' },
      { name: 'nonce', type: 'text' },
      { name: 'return_to', type: 'text' },
      /** A local development sign-in's principal (no provider to ask); null for a provider's. */
      { name: 'principal', type: 'json', nullable: true },
      { name: 'expires_at', type: 'timestamp' },
    ],
  },
];
