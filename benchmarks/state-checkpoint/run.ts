/**
 * What a DuckDB checkpoint costs the state store's writers, with random (v4) ids against time-ordered (v7) ids as keys.
 *
 *   npm run bench:state-checkpoint -- [--sizes 100000,300000,1000000] [--commits 4000] [--checkpoint-every 500] [--rounds 2]
 *
 * For each id scheme, in the same run: a fresh DuckDB file with a table shaped like a state table (tenant, id, payload)
 * and the unique index the state store gives it on (tenant_id, id). At each size in `--sizes` (rows loaded in bulk,
 * then checkpointed), `--commits` one-row commits from one connection (ten tenants round robin), while a second
 * connection checkpoints after every `--checkpoint-every` of them, as DuckDB does when its WAL reaches its threshold.
 * A commit sent while a checkpoint runs waits for it. Prints per scheme and size: commits/s, commit p50/p95/p99/max,
 * the commits that met a checkpoint (how many, their median and slowest), the checkpoints' mean and slowest, and
 * time-ordered against random as a ratio. `--rounds` alternates which scheme goes first.
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
    'checkpoint-every': { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const COMMITS = Number(args.commits);
const EVERY = Number(args['checkpoint-every']);
const ROUNDS = Number(args.rounds);
const TENANTS = 10;
const LOAD_BATCH = 10_000;
const LOAD_SQL = `INSERT INTO records SELECT unnest(from_json($1::JSON, '[{"t":"VARCHAR","id":"VARCHAR","p":"VARCHAR"}]'), recursive := true)`;

interface Figures {
  size: number;
  commitsPerSecond: number;
  commit: ReturnType<typeof percentiles>;
  /** Commits sent while a checkpoint ran. */
  waited: number[];
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
  const checkpoints: Promise<number>[] = [];
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
      const waited: number[] = [];
      checkpoints.length = 0;
      let checkpointRunning = false;
      const started = performance.now();
      for (let k = 0; k < COMMITS; k++) {
        if (k > 0 && k % EVERY === 0) {
          checkpointRunning = true;
          checkpoints.push(checkpoint(checkpointer).finally(() => (checkpointRunning = false)));
        }
        const metCheckpoint = checkpointRunning;
        const sent = performance.now();
        insert.bindVarchar(1, `tenant-${k % TENANTS}`);
        insert.bindVarchar(2, `rcpt-${newId()}`);
        insert.bindVarchar(3, 'payload');
        await insert.run();
        const ms = performance.now() - sent;
        latencies.push(ms);
        if (metCheckpoint) waited.push(ms);
      }
      const seconds = (performance.now() - started) / 1000;
      const checkpointMs = await Promise.all(checkpoints);
      loaded += COMMITS;
      figures.push({ size, commitsPerSecond: COMMITS / seconds, commit: percentiles(latencies), waited, checkpointMs });
    }
    insert.destroySync();
    return figures;
  } finally {
    await Promise.allSettled(checkpoints);
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
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

console.log(`state-checkpoint: a state-shaped table with a unique index on (tenant_id, id); at each size ${COMMITS.toLocaleString('en-US')} one-row commits, a checkpoint every ${EVERY.toLocaleString('en-US')}; ${ROUNDS} round(s), the first scheme alternating`);
const results = new Map<string, Figures[][]>(SCHEMES.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, newId] of round % 2 === 0 ? SCHEMES : [...SCHEMES].reverse()) results.get(name)!.push(await measure(newId));
}
console.log(`${'ids'.padEnd(20)} ${'round'.padStart(5)} ${'rows'.padStart(10)} ${'commits/s'.padStart(10)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)}  met a checkpoint: n, p50, max ms  checkpoint mean, max ms`);
for (const [name, rounds] of results) {
  rounds.forEach((figures, round) => {
    for (const f of figures) {
      const waited = percentiles(f.waited);
      console.log(`${name.padEnd(20)} ${String(round + 1).padStart(5)} ${f.size.toLocaleString('en-US').padStart(10)} ${fmt(f.commitsPerSecond, 0).padStart(10)} ${fmt(f.commit.p50, 2).padStart(7)} ${fmt(f.commit.p95, 2).padStart(7)} ${fmt(f.commit.p99).padStart(7)} ${fmt(f.commit.max).padStart(7)}  ${String(f.waited.length).padStart(16)}, ${fmt(waited.p50)}, ${fmt(waited.max)}  ${fmt(mean(f.checkpointMs))}, ${fmt(Math.max(...f.checkpointMs))}`);
    }
  });
}
const [before, after] = SCHEMES.map(([name]) => results.get(name)!) as [Figures[][], Figures[][]];
const summary: Record<string, number | string> = { benchmark: 'state-checkpoint', commits: COMMITS, checkpoint_every: EVERY, rounds: ROUNDS };
SIZES.forEach((size, i) => {
  const checkpointMs = (rounds: Figures[][]) => mean(rounds.flatMap((figures) => figures[i]!.checkpointMs));
  const waitedMax = (rounds: Figures[][]) => Math.max(...rounds.map((figures) => percentiles(figures[i]!.waited).max));
  const [b, a] = [checkpointMs(before), checkpointMs(after)];
  console.log(`at ${size.toLocaleString('en-US')} rows: a checkpoint takes ${fmt(a)} ms with time-ordered ids against ${fmt(b)} ms with random ones (${fmt(a / b, 2)}×); a commit that met one waited at most ${fmt(waitedMax(after))} against ${fmt(waitedMax(before))} ms`);
  summary[`random_checkpoint_ms_${size}`] = Number(b.toFixed(1));
  summary[`time_ordered_checkpoint_ms_${size}`] = Number(a.toFixed(1));
  summary[`ratio_${size}`] = Number((a / b).toFixed(3));
  summary[`random_waited_max_ms_${size}`] = Number(waitedMax(before).toFixed(1));
  summary[`time_ordered_waited_max_ms_${size}`] = Number(waitedMax(after).toFixed(1));
});
console.log(JSON.stringify(summary));
