/** A CloudEvent the platform makes about its own operations (a workflow transition, a lead taken), for a tenant's stream. */
export interface PlatformEvent {
  specversion: '1.0';
  /** Derived from what it records, so a resend after a crash is deduplicated. */
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  tenantid: string;
  data: Record<string, unknown>;
}
