import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs tasks one at a time, in arrival order. A task run with `runHolding` may
 * call `run` (or `runHolding`) again from inside itself, however deep in its
 * awaits (a transaction that writes), without deadlocking: those calls run at
 * once, inside it.
 *
 * Knowing who is inside takes an `AsyncLocalStorage`, which on Node 20 puts a
 * hook on every promise the process creates while it is enabled (`bench:api-flows`:
 * ~4% of the API process's main thread). So it is enabled only while a holding
 * task runs, and plain `run` tasks — the frequent ones — go without it.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<object>();
  /** The holding task under way: a timer or promise a finished one left behind carries its token, not this one. */
  private active: object | undefined;

  /** Whether the caller is inside the holding task under way (a transaction in progress). */
  held(): boolean {
    const token = this.holder.getStore();
    return token !== undefined && token === this.active;
  }

  /** Runs `task` after the tasks before it; inside a holding task, at once. `task` must not await a call back into the lock. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.held()) return task();
    return this.enqueue(task);
  }

  /** Like `run`, and calls into the lock from anything `task` starts run at once, inside it, while it runs. */
  runHolding<T>(task: () => Promise<T>): Promise<T> {
    if (this.held()) return task();
    return this.enqueue(async () => {
      const token = {};
      this.active = token;
      try {
        return await this.holder.run(token, task);
      } finally {
        this.active = undefined;
        // Tasks run one at a time, so no other holding task is under way: no promise is hooked until the next one.
        this.holder.disable();
      }
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
