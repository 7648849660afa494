import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs tasks one at a time, in arrival order. A task may call `run` again
 * from inside itself (a transaction that writes) without deadlocking.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<true>();

  /** Whether the caller is inside a task of this lock (a transaction in progress). */
  held(): boolean {
    return this.holder.getStore() === true;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.holder.getStore()) return task();
    const result = this.tail.then(() => this.holder.run(true, task));
    this.tail = result.catch(() => undefined);
    return result;
  }
}
