import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { loadPolicyBundle as loadBundle } from '../kernel/policies/bundle.ts';
import { PolicyEngine } from '../kernel/policies/engine.ts';
const bundle = loadBundle();
const engine = new PolicyEngine(bundle);
const req = (i: number) => ({ principal: { id: 't1/ops', tenant: 't1', roles: ['operator'], env: 'dev', region: 'local' }, action: 'create' as const, resource: { id: `e-${i}`, tenant: 't1', kind: 'Entity', data_class: 'internal', region: 'local' }, context: { env: 'dev' } });
for (let i = 0; i < 2000; i++) engine.authorize(req(i));
let t = performance.now(); const N = 5000;
for (let i = 0; i < N; i++) engine.authorize(req(i));
console.log('authorize ms each', ((performance.now() - t) / N).toFixed(3), engine.authorize(req(1)));
const e: any = engine;
const orig = cedar.statefulIsAuthorized;
for (const variant of ['noValidate', 'noSchema']) {
  const call = (i: number) => {
    const r = req(i);
    return orig({ principal: { type: 'CompanyOS::User', id: r.principal.id }, action: { type: 'CompanyOS::Action', id: 'create' }, resource: { type: 'CompanyOS::Resource', id: r.resource.id }, context: { env: 'dev' },
      entities: [e.principalEntity(r.principal), { uid: { type: 'CompanyOS::Resource', id: r.resource.id }, attrs: { tenant: 't1', kind: 'Entity', data_class: 'internal', region: 'local' }, parents: [] }],
      preparsedPolicySetId: e.policySetId, ...(variant === 'noSchema' ? {} : { preparsedSchemaName: e.schemaName }), validateRequest: false } as any);
  };
  for (let i = 0; i < 1000; i++) call(i);
  t = performance.now();
  for (let i = 0; i < N; i++) call(i);
  console.log(variant, ((performance.now() - t) / N).toFixed(3), JSON.stringify(call(1)).slice(0, 200));
}
