import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ENGINE = fileURLToPath(new URL('./index.ts', import.meta.url));
const DECISIONS = 60_000;

// In its own process: the crash this guards against (see cedar-wasm.ts) kills the process outright.
const script = `
import { loadPolicyBundle, PolicyEngine } from ${JSON.stringify(ENGINE)};
const engine = new PolicyEngine(loadPolicyBundle());
let allowed = 0;
for (let i = 0; i < ${DECISIONS}; i++) {
  const decision = engine.authorize({
    principal: { id: 'acme/user-' + i, tenant: 'acme', roles: ['writer'], env: 'dev', region: 'local' },
    action: 'create',
    resource: { id: 'e-' + i, tenant: 'acme', kind: 'entity', data_class: 'internal', region: 'local' },
    context: { env: 'dev' },
  });
  if (decision.decision === 'allow') allowed++;
  // Writing between decisions, as a server logs between requests, is part of what brought the crash on.
  if (i % 500 === 0) console.log('decided', i);
}
console.log(allowed);
`;

describe('Cedar in a long-running process', () => {
  it(`decides ${DECISIONS.toLocaleString('en-US')} distinct requests without V8 crashing the process`, () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect(child.signal, child.stderr.slice(0, 500)).toBeNull();
    expect(child.status, child.stderr.slice(0, 500)).toBe(0);
    expect(Number(child.stdout.trim().split('\n').at(-1))).toBe(DECISIONS);
  }, 150_000);
});
