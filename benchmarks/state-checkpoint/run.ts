/**
 * What a DuckDB checkpoint costs the state store's writers, with random (v4) ids against time-ordered (v7) ids as keys.
 *
 *   npm run bench:state-checkpoint -- [--sizes 100000,300000,1000000] [--commits 4000] [--checkpoint-every 2000]
 *
 * For each id scheme, in the same run: a fresh DuckDB file with a table shaped like a state table (tenant, id, payload)
 * and the unique index the state store gives it on (tenant_id, id). At each size in `--sizes` (rows loaded in bulk,
 * then checkpointed), `--commits` one-row commits from one connection (ten tenants round robin), while a second
 * connection checkpoints after every `--checkpoint-every` of them, as DuckDB does when its WAL reaches its threshold;
 * each commit's latency counts from when it was sent. Prints per scheme and size: commits/s, commit p50/p95/p99/max,
 * each checkpoint's duration, and time-ordered against random as a ratio.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { timeOrderedId } from '../../kernel/ids/index.ts';
import { percentiles } from '../lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,300000,1000000' },
    commits: { type: 'string', default: '4000' },
    'checkpoint-every': { type: 'string', default: '2000' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const COMMITS = Number(args.commits);
const EVERY = Number(args['checkpoint-every']);
const TENANTS = 10;
const LOAD_BATCH = 10_000;
const LOAD_SQL = `INSERT INTO records SELECT unnest(from_json($1::JSON, '[{"t":"VARCHAR","id":"VARCHAR","p":"VARCHAR"}]'), recursive := true)`;

interface Figures {
  size: number;
  commitsPerSecond: number;
  commit: ReturnType<typeof percentiles>;
  checkpointMs: number[];
}

const SCHEMES: [string, () => string][] = [
  ['random (v4, before)', () => randomUUID()],
  ['time-ordered (v7)', () => timeOrderedId()],
];

async function measure(newId: () => string): Promise<Figures[]> {
  const dir = await mkdtemp(join(tmpdir(), 'companyos-bench-checkpoint-'));
  const instance = await DuckDBInstance.create(join(dir, 'state.duckdb'), { threads: '1', checkpoint_threshold: '1GB' });
  const writer = await instance.connect();
  const checkpointer = await instance.connect();
  try {
    await writer.run('CREATE TABLE records (tenant_id VARCHAR NOT NULL, record_id VARCHAR NOT NULL, payload VARCHAR NOT NULL)');
    await writer.run('CREATE UNIQUE INDEX records_unique_1 ON records (tenant_id, record_id)');
    const insert = await writer.prepare('INSERT INTO records VALUES ($1, $2, $3)');
    const figures: Figures[] = [];
    let loaded = 0;
    for (const size of SIZES) {
      while (loaded < size) {
        const count = Math.min(LOAD_BATCH, size - loaded);
        const rows = Array.from({ length: count }, (_, i) => ({ t: `tenant-${(loaded + i) % TENANTS}`, id: `rcpt-${newId()}`, p: 'x'.repeat(120) }));
        await writer.run(LOAD_SQL, [JSON.stringify(rows)]);
        loaded += count;
      }
      await writer.run('CHECKPOINT');
      const latencies: number[] = [];
      const checkpoints: Promise<number>[] = [];
      const started = performance.now();
      for (let k = 0; k < COMMITS; k++) {
        if (k > 0 && k % EVERY === 0) checkpoints.push(checkpoint(checkpointer));
        const sent = performance.now();
        insert.bindVarchar(1, `tenant-${k % TENANTS}`);
        insert.bindVarchar(2, `rcpt-${newId()}`);
        insert.bindVarchar(3, 'payload');
        await insert.run();
        latencies.push(performance.now() - sent);
      }
      checkpoints.push(checkpoint(checkpointer));
      const checkpointMs = await Promise.all(checkpoints);
      const seconds = (performance.now() - started) / 1000;
      loaded += COMMITS;
      figures.push({ size, commitsPerSecond: COMMITS / seconds, commit: percentiles(latencies), checkpointMs });
    }
    return figures;
  } finally {
    writer.closeSync();
    checkpointer.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

async function checkpoint(connection: DuckDBConnection): Promise<number> {
  const started = performance.now();
  await connection.run('CHECKPOINT');
  return performance.now() - started;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
console.log(`state-checkpoint: a state-shaped table with a unique index on (tenant_id, id); at each size ${COMMITS.toLocaleString('en-US')} one-row commits, a checkpoint every ${EVERY.toLocaleString('en-US')}`);
const results = new Map<string, Figures[]>();
for (const [name, newId] of SCHEMES) results.set(name, await measure(newId));
console.log(`${'ids'.padEnd(22)} ${'rows'.padStart(10)} ${'commits/s'.padStart(10)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)}  checkpoints ms`);
for (const [name, figures] of results) {
  for (const f of figures) {
    console.log(`${name.padEnd(22)} ${f.size.toLocaleString('en-US').padStart(10)} ${fmt(f.commitsPerSecond, 0).padStart(10)} ${fmt(f.commit.p50, 2).padStart(7)} ${fmt(f.commit.p95, 2).padStart(7)} ${fmt(f.commit.p99).padStart(7)} ${fmt(f.commit.max).padStart(7)}  ${f.checkpointMs.map((ms) => fmt(ms)).join(', ')}`);
  }
}
const [before, after] = [...results.values()] as [Figures[], Figures[]];
const summary: Record<string, number | string> = { benchmark: 'state-checkpoint', commits: COMMITS, checkpoint_every: EVERY };
for (let i = 0; i < SIZES.length; i++) {
  const mean = (f: Figures) => f.checkpointMs.reduce((a, b) => a + b, 0) / f.checkpointMs.length;
  const [b, a] = [before[i]!, after[i]!];
  console.log(`at ${b.size.toLocaleString('en-US')} rows: a checkpoint takes ${fmt(mean(a))} ms with time-ordered ids against ${fmt(mean(b))} ms with random ones (${fmt(mean(a) / mean(b), 2)}×); the slowest commit ${fmt(a.commit.max)} against ${fmt(b.commit.max)} ms`);
  summary[`random_checkpoint_ms_${b.size}`] = Number(mean(b).toFixed(1));
  summary[`time_ordered_checkpoint_ms_${b.size}`] = Number(mean(a).toFixed(1));
  summary[`random_commit_max_ms_${b.size}`] = Number(b.commit.max.toFixed(1));
  summary[`time_ordered_commit_max_ms_${b.size}`] = Number(a.commit.max.toFixed(1));
}
console.log(JSON.stringify(summary));
