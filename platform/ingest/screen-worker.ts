import { parentPort } from 'node:worker_threads';
import { packedDigests } from '../../kernel/dedupe/index.ts';
import { kafkaCandidate } from './kafka/kafka-message.ts';
import { screenEvents } from './screen-events.ts';
import type { ScreenRequest, ScreenResponse } from './screen-protocol.ts';

/** The screening thread (see screen-thread.ts): reads each message of a batch and screens them; writes nothing. */
parentPort!.on('message', (request: ScreenRequest) => {
  void screen(request).then(({ response, transfer }) => parentPort!.postMessage(response, transfer));
});

function candidatesOf({ values, ends, headers, maxBytes }: ScreenRequest): unknown[] {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return Array.from(ends, (end, i) => kafkaCandidate({ value: bytes.subarray(i === 0 ? 0 : ends[i - 1], end), headers: headers[i] ?? undefined }, maxBytes));
}

async function screen(request: ScreenRequest): Promise<{ response: ScreenResponse; transfer: ArrayBuffer[] }> {
  const { id, context, digestKey } = request;
  try {
    // One batch at a time, whole: each is answered as soon as it is screened, so its write overlaps the next one's screening.
    const { rows, indices, rejected, parked } = await screenEvents(candidatesOf(request), context, { yieldEvery: Number.POSITIVE_INFINITY });
    if (!digestKey) return { response: { id, screened: { rows, indices, rejected, parked } }, transfer: [] };
    const digests = packedDigests(rows, digestKey);
    return { response: { id, screened: { rows, indices, rejected, parked, digests } }, transfer: [digests.buffer] };
  } catch (error) {
    return { response: { id, error: error instanceof Error ? error.message : String(error) }, transfer: [] };
  }
}
