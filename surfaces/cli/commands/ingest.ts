import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { positiveInteger } from '../kit/index.ts';
import { readEventFile } from '../../../platform/ingest/index.ts';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { loadConfig } from '../kit/index.ts';
import { connectPlatform, type IngestReply } from '../kit/index.ts';

const SHOWN_REJECTIONS = 20;

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('Load events from NDJSON or JSON-array files; invalid events are parked in quarantine with their reason.')
    .argument('<files...>', 'files of CloudEvents: one JSON object per line, or one JSON array')
    .option('--tenant <tenant>', 'tenant submitting the files (parked events without a tenantid are filed under it)', TENANT_ZERO)
    .option('--batch-size <n>', 'events per write', positiveInteger, 1000)
    .addHelpText(
      'after',
      '\nGoes through the running platform when `companyos start` is up, and opens the warehouse directly when not.',
    )
    .action(async (files: string[], options: { tenant: string; batchSize: number }) => {
      const client = await connectPlatform(loadConfig());
      try {
        for (const file of files) await ingestFile(file, options, (events, tenant) => client.ingest(events, tenant), client.description);
      } finally {
        await client.close();
      }
    });
}

type Send = (events: unknown[], tenant: string) => Promise<IngestReply>;

async function ingestFile(file: string, options: { tenant: string; batchSize: number }, send: Send, target: string) {
  const started = performance.now();
  const totals = { events: 0, accepted: 0, duplicates: 0, rejected: 0 };
  const shown: string[] = [];
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: `${file} [{bar}] {percentage}% | {events} events | {eta_formatted} left`, stream: process.stderr })
    : undefined;
  let barStarted = false;
  for await (const batch of readEventFile(file, options.batchSize)) {
    if (bar && !barStarted) {
      bar.start(batch.totalBytes, 0, { events: 0 });
      barStarted = true;
    }
    const result = await send(batch.events, options.tenant);
    totals.events += batch.events.length;
    totals.accepted += result.accepted;
    totals.duplicates += result.duplicates;
    totals.rejected += result.rejected.length;
    for (const rejection of result.rejected) {
      if (shown.length < SHOWN_REJECTIONS) shown.push(describeRejection(file, batch.lines, rejection));
    }
    bar?.update(batch.bytesRead, { events: totals.events });
  }
  bar?.stop();
  for (const line of shown) console.error(line);
  if (totals.rejected > shown.length) console.error(`… and ${totals.rejected - shown.length} more; see \`companyos quarantine\`.`);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${file}: ${totals.events} events → accepted ${totals.accepted}, duplicates ${totals.duplicates}, ` +
      `rejected ${totals.rejected}${totals.rejected ? ' (parked in quarantine)' : ''} ` +
      `in ${seconds.toFixed(1)}s (${Math.round(totals.events / Math.max(seconds, 1e-3))} events/s) via ${target}`,
  );
}

function describeRejection(file: string, lines: number[], rejection: IngestReply['rejected'][number]): string {
  const id = rejection.id ? ` event ${rejection.id}` : '';
  return `${file}:${lines[rejection.index]}:${id} ${rejection.code}: ${rejection.message}`;
}

