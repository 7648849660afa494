import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_DIR, loadPolicyBundle, proposeBundle } from './bundle.ts';
import { PolicyEngine, type AuthorizationRequest } from './engine.ts';

const ask = (resourceId: string, roles: string[] = ['writer']): AuthorizationRequest => ({
  principal: { id: 'acme/ana', tenant: 'acme', roles, env: 'dev', region: 'local' },
  action: 'create',
  resource: { id: resourceId, tenant: 'acme', kind: 'entity', data_class: 'internal', region: 'local' },
  context: { env: 'dev' },
});

describe('decisions the policy engine remembers', () => {
  it('answers the same request the same, and a caller changing its answer changes nothing remembered', () => {
    const engine = new PolicyEngine(loadPolicyBundle());
    const first = engine.authorize(ask('e-1'));
    expect(first.decision).toBe('allow');
    first.reasons.push('tampered');
    expect(engine.authorize(ask('e-2'))).toEqual({ ...first, reasons: first.reasons.slice(0, -1) });
    // Another attribute is another request.
    expect(engine.authorize(ask('e-1', ['reader'])).decision).toBe('deny');
  });

  it('forgets them when another bundle is put in force, and tells resources apart once a policy names one', () => {
    const engine = new PolicyEngine(loadPolicyBundle());
    expect(engine.authorize(ask('e-1')).decision).toBe('allow');
    const bundle = engine.bundle;
    const shipped = readdirSync(DEFAULT_POLICY_DIR).filter((file) => file.endsWith('.cedar')).map((file) => [file, readFileSync(join(DEFAULT_POLICY_DIR, file), 'utf8')]);
    engine.activate(proposeBundle(bundle, {
      ...Object.fromEntries(shipped),
      'frozen.cedar': '@id("frozen-e-1")\nforbid (principal, action, resource == CompanyOS::Resource::"e-1");',
    }));
    expect(engine.authorize(ask('e-1')).decision).toBe('deny');
    expect(engine.authorize(ask('e-2')).decision).toBe('allow');
    engine.activate(bundle);
    expect(engine.authorize(ask('e-1')).decision).toBe('allow');
    // A change that names no resource: the same request, asked as before, is decided by the new bundle.
    engine.activate(proposeBundle(bundle, { ...Object.fromEntries(shipped), 'no-creates.cedar': '@id("no-creates")\nforbid (principal, action == CompanyOS::Action::"create", resource);' }));
    expect(engine.authorize(ask('e-1')).decision).toBe('deny');
  });

  it('remembers cases given in Cedar JSON per bundle, and answers a changed case afresh', () => {
    const engine = new PolicyEngine(loadPolicyBundle());
    const [policyCase] = JSON.parse(readFileSync(join(DEFAULT_POLICY_DIR, 'tests', 'dual-control.json'), 'utf8')) as { request: Parameters<PolicyEngine['evaluate']>[0]; entities: Parameters<PolicyEngine['evaluate']>[1] }[];
    const first = engine.evaluate(policyCase!.request, policyCase!.entities);
    first.reasons.push('tampered');
    expect(engine.evaluate(policyCase!.request, policyCase!.entities)).toEqual({ ...first, reasons: first.reasons.slice(0, -1) });
    const bundle = engine.bundle;
    const shipped = readdirSync(DEFAULT_POLICY_DIR).filter((file) => file.endsWith('.cedar')).map((file) => [file, readFileSync(join(DEFAULT_POLICY_DIR, file), 'utf8')]);
    engine.activate(proposeBundle(bundle, { ...Object.fromEntries(shipped), 'nothing.cedar': '@id("nothing")\nforbid (principal, action, resource);' }));
    const after = engine.evaluate(policyCase!.request, policyCase!.entities);
    expect(after.decision).toBe('deny');
    expect(first.reasons).not.toContain('nothing');
    expect(after.reasons).toContain('nothing');
  });
});
