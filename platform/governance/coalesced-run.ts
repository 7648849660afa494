/**
 * One run of `work` at a time, and every caller answered by a run that started after it asked.
 * A call made while a run is under way waits for it, then shares the one run that follows with
 * every other call made meanwhile: a sweep ("revoke what has expired by now") joined half way
 * would answer for an earlier now.
 */
export class CoalescedRun<T> {
  private running?: Promise<T>;
  private next?: Promise<T>;

  constructor(private readonly work: () => Promise<T>) {}

  run(): Promise<T> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    const after = this.running.then(() => undefined, () => undefined);
    this.next = after.then(() => {
      this.next = undefined;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<T> {
    const started = this.work().finally(() => {
      if (this.running === started) this.running = undefined;
    });
    this.running = started;
    return started;
  }
}
