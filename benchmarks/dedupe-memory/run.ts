/**
 * What the platform keeps in memory per key, measured: the ingest dedupe index and the bounded caches.
 *
 *   npm run bench:dedupe-memory -- [--keys 10000000] [--baseline-keys 1000000]
 *
 * 1. The dedupe index (`DigestSet`) holding `--keys` event keys (tenant, source, id): bytes per key from
 *    the process's typed-array memory, adds/s and the p50/p95/p99 of a batch of 1,000 lookups of new keys
 *    (what ingest asks per batch). Baseline in the same run: a `Set` of the keys' hex digests (how a
 *    dedupe index is usually written), `--baseline-keys` keys, bytes per key from the heap.
 * 2. Each bounded cache filled to its capacity, heap bytes it holds: the entity cache (200,000 entities),
 *    Cedar's remembered decisions (20,000), verified tokens (10,000).
 * Budget (issue 23): ≤ 40 bytes per dedupe key, so 100M keys in ≤ 4 GB; the caches' total stays flat as
 * keys grow. Run with `--keys 100000000` to see the 100M figure (about 3 minutes, 4 GB).
 */
import { parseArgs } from 'node:util';
import { dedupeDigest, DigestSet } from '../../kernel/warehouse/index.ts';
import { EntityCache } from '../../platform/governance/index.ts';
import { loadPolicyBundle, PolicyEngine } from '../../kernel/policies/index.ts';
import { TokenAuthority } from '../../platform/identity/index.ts';
import { percentiles } from '../lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '10000000' },
    'baseline-keys': { type: 'string', default: '1000000' },
  },
});
const KEYS = Number(args.keys);
const BASELINE_KEYS = Number(args['baseline-keys']);
const LOOKUP_BATCH = 1_000;
const BUDGET_BYTES_PER_KEY = 40;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:dedupe-memory does)');
function settledMemory(): NodeJS.MemoryUsage {
  gc!();
  gc!();
  return process.memoryUsage();
}
const keyOf = (i: number) => dedupeDigest(['tenant-' + (i % 100), 'urn:companyos:bench', `event-${i}`]);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function dedupeIndex() {
  const before = settledMemory();
  const set = new DigestSet();
  const started = performance.now();
  for (let i = 0; i < KEYS; i++) set.add(keyOf(i));
  const addSeconds = (performance.now() - started) / 1000;
  const after = settledMemory();
  const lookups: number[] = [];
  let found = 0;
  for (let batch = 0; batch < 1_000; batch++) {
    const digests: Buffer[] = [];
    for (let i = 0; i < LOOKUP_BATCH; i++) digests.push(keyOf(KEYS + batch * LOOKUP_BATCH + i));
    const at = performance.now();
    for (let i = 0; i < digests.length; i++) if (set.has(digests[i]!)) found++;
    lookups.push(performance.now() - at);
  }
  if (found > 0) throw new Error(`${found} new keys were found in the index`);
  const held = after.arrayBuffers - before.arrayBuffers;
  return { keys: set.size, bytes: set.bytes, held, rss: after.rss - before.rss, addsPerSecond: KEYS / addSeconds, lookups: percentiles(lookups) };
}

function hexSetBaseline() {
  const before = settledMemory();
  const set = new Set<string>();
  const started = performance.now();
  for (let i = 0; i < BASELINE_KEYS; i++) set.add(keyOf(i).toString('hex'));
  const addSeconds = (performance.now() - started) / 1000;
  const after = settledMemory();
  return { keys: set.size, held: after.heapUsed - before.heapUsed, addsPerSecond: BASELINE_KEYS / addSeconds };
}

function heldBy(fill: () => unknown): number {
  const before = settledMemory();
  const kept = fill();
  const after = settledMemory();
  if (!kept) throw new Error('nothing kept');
  return after.heapUsed - before.heapUsed;
}

function entityCache(): { entries: number; held: number } {
  const entries = 200_000;
  const held = heldBy(() => {
    const cache = new EntityCache();
    for (let i = 0; i < entries * 2; i++) {
      const id = `svc-${i}`;
      cache.set('tenant-' + (i % 100), id, {
        id, tenant: 'tenant-' + (i % 100), type: 'Asset', name: `Service ${i}`, data_class: 'internal', region: 'eu-west-1',
        attributes: { owner: `team-${i % 40}`, tier: i % 3 }, version: 1, updated_at: new Date(1_780_000_000_000 + i).toISOString(),
      }, 1);
    }
    return cache;
  });
  return { entries, held };
}

