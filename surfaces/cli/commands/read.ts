import { InvalidArgumentError, type Command } from 'commander';
import { TENANT_ZERO } from '../../../platform/tenancy/index.ts';
import { loadConfig } from '../kit/index.ts';
import { connectPlatform } from '../kit/index.ts';
import { positiveInteger } from '../kit/index.ts';

/** `companyos events` and `companyos quarantine`: read a tenant's rows back, as a table or NDJSON. */
export function registerReadCommands(program: Command): void {
  program
    .command('events')
    .description("List a tenant's stored events, oldest first.")
    .option('--tenant <tenant>', 'tenant to read', TENANT_ZERO)
    .option('--type <type>', 'only this event type')
    .option('--from <time>', 'from this RFC 3339 time (inclusive)', rfc3339)
    .option('--to <time>', 'up to this RFC 3339 time (exclusive)', rfc3339)
    .option('--limit <n>', 'at most this many (1-1000)', positiveInteger, 20)
    .option('--json', 'print NDJSON CloudEvents instead of a table')
    .action(async (options: { tenant: string; type?: string; from?: Date; to?: Date; limit: number; json?: boolean }) => {
      const client = await connectPlatform(loadConfig());
      try {
        const page = await client.events(options.tenant, { ...options, limit: Math.min(options.limit, 1000) });
        if (options.json) return page.events.forEach((e) => console.log(JSON.stringify(e)));
        printTable(
          page.events.map((e) => ({ time: e.time, type: e.type, source: e.source, id: e.id, data: JSON.stringify(e.data ?? null) })),
        );
        if (page.next_cursor) console.log(`(more: raise --limit or narrow with --from/--to/--type)`);
      } finally {
        await client.close();
      }
    });

  program
    .command('quarantine')
    .description("List a tenant's parked events, newest first, with the reason each was refused.")
    .option('--tenant <tenant>', 'tenant to read', TENANT_ZERO)
    .option('--reason <code>', 'only this reason code, e.g. EVENT_MISSING_TENANT')
    .option('--limit <n>', 'at most this many (1-1000)', positiveInteger, 20)
    .option('--json', 'print NDJSON instead of a table')
    .action(async (options: { tenant: string; reason?: string; limit: number; json?: boolean }) => {
      const client = await connectPlatform(loadConfig());
      try {
        const page = await client.quarantine(options.tenant, { ...options, limit: Math.min(options.limit, 1000) });
        if (options.json) return page.items.forEach((item) => console.log(JSON.stringify(item)));
        printTable(
          page.items.map((i) => ({ received: i.received_at, channel: i.channel, event: i.event_id ?? '', reason: i.reason_code, why: i.reason_text })),
        );
      } finally {
        await client.close();
      }
    });
}

function rfc3339(value: string): Date {
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not an RFC 3339 time such as 2026-11-22T00:00:00Z.`);
  }
  return new Date(time);
}

function printTable(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return console.log('(none)');
  const columns = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    const text = String(v ?? '');
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(columns));
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))));
}
