import { readFile } from 'node:fs/promises';

/** ClickHouse's counters (`system.events`) that say what the writes of a window cost the server. */
const COUNTERS = ['InsertQuery', 'InsertedRows', 'InsertedBytes', 'SelectQuery', 'MergedRows', 'MergedUncompressedBytes', 'MergesTimeMilliseconds'] as const;
type Counters = Record<(typeof COUNTERS)[number], number>;

export interface ClickHouseWork {
  seconds: number;
  /** The server process's CPU over the window (utime + stime), when it runs on this machine. */
  cpuSeconds: number | undefined;
  counters: Counters;
}

/** Starts a window: `end()` answers what the server did in it (counter deltas, and CPU when `pid` is local). */
export async function clickHouseWindow(url: string, pid: number | undefined): Promise<{ end(): Promise<ClickHouseWork> }> {
  const [counters, cpu, started] = [await readCounters(url), await cpuSeconds(pid), performance.now()];
  return {
    async end() {
      const [after, cpuAfter] = [await readCounters(url), await cpuSeconds(pid)];
      const delta = Object.fromEntries(COUNTERS.map((name) => [name, after[name] - counters[name]])) as Counters;
      return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpu === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpu, counters: delta };
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
    `(${(c.MergedUncompressedBytes / Math.max(c.InsertedBytes, 1)).toFixed(1)}×), merging ${(c.MergesTimeMilliseconds / 1000 / seconds).toFixed(2)} threads busy${cpu}`;
}

async function readCounters(url: string): Promise<Counters> {
  const response = await fetch(`${url}/?query=${encodeURIComponent(`SELECT event, value FROM system.events WHERE event IN (${COUNTERS.map((c) => `'${c}'`).join(', ')}) FORMAT JSONEachRow`)}`);
  if (!response.ok) throw new Error(`ClickHouse's system.events answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  const counters = Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Counters;
  for (const line of (await response.text()).trim().split('\n').filter(Boolean)) {
    const { event, value } = JSON.parse(line) as { event: keyof Counters; value: string };
    counters[event] = Number(value);
  }
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