function rememberedDecisions(): { entries: number; held: number } {
  const entries = 20_000;
  const engine = new PolicyEngine(loadPolicyBundle());
  const held = heldBy(() => {
    for (let i = 0; i < entries * 2; i++) {
      engine.authorize({
        principal: { id: `acme/user-${i}`, tenant: 'acme', roles: ['writer'], env: 'dev', region: 'local' },
        action: 'create',
        resource: { id: `e-${i}`, tenant: 'acme', kind: 'entity', data_class: 'internal', region: 'local' },
        context: { env: 'dev' },
      });
    }
    return engine;
  });
  return { entries, held };
}

async function verifiedTokens(): Promise<{ entries: number; held: number }> {
  const entries = 9_999;
  const authority = new TokenAuthority('benchmark-secret-benchmark-secret-0123456789');
  const tokens = await Promise.all(Array.from({ length: entries }, (_, i) => authority.mint({ tenant: 'acme', roles: ['writer'], subject: `user-${i}` })));
  const before = settledMemory();
  for (const token of tokens) await authority.verify(`Bearer ${token}`);
  const after = settledMemory();
  return { entries, held: after.heapUsed - before.heapUsed };
}

console.log(`dedupe-memory: ${KEYS.toLocaleString('en-US')} keys in the dedupe index, ${BASELINE_KEYS.toLocaleString('en-US')} in the Set baseline`);
const index = dedupeIndex();
const baseline = hexSetBaseline();
const indexPerKey = index.held / index.keys;
const baselinePerKey = baseline.held / baseline.keys;
const caches = { entity: entityCache(), decisions: rememberedDecisions(), tokens: await verifiedTokens() };
const cachesHeld = caches.entity.held + caches.decisions.held + caches.tokens.held;

const rows = [
  ['dedupe index (DigestSet)', index.keys.toLocaleString('en-US'), mb(index.held), indexPerKey.toFixed(1), Math.round(index.addsPerSecond).toLocaleString('en-US')],
  ['Set of hex digests (baseline)', baseline.keys.toLocaleString('en-US'), mb(baseline.held), baselinePerKey.toFixed(1), Math.round(baseline.addsPerSecond).toLocaleString('en-US')],
];
console.log(['structure', 'keys', 'held', 'bytes/key', 'adds/s'].join(' | '));
for (const row of rows) console.log(row.join(' | '));
console.log(`lookups of 1,000 new keys (one ingest batch): p50 ${index.lookups.p50.toFixed(3)} ms, p95 ${index.lookups.p95.toFixed(3)} ms, p99 ${index.lookups.p99.toFixed(3)} ms`);
console.log(`dedupe index: ${indexPerKey.toFixed(1)} bytes/key = ${(indexPerKey / baselinePerKey).toFixed(2)}× the Set baseline; budget ${BUDGET_BYTES_PER_KEY} bytes/key: ${indexPerKey <= BUDGET_BYTES_PER_KEY ? 'met' : 'MISSED'}; 100M keys would take ${mb(indexPerKey * 1e8)}`);
console.log(`caches at capacity: entity cache ${caches.entity.entries.toLocaleString('en-US')} entities ${mb(caches.entity.held)}, remembered decisions ${caches.decisions.entries.toLocaleString('en-US')} ${mb(caches.decisions.held)}, verified tokens ${caches.tokens.entries.toLocaleString('en-US')} ${mb(caches.tokens.held)}; together ${mb(cachesHeld)}`);
console.log(JSON.stringify({
  benchmark: 'dedupe-memory', keys: index.keys, index_bytes_per_key: Number(indexPerKey.toFixed(1)), baseline_bytes_per_key: Number(baselinePerKey.toFixed(1)),
  ratio: Number((indexPerKey / baselinePerKey).toFixed(3)), lookup_batch_p99_ms: Number(index.lookups.p99.toFixed(3)), caches_bytes: cachesHeld,
}));
