/** Where a shutdown step reports what it gave up on. */
export interface CloseLog {
  warn(details: object, message: string): void;
}

/** How long each close step (a writer's flush, the Kafka consumer's stop) may take by default. */
export const DEFAULT_CLOSE_STEP_MS = 1500;

/**
 * Runs one shutdown step, giving up on it after `ms`: a flush to a warehouse that
 * has gone away, or a Kafka client waiting for a broker that will not answer,
 * must not keep the process from stopping. Resolves true when the step finished,
 * false when it failed or was abandoned (both logged, with what was left behind).
 */
export async function closeWithin(what: string, ms: number, step: () => unknown, log: CloseLog): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<'abandoned'>((resolve) => {
    timer = setTimeout(() => resolve('abandoned'), ms);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(step), abandoned]);
    if (outcome !== 'abandoned') return true;
    log.warn({ step: what, waitedMs: ms }, `shutdown: abandoned "${what}" after ${ms} ms; what it had not finished is lost or redelivered`);
    return false;
  } catch (error) {
    log.warn({ step: what, err: error }, `shutdown: "${what}" failed; what it had not finished is lost or redelivered`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** One step of an ordered shutdown; `capMs` bounds it below what the deadline leaves. */
export interface CloseStep {
  what: string;
  step: () => unknown;
  capMs?: number;
}

/**
 * Runs shutdown steps in order within one deadline. A step may take up to its cap
 * and never more than the deadline leaves, so a slow last step (a warehouse
 * checkpoint on a loaded machine) gets the time the earlier steps did not use
 * instead of a fixed slice. Resolves true when every step finished.
 */
export async function closeInOrder(steps: readonly CloseStep[], deadlineMs: number, log: CloseLog): Promise<boolean> {
  const deadline = performance.now() + deadlineMs;
  let allFinished = true;
  for (const { what, step, capMs } of steps) {
    const left = Math.max(0, Math.floor(deadline - performance.now()));
    if (!(await closeWithin(what, Math.min(capMs ?? left, left), step, log))) allFinished = false;
  }
  return allFinished;
}
