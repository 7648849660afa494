import { describe, expect, it } from 'vitest';
import { reachableHost } from './start.ts';

describe('reachableHost', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '127.0.0.1'],
    ['::', '[::1]'],
    ['::1', '[::1]'],
    ['fe80::1', '[fe80::1]'],
    ['localhost', 'localhost'],
  ])('turns a listen address %s into a URL host %s', (host, expected) => {
    expect(reachableHost(host)).toBe(expected);
    expect(() => new URL(`http://${reachableHost(host)}:8080`)).not.toThrow();
  });
});
