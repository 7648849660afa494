import { Worker } from 'node:worker_threads';
import type { KafkaMessage } from 'kafkajs';
import { headerStrings, kafkaCandidate } from './kafka/kafka-message.ts';
import { screenEvents, type ScreenedBatch } from './screen-events.ts';
import type { MessagesBatch, ScreenOptions, ScreenRequest, ScreenResponse } from './screen-protocol.ts';

/**
 * The worker loads the TypeScript sources as the CLI does (bin/companyos.js), whatever started this
 * process: Node 20 gives a worker neither the loader hooks nor a `--import` of its parent.
 */
const TSX_API = import.meta.resolve('tsx/esm/api');
const SCREEN_WORKER = new URL('./screen-worker.ts', import.meta.url);
/** After the worker fails, batches are screened on the calling thread this long before a new worker is tried. */
export const WORKER_RETRY_MS = 30_000;

type Messages = readonly Pick<KafkaMessage, 'value' | 'headers'>[];
type Waiting = { resolve: (screened: ScreenedBatch) => void; reject: (error: Error) => void };

/** Why a batch in the worker was screened on the calling thread instead, already accounted for (closed, or its thread's failure reported). */
class ScreenThreadGone extends Error {}

/**
 * Screens Kafka batches (read each message, validate, normalize: `screenEvents`) on a
 * worker thread, so the consumer's thread only fetches and writes. The worker
 * only ever computes: a batch it cannot answer (it died, threw, or could not be sent) is
 * screened on the calling thread instead, with the same result, and so is every batch for
 * `WORKER_RETRY_MS` after a failure, which is reported once (`onFallback`).
 */
export class ScreenThread {
  private thread: { worker: Worker; pending: Map<number, Waiting> } | undefined;
  private next = 0;
  private failedAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    /** Told of a failure, and for how long batches are now screened on the calling thread. */
    private readonly onFallback?: (error: unknown, retryInMs: number) => void,
    /** The worker's module: screen-worker.ts; tests give others (one that dies, say). */
    private readonly workerModule: URL = SCREEN_WORKER,
  ) {}

  /** A Kafka batch: each message read (`kafkaCandidate`, `maxBytes` the largest), then screened. */
  async screenMessages(messages: Messages, maxBytes: number, options: ScreenOptions): Promise<ScreenedBatch> {
    if (this.usable()) {
      try {
        return await this.onWorker(packMessages(messages, maxBytes), options);
      } catch (error) {
        if (!(error instanceof ScreenThreadGone)) this.failed(error);
      }
    }
    return screenEvents(messages.map((message) => kafkaCandidate(message, maxBytes)), options.context);
  }

  /** Loads the worker ahead of the first batch. */
  start(): void {
    if (!this.usable()) return;
    try {
      this.started();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Stops the worker for good; a batch in it, and any after, is screened on the calling thread. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    for (const waiting of thread.pending.values()) waiting.reject(new ScreenThreadGone('closed'));
    thread.pending.clear();
    await thread.worker.terminate();
  }

  private usable(): boolean {
    return !this.closed && performance.now() - this.failedAt >= WORKER_RETRY_MS;
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    this.failedAt = performance.now();
    this.onFallback?.(error, WORKER_RETRY_MS);
  }

  private onWorker(batch: MessagesBatch, options: ScreenOptions): Promise<ScreenedBatch> {
    const id = this.next++;
    const request: ScreenRequest = { ...options, ...batch, id };
    const transfer = [batch.values.buffer as ArrayBuffer, batch.ends.buffer as ArrayBuffer];
    const { worker, pending } = this.started();
    return new Promise<ScreenedBatch>((resolve, reject) => {
      try {
        worker.postMessage(request, transfer);
      } catch (error) {
        reject(error as Error);
        return;
      }
      pending.set(id, { resolve, reject });
      // Held only while it has work: an idle worker never keeps the process alive.
      worker.ref();
    });
  }

  private started(): { worker: Worker; pending: Map<number, Waiting> } {
    if (this.thread) return this.thread;
    const source = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(this.workerModule.href)}); })`;
    const worker = new Worker(source, { eval: true });
    const thread = { worker, pending: new Map<number, Waiting>() };
    worker.unref();
    worker.on('message', (response: ScreenResponse) => {
      const waiting = thread.pending.get(response.id);
      thread.pending.delete(response.id);
      if (thread.pending.size === 0) worker.unref();
      if ('error' in response) waiting?.reject(new Error(`screening thread: ${response.error}`));
      else waiting?.resolve(response.screened);
    });
    // Once per thread: its batches in flight are screened on the calling thread, and the failure reported once.
    let gone = false;
    const fail = (error: Error) => {
      if (gone) return;
      gone = true;
      if (this.thread === thread) this.thread = undefined;
      this.failed(error);
      for (const waiting of thread.pending.values()) waiting.reject(new ScreenThreadGone(error.message, { cause: error }));
      thread.pending.clear();
      void worker.terminate();
    };
    worker.on('error', fail);
    worker.on('messageerror', fail);
    worker.on('exit', (code) => fail(new Error(`screening thread exited (code ${code})`)));
    return (this.thread = thread);
  }
}

function packMessages(messages: Messages, maxBytes: number): MessagesBatch {
  let total = 0;
  for (const message of messages) total += message.value?.length ?? 0;
  const values = new Uint8Array(total);
  const ends = new Uint32Array(messages.length);
  let at = 0;
  messages.forEach((message, i) => {
    if (message.value) values.set(message.value, at);
    ends[i] = at += message.value?.length ?? 0;
  });
  // Text, not the decoder's Buffers: those are views of a whole fetch response, which a message would copy entire.
  const headers = messages.map((message) => (message.headers && Object.keys(message.headers).length ? headerStrings(message.headers) : null));
  return { maxBytes, values, ends, headers };
}
