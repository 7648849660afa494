import type { RejectionCode } from './rejection-codes.ts';

/** Where events came from: recorded on every row and every parked event. */
export type Channel = 'http' | 'file' | 'kafka' | 'seed';

export interface IngestContext {
  channel: Channel;
  /** Tenant of whoever submitted the events; parked events without a tenant are filed under it. */
  submitter: string;
  receivedAt?: Date;
}

export interface Rejection {
  index: number;
  id: string | null;
  code: RejectionCode;
  message: string;
}

/** Input that never became an event (not JSON, too large or too deeply nested to read): parked with its raw text. */
export class UnparsedEvent {
  constructor(
    readonly raw: string,
    readonly reason: string,
    readonly code: RejectionCode = 'EVENT_NOT_JSON',
  ) {}
}
