import type { FastifyInstance } from 'fastify';
import { buildServer, TokenAuthority, type Role } from '../../api/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256';

export interface ApiHarness {
  app: FastifyInstance;
  tokens: TokenAuthority;
  token(tenant: string, ...roles: Role[]): Promise<string>;
}

export async function apiHarness(warehouse: Warehouse, options: { maxBatchEvents?: number } = {}): Promise<ApiHarness> {
  const tokens = new TokenAuthority(TEST_SECRET);
  const app = await buildServer({ warehouse, tokens, logLevel: 'silent', ...options });
  return {
    app,
    tokens,
    token: (tenant, ...roles) => tokens.mint({ tenant, roles: roles.length ? roles : ['writer'] }),
  };
}
