import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../kernel/schemas/index.ts';
import { openWarehouse } from '../kernel/warehouse/index.ts';
import { IngestPipeline } from '../platform/ingest/index.ts';
import { meterModelName, parseMeters, tenantZeroWeek } from '../packs/metering/index.ts';
import { migratePlatform } from '../surfaces/compose/index.ts';
import { killAllCliProcesses, runCli, spawnCli, TempDirs } from './support/cli.ts';
import { expectedMeterRows, meterRowLines } from './support/meter-oracle.ts';

afterEach(async () => {
  await killAllCliProcesses();
});

const PROGRESS = /^ *\d+\/\d+ (OK|ERROR|SKIP) /gm;

async function ingest(dataDir: string, events: readonly CloudEvent[]): Promise<void> {
  const warehouse = await openWarehouse({ engine: 'duckdb', dataDir });
  try {
    await migratePlatform(warehouse);
    await new IngestPipeline(warehouse).ingest([...events], { channel: 'seed', submitter: 'summit-internal' });
  } finally {
    await warehouse.close();
  }
}

describe('a build killed mid-way (kill -9), four models at once', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('leaves each model as before or after its merge: the next build counts every event once', { timeout: 240_000 }, async () => {
    const dataDir = await dirs.make();
    const week = tenantZeroWeek(new Date('2026-11-22T10:00:00Z')).slice(0, 2400);
    const events = [...week, ...week.slice(0, 600).map((e) => ({ ...e, id: `acme-${e.id}`, tenantid: 'acme' }))];
    const batches = [0, 1, 2, 3].map((i) => events.filter((_, at) => at % 4 === i));
    await ingest(dataDir, batches[0]!);
    expect((await runCli(['build'], { dataDir, timeoutMs: 120_000 })).code).toBe(0);

    // Killed after 2, 11 and 20 of the 30 models and seeds were done: three others in flight each time (selecting, merging, testing).
    for (const [batch, finished] of [[1, 2], [2, 11], [3, 20]] as const) {
      await ingest(dataDir, batches[batch]!);
      const child = spawnCli(['build', '--threads', '4'], dataDir);
      const exited = once(child, 'exit');
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if ((out.match(PROGRESS)?.length ?? 0) >= finished) child.kill('SIGKILL');
      });
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      expect({ code, signal }, out).toEqual({ code: null, signal: 'SIGKILL' });
    }

    const last = await runCli(['build'], { dataDir, timeoutMs: 120_000 });
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect(last.stdout).toMatch(/ERROR=0 SKIP=0/);
    const { meters } = parseMeters('meters.yaml', await readFile('models/meters.yaml', 'utf8'));
    const warehouse = await openWarehouse({ engine: 'duckdb', dataDir });
    try {
      let counted = 0;
      for (const meter of meters) {
        const rows = await warehouse.query(`SELECT * FROM ${meterModelName(meter)}`);
        expect(meterRowLines(meter, rows), meter.name).toEqual(expectedMeterRows(meter, events));
        counted += rows.length;
      }
      expect(counted).toBeGreaterThan(100);
    } finally {
      await warehouse.close();
    }
  });
});
