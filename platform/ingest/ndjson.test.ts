import { describe, expect, it } from 'vitest';
import { parseNdjson, toNdjson } from './ndjson.ts';
import { UnparsedEvent } from './pipeline.ts';

describe('NDJSON', () => {
  it('parses non-blank lines, CRLF or LF, and keeps bad lines as they were', () => {
    const events = parseNdjson('{"id":"1"}\r\n\n  \n{oops\n{"id":"3"}\n');
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({ id: '1' });
    expect(events[1]).toBeInstanceOf(UnparsedEvent);
    expect((events[1] as UnparsedEvent).raw).toBe('{oops');
    expect(events[2]).toEqual({ id: '3' });
  });

  it('round-trips a batch read from a file, unparsed lines included', () => {
    const batch = [{ id: '1', data: { text: 'a\nb' } }, new UnparsedEvent('{oops', 'bad'), [1, 2]];
    const again = parseNdjson(toNdjson(batch));
    expect(again[0]).toEqual(batch[0]);
    expect((again[1] as UnparsedEvent).raw).toBe('{oops');
    expect(again[2]).toEqual([1, 2]);
  });
});
