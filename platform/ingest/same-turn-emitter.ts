import type { PlatformEvent } from './platform-event.ts';

export type Emit = (tenant: string, events: readonly PlatformEvent[]) => Promise<void>;

/**
 * `send`, with the events one tenant emits in the same turn going to it as one call: a workflow
 * committing two transitions at once meters both through one pass of the ingest pipeline (one
 * dedupe and one insert, not two). Every caller of the turn learns the one call's outcome.
 */
export function sameTurnEmitter(send: Emit): Emit {
  const gathering = new Map<string, { events: PlatformEvent[]; sent: Promise<void> }>();
  return (tenant, events) => {
    if (events.length === 0) return Promise.resolve();
    let batch = gathering.get(tenant);
    if (!batch) {
      const started: { events: PlatformEvent[]; sent: Promise<void> } = { events: [], sent: Promise.resolve() };
      started.sent = Promise.resolve().then(() => {
        gathering.delete(tenant);
        return send(tenant, started.events);
      });
      gathering.set(tenant, started);
      batch = started;
    }
    batch.events.push(...events);
    return batch.sent;
  };
}
