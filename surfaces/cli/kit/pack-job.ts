import type { PlatformClient } from './platform-client.ts';

/** What a scheduled job works through: the platform as the CLI reaches it (gated and receipted, local or over the API). */
export interface PackJobContext {
  client: PlatformClient;
  /** When it fired: the period a job works on is derived from it. */
  now: Date;
}

/** A job a schedule file runs by name (`run: finops.invoices`), besides builds. */
export interface PackJob {
  /** `<pack>.<job>`. */
  readonly name: string;
  /** One sentence: what it does each time. */
  readonly description: string;
  /** Does it once; answers a line for the log. */
  run(context: PackJobContext): Promise<string>;
}
