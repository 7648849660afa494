import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_LIMITS } from '../../http/kit/index.ts';
import { ConfigError, loadConfig } from './config.ts';

describe('slow-client and token settings', () => {
  it('default to the documented values and read the environment', () => {
    expect(loadConfig({}).connectionLimits).toEqual(DEFAULT_CONNECTION_LIMITS);
    expect(loadConfig({}).maxTokenTtlSeconds).toBe(30 * 86_400);
    const config = loadConfig({
      COMPANYOS_HEADERS_TIMEOUT_MS: '2000', COMPANYOS_REQUEST_TIMEOUT_MS: '30000', COMPANYOS_KEEP_ALIVE_TIMEOUT_MS: '5000',
      COMPANYOS_MAX_CONNECTIONS_PER_IP: '0', COMPANYOS_MAX_TOKEN_TTL: '12h', COMPANYOS_TRUST_PROXY: '10.0.0.1,10.0.0.2',
    });
    expect(config.connectionLimits).toEqual({ headersTimeoutMs: 2000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5000, maxConnectionsPerIp: 0 });
    expect([config.maxTokenTtlSeconds, config.trustProxy]).toEqual([12 * 3600, '10.0.0.1,10.0.0.2']);
  });

  it('refuse values that are not limits', () => {
    expect(() => loadConfig({ COMPANYOS_REQUEST_TIMEOUT_MS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ COMPANYOS_MAX_TOKEN_TTL: 'forever' })).toThrow(/COMPANYOS_MAX_TOKEN_TTL must be a lifetime like 15m, 24h or 30d/);
  });
});
