import { parentPort } from 'node:worker_threads';
import { packedDigests } from '../../../kernel/dedupe/index.ts';
import { screenEvents } from '../screen-events.ts';
import { kafkaCandidate } from './kafka-message.ts';
import type { ScreenRequest, ScreenResponse } from './screen-protocol.ts';

/** The screening thread (see screen-thread.ts): reads each message of a batch and screens them; writes nothing. */
parentPort!.on('message', (request: ScreenRequest) => {
  void screen(request).then(({ response, transfer }) => parentPort!.postMessage(response, transfer));
});

async function screen({ id, values, ends, headers, maxBytes, context, digestKey }: ScreenRequest): Promise<{ response: ScreenResponse; transfer: ArrayBuffer[] }> {
  try {
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const candidates = Array.from(ends, (end, i) => {
      const value = bytes.subarray(i === 0 ? 0 : ends[i - 1], end);
      return kafkaCandidate({ value, headers: headers[i] ?? undefined }, maxBytes);
    });
    // One batch at a time, whole: each is answered as soon as it is screened, so its write overlaps the next one's screening.
    const { rows, indices, rejected, parked } = await screenEvents(candidates, context, { yieldEvery: Number.POSITIVE_INFINITY });
    if (!digestKey) return { response: { id, screened: { rows, indices, rejected, parked } }, transfer: [] };
    const digests = packedDigests(rows, digestKey);
    return { response: { id, screened: { rows, indices, rejected, parked, digests } }, transfer: [digests.buffer] };
  } catch (error) {
    return { response: { id, error: error instanceof Error ? error.message : String(error) }, transfer: [] };
  }
}
