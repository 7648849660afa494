import { readFile } from 'node:fs/promises';

/** ClickHouse's counters (`system.events`) that say what the writes of a window cost the server. */
const COUNTERS = ['InsertQuery', 'InsertedRows', 'InsertedBytes', 'SelectQuery', 'MergedRows', 'MergedUncompressedBytes', 'MergesTimeMilliseconds'] as const;
type Counters = Record<(typeof COUNTERS)[number], number>;

export interface ClickHouseWork {
  seconds: number;
  /** The server process's CPU over the window (utime + stime), when it runs on this machine. */
  cpuSeconds: number | undefined;
  counters: Counters;
  /** Parts each table of the database was given (its block numbers' advance: one per insert and partition, and per mutation), most first. Plain MergeTree only: replicated tables number blocks per partition. */
  insertsByTable: [string, number][];
}

/** Starts a window: `end()` answers what the server did in it (counter deltas, and CPU when `pid` is local). */
export async function clickHouseWindow(url: string, database: string, pid: number | undefined): Promise<{ end(): Promise<ClickHouseWork> }> {
  const [counters, blocks, cpu, started] = [await readCounters(url), await blockNumbers(url, database), await cpuSeconds(pid), performance.now()];
  return {
    async end() {
      const [after, blocksAfter, cpuAfter] = [await readCounters(url), await blockNumbers(url, database), await cpuSeconds(pid)];
      const delta = Object.fromEntries(COUNTERS.map((name) => [name, after[name] - counters[name]])) as Counters;
      const insertsByTable = [...blocksAfter].map(([table, n]): [string, number] => [table, n - (blocks.get(table) ?? 0)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
      return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpu === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpu, counters: delta, insertsByTable };
    },
  };
}

/** One line: inserts a second, merge write amplification (bytes merged ÷ bytes inserted), the server's CPU. */
export function describeWork(work: ClickHouseWork): string {
  const { counters: c, seconds } = work;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const cpu = work.cpuSeconds === undefined ? '' : `, server CPU ${(work.cpuSeconds / seconds).toFixed(2)} cores`;
  return `${(c.InsertQuery / seconds).toFixed(1)} inserts/s of ${Math.round(c.InsertedRows / Math.max(c.InsertQuery, 1))} rows; ` +
    `merges rewrote ${(c.MergedRows / 1e6).toFixed(2)}M rows, ${mb(c.MergedUncompressedBytes)} MB for ${mb(c.InsertedBytes)} MB inserted ` +
    `(${(c.MergedUncompressedBytes / Math.max(c.InsertedBytes, 1)).toFixed(1)}×), merging ${(c.MergesTimeMilliseconds / 1000 / seconds).toFixed(2)} threads busy${cpu}; ` +
    `new parts/s by table: ${work.insertsByTable.map(([table, n]) => `${table} ${(n / seconds).toFixed(1)}`).join(', ')}`;
}

/**
 * Waits until the server merges nothing in `database` and its count of active parts holds still, for two polls in a
 * row 250 ms apart (at most `maxMs`): a phase measured right after a bulk insert pays for merging what came before it.
 * Answers the seconds waited, and says so when it gave up.
 */
export async function mergesSettled(url: string, database: string, maxMs = 60_000): Promise<number> {
  const started = performance.now();
  const quoted = literal(database);
  let quiet = 0;
  let parts = -1;
  while (quiet < 2) {
    if (performance.now() - started > maxMs) {
      console.log(`ClickHouse was still merging after ${maxMs / 1000} s; measuring anyway`);
      break;
    }
    const [row] = await select<{ merging: string; parts: string }>(url,
      `SELECT (SELECT count() FROM system.merges WHERE database = ${quoted}) AS merging, (SELECT count() FROM system.parts WHERE database = ${quoted} AND active) AS parts`);
    const now = Number(row?.parts ?? 0);
    quiet = Number(row?.merging ?? 0) === 0 && now === parts ? quiet + 1 : 0;
    parts = now;
    if (quiet < 2) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return (performance.now() - started) / 1000;
}

/** Each MergeTree table's highest block number: one is taken per insert (per partition it writes) and per mutation. */
async function blockNumbers(url: string, database: string): Promise<Map<string, number>> {
  const rows = await select<{ table: string; block: string }>(url, `SELECT table, max(max_block_number) AS block FROM system.parts WHERE database = ${literal(database)} GROUP BY table`);
  return new Map(rows.map((row) => [row.table, Number(row.block)]));
}

/** A ClickHouse string literal. */
function literal(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function select<T>(url: string, sql: string): Promise<T[]> {
  const response = await fetch(`${url}/?query=${encodeURIComponent(`${sql} FORMAT JSONEachRow`)}`);
  if (!response.ok) throw new Error(`ClickHouse answered ${response.status} to ${sql.slice(0, 80)}: ${(await response.text()).slice(0, 200)}`);
  return (await response.text()).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

async function readCounters(url: string): Promise<Counters> {
  const rows = await select<{ event: keyof Counters; value: string }>(url, `SELECT event, value FROM system.events WHERE event IN (${COUNTERS.map((c) => `'${c}'`).join(', ')})`);
  const counters = Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Counters;
  for (const { event, value } of rows) counters[event] = Number(value);
  return counters;
}

/** utime + stime of a local process, from /proc (clock ticks of 1/100 s, as on Linux). */
export async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
