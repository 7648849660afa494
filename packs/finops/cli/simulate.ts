import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { toCsv, toNdjson } from '../../../platform/ingest/index.ts';
import { DEFAULT_SIMULATION, simulate, simulatedBillCsv } from '../index.ts';
import { loadConfig } from '../../../surfaces/cli/kit/index.ts';
import { connectPlatform } from '../../../surfaces/cli/kit/index.ts';
import { positiveInteger } from '../../../surfaces/cli/kit/index.ts';

const EVENT_BATCH = 5_000;

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'Generate tenant workloads as metering events and the matching FOCUS bill (shared databases, per-tenant resources, a commitment ' +
        'with amortization and idle capacity, credits, tax, a correction), plus each tenant\'s true cost. Loads the events and the true ' +
        'costs; then run `companyos bills import <out>/bill.csv` and `companyos build`, which prints attribution accuracy.',
    )
    .option('--tenants <n>', 'number of tenants', positiveInteger, DEFAULT_SIMULATION.tenants)
    .option('--days <n>', 'number of days', positiveInteger, DEFAULT_SIMULATION.days)
    .option('--seed <n>', 'random seed (same seed, same data)', positiveInteger, DEFAULT_SIMULATION.seed)
    .option('--start <date>', 'first day (UTC)', DEFAULT_SIMULATION.start.toISOString().slice(0, 10))
    .option('--event-loss <ratio>', 'share of usage events lost in transit', String(DEFAULT_SIMULATION.eventLoss))
    .option('--out <dir>', 'where bill.csv, events.ndjson and true-costs.csv go', 'simulation')
    .action(async (options: { tenants: number; days: number; seed: number; start: string; eventLoss: string; out: string }) => {
      const start = new Date(`${options.start}T00:00:00Z`);
      const eventLoss = Number(options.eventLoss);
      if (Number.isNaN(start.getTime())) throw new Error(`--start "${options.start}" is not a date (YYYY-MM-DD)`);
      if (!(eventLoss >= 0 && eventLoss < 1)) throw new Error(`--event-loss "${options.eventLoss}" must be at least 0 and below 1`);
      const simulation = simulate({ tenants: options.tenants, days: options.days, seed: options.seed, start, eventLoss });
      const out = resolve(options.out);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'bill.csv'), simulatedBillCsv(simulation.bill));
      await writeFile(join(out, 'events.ndjson'), toNdjson(simulation.events));
      await writeFile(join(out, 'true-costs.csv'), toCsv(simulation.trueCosts));
      const { summary } = simulation;
      console.log(
        `Simulated ${summary.tenants} tenants × ${summary.days} days: ${summary.events} events (${summary.eventsLost} lost in transit), ` +
          `${summary.billRows} bill rows billing ${summary.billedTotal} USD; tenants' true cost ${summary.trueTotal} USD. Files in ${out}.`,
      );
      const client = await connectPlatform(loadConfig());
      try {
        let accepted = 0;
        for (let i = 0; i < simulation.events.length; i += EVENT_BATCH) {
          accepted += (await client.ingest(simulation.events.slice(i, i + EVENT_BATCH), 'summit-internal')).accepted;
        }
        const simulationId = `${new Date().toISOString()}-seed-${options.seed}`;
        await client.recordTrueCosts(simulationId, simulation.trueCosts);
        console.log(`Loaded ${accepted} events and the true costs (simulation ${simulationId}) into ${client.description}.`);
        console.log(`Next: companyos bills import ${join(options.out, 'bill.csv')} && companyos build`);
      } finally {
        await client.close();
      }
    });
}
