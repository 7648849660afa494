import { afterEach, beforeEach } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../../surfaces/http/index.ts';
import { TokenAuthority, type Role } from '../../platform/identity/index.ts';
import type { Warehouse } from '../../kernel/warehouse/index.ts';
import { stateOptionsFor, type WarehouseFixture } from './engines.ts';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256';

export interface ApiHarness {
  app: FastifyInstance;
  tokens: TokenAuthority;
  token(tenant: string, ...roles: Role[]): Promise<string>;
  /** A token for a named principal (`<tenant>/<subject>` to the policy engine). */
  principal(subject: string, tenant: string, ...roles: Role[]): Promise<string>;
}

export async function apiHarness(warehouse: Warehouse, options: Partial<Omit<ServerOptions, 'warehouse' | 'tokens'>> = {}): Promise<ApiHarness> {
  const tokens = new TokenAuthority(TEST_SECRET);
  const app = await buildServer({ warehouse, tokens, logLevel: 'silent', state: stateOptionsFor(warehouse), ...options });
  return {
    app,
    tokens,
    token: (tenant, ...roles) => tokens.mint({ tenant, roles: roles.length ? roles : ['writer'] }),
    principal: (subject, tenant, ...roles) => tokens.mint({ tenant, roles, subject }),
  };
}

/** A server over a fresh warehouse per test (see `useWarehouse`); closed before the warehouse. */
export function useApi(db: WarehouseFixture, options: Partial<Omit<ServerOptions, 'warehouse' | 'tokens'>> = {}): { readonly api: ApiHarness } {
  let api: ApiHarness;
  beforeEach(async () => {
    api = await apiHarness(db.warehouse, options);
  });
  afterEach(async () => {
    await api.app.close();
  });
  return {
    get api() {
      return api;
    },
  };
}
