import { timeOrderedId } from '../../kernel/ids/index.ts';
import type { SqlValue } from '../../kernel/warehouse/index.ts';
import { UnparsedEvent, type IngestContext, type Rejection } from './candidate.ts';
import type { RejectionCode } from './rejection-codes.ts';

/** Parked events of one batch: `events_quarantine` rows (QUARANTINE_COLUMNS) and the rejections that answer them. */
export class Quarantine {
  readonly rows: SqlValue[][] = [];
  readonly rejected: Rejection[] = [];

  constructor(
    private readonly context: IngestContext,
    private readonly receivedAt: Date,
  ) {}

  park(index: number, candidate: unknown, code: RejectionCode, message: string): void {
    const attrs: Record<string, unknown> = isObject(candidate) ? candidate : {};
    const id = typeof attrs.id === 'string' ? attrs.id : null;
    this.rejected.push({ index, id, code, message });
    this.rows.push([
      typeof attrs.tenantid === 'string' && attrs.tenantid ? attrs.tenantid : this.context.submitter,
      timeOrderedId(),
      this.receivedAt,
      this.context.channel,
      index,
      id,
      typeof attrs.source === 'string' ? attrs.source : null,
      code,
      message,
      candidate instanceof UnparsedEvent ? candidate.raw : payloadOf(candidate),
    ]);
  }
}

/** The candidate as JSON for quarantine; one that cannot be serialized (nested too deep, cyclic) is described instead. */
function payloadOf(candidate: unknown): string {
  try {
    return JSON.stringify(candidate) ?? 'null';
  } catch (error) {
    return JSON.stringify({ unserializable: isStackOverflow(error) ? 'nested too deep to serialize' : 'not serializable' });
  }
}

export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
