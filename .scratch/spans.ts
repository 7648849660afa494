import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWarehouse } from '../kernel/warehouse/index.ts';
import { DuckDBStateStore } from '../kernel/state/duckdb-state-store.ts';
import { LedgerStore } from '../platform/governance/ledger-store.ts';
import { PolicyEngine } from '../kernel/policies/engine.ts';
import { DecisionLog } from '../platform/governance/decision-log.ts';
import { EntityStore } from '../platform/governance/entities/entity-store.ts';
import { IngestPipeline } from '../platform/ingest/pipeline.ts';
import { DuckDBWarehouse } from '../kernel/warehouse/duckdb/duckdb-warehouse.ts';
import { CachedConnection } from '../kernel/state/duckdb-connection-pool.ts';
import { buildServer } from '../surfaces/http/index.ts';
import { migratePlatform } from '../surfaces/compose/index.ts';
import { TokenAuthority } from '../platform/identity/index.ts';

const spans = new Map<string, { n: number; ms: number }>();
function wrap(proto: any, name: string, label: string) {
  const orig = proto[name];
  if (!orig) { console.log('no', label); return; }
  proto[name] = function (...args: unknown[]) {
    const t = performance.now();
    const r = orig.apply(this, args);
    const done = () => { const s = spans.get(label) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t; spans.set(label, s); };
    if (r && typeof r.then === 'function') return r.finally(done);
    done(); return r;
  };
}
wrap(DuckDBStateStore.prototype, 'transaction', 'state.transaction');
wrap(DuckDBStateStore.prototype, 'query', 'state.query');
wrap(DuckDBStateStore.prototype, 'snapshot', 'state.snapshot');
wrap(CachedConnection.prototype, 'runScript', 'conn.runScript');
wrap(CachedConnection.prototype, 'read', 'conn.read');
wrap(CachedConnection.prototype, 'runPlain', 'conn.runPlain');
wrap(LedgerStore.prototype, 'append', 'ledger.append');
wrap(PolicyEngine.prototype, 'authorize', 'cedar.authorize');
wrap(DecisionLog.prototype, 'record', 'decisions.record');
wrap(IngestPipeline.prototype, 'ingest', 'pipeline.ingest');
wrap(DuckDBWarehouse.prototype, 'query', 'warehouse.query');
for (const k of Object.getOwnPropertyNames(EntityStore.prototype)) if (k !== 'constructor' && typeof (EntityStore.prototype as any)[k] === 'function') wrap(EntityStore.prototype, k, `entities.${k}`);

const dir = await mkdtemp(join(tmpdir(), 'spans-'));
const warehouse = await openWarehouse({ engine: 'duckdb', dataDir: dir });
await migratePlatform(warehouse);
const tokens = new TokenAuthority('x'.repeat(40));
const app = await buildServer({ warehouse, tokens, logLevel: 'silent', state: { dataDir: dir } } as any);
const ops = await tokens.mint({ tenant: 't1', roles: ['operator'], subject: 'ops', env: 'dev', region: 'local' } as any);
const flow = process.argv[2] ?? 'create';
const N = Number(process.argv[3] ?? 200);
const call = (i: number) => flow === 'create'
  ? app.inject({ method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${ops}` }, payload: { type: 'Asset', name: `a${i}` } })
  : app.inject({ method: 'POST', url: '/v1/workflows/types/temporary-access/runs', headers: { authorization: `Bearer ${ops}` }, payload: { rationale: { category: 'support', text: `benchmark access request #${i}` }, params: { grantee: `oncall-${i % 50}`, role: 'reader', duration_minutes: 30 } } });
for (let i = 0; i < 30; i++) { const r = await call(i); if (r.statusCode >= 300) { console.log(r.statusCode, r.body); process.exit(1); } }
spans.clear();
const lat: number[] = [];
const t0 = performance.now();
for (let i = 0; i < N; i++) { const t = performance.now(); await call(1000 + i); lat.push(performance.now() - t); }
const total = performance.now() - t0;
lat.sort((a, b) => a - b);
console.log(`${flow}: ${N} sequential, mean ${(total / N).toFixed(2)} ms, p50 ${lat[N / 2]!.toFixed(2)} p95 ${lat[Math.floor(N * 0.95)]!.toFixed(2)}`);
for (const [k, s] of [...spans].sort((a, b) => b[1].ms - a[1].ms)) console.log(k.padEnd(28), `${(s.n / N).toFixed(2)}/req`.padStart(10), `${(s.ms / N).toFixed(2)} ms/req`.padStart(14), `${(s.ms / s.n).toFixed(2)} ms each`.padStart(14));
await app.close();
process.exit(0);
