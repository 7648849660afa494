import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventFileError, readEventFile, type EventFileBatch } from './event-file.ts';
import { UnparsedEvent } from './pipeline.ts';

async function file(content: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'events-')), 'events');
  await writeFile(path, content);
  return path;
}

async function readAll(path: string, batchSize = 2): Promise<EventFileBatch[]> {
  const batches: EventFileBatch[] = [];
  for await (const batch of readEventFile(path, batchSize)) batches.push(batch);
  return batches;
}

describe('readEventFile', () => {
  it('reads NDJSON in batches with line numbers, skipping blank lines', async () => {
    const path = await file('{"id":"1"}\n\n{"id":"2"}\r\n{broken\n{"id":"4"}\n');
    const batches = await readAll(path);
    expect(batches.map((b) => b.lines)).toEqual([[1, 3], [4, 5]]);
    expect(batches[1]!.events[0]).toBeInstanceOf(UnparsedEvent);
    expect((batches[1]!.events[0] as UnparsedEvent).raw).toBe('{broken');
    expect(batches.at(-1)!.bytesRead).toBe(batches.at(-1)!.totalBytes);
  });

  it('reads a JSON array, numbering events by position', async () => {
    const batches = await readAll(await file('  [{"id":"1"},{"id":"2"},{"id":"3"}]'));
    expect(batches.map((b) => b.lines)).toEqual([[1, 2], [3]]);
    expect(batches.flatMap((b) => b.events)).toEqual([{ id: '1' }, { id: '2' }, { id: '3' }]);
  });

  it('names the file when an array file is not JSON', async () => {
    const path = await file('[{"id":"1"},');
    await expect(readAll(path)).rejects.toThrow(EventFileError);
    await expect(readAll(path)).rejects.toThrow(path);
  });
});
