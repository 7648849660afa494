import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { engineUnavailable, TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { runCli } from '../../test/support/cli.ts';
import { cloudEvent } from '../../test/support/events.ts';
import { parseEventArray, parseEventText } from './event-json.ts';
import { readEventFile } from './event-file.ts';
import { jsonDepth, MAX_JSON_DEPTH, splitJsonArray } from './json-depth.ts';
import { parseNdjson } from './ndjson.ts';
import { IngestPipeline, UnparsedEvent } from './pipeline.ts';

const nested = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
/** An event whose `data` makes the whole event nest `depth` deep. */
const eventText = (id: string, depth: number) => JSON.stringify(cloudEvent({ id, data: '__DATA__' })).replace('"__DATA__"', nested(depth - 1));
const DEEP = 10_000;

describe('jsonDepth', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[[{{{{\\"]]]"}')).toBe(1);
    expect(jsonDepth('["\\\\", ["x"]]')).toBe(2);
  });

  it('stops one past the limit, however deep the text goes', () => {
    expect(jsonDepth(nested(DEEP))).toBe(MAX_JSON_DEPTH + 1);
    expect(jsonDepth(nested(DEEP), 3)).toBe(4);
    expect(jsonDepth(nested(MAX_JSON_DEPTH))).toBe(MAX_JSON_DEPTH);
  });

  it('splits an array at its own commas only', () => {
    expect(splitJsonArray(' [ {"a":[1,2]}, "x,]", 3 ] ')).toEqual(['{"a":[1,2]}', '"x,]"', '3']);
    expect(splitJsonArray('[]')).toEqual([]);
    expect(() => splitJsonArray('{"a":1}')).toThrow(SyntaxError);
    expect(() => splitJsonArray('[1,2')).toThrow(SyntaxError);
    expect(() => splitJsonArray('[1,,2]')).toThrow(SyntaxError);
    expect(() => splitJsonArray('[1] x')).toThrow(SyntaxError);
  });
});

describe('reading event text', () => {
  it('parks an event deeper than the limit unparsed, and reads one at the limit', () => {
    expect(parseEventText(eventText('ok', MAX_JSON_DEPTH))).toMatchObject({ id: 'ok' });
    const deep = parseEventText(eventText('deep', MAX_JSON_DEPTH + 1));
    expect(deep).toBeInstanceOf(UnparsedEvent);
    expect(deep).toMatchObject({ code: 'EVENT_TOO_DEEP', raw: eventText('deep', MAX_JSON_DEPTH + 1) });
  });

  it('splits a batch array only around its deep elements', () => {
    const text = `[${eventText('a', 3)}, ${nested(DEEP)}, ${eventText('b', MAX_JSON_DEPTH)}]`;
    const events = parseEventArray(text);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ id: 'a' });
    expect(events[1]).toMatchObject({ code: 'EVENT_TOO_DEEP', raw: nested(DEEP) });
    expect(events[2]).toMatchObject({ id: 'b' });
    expect(() => parseEventArray(`[${nested(DEEP)}, {broken]`)).toThrow(SyntaxError);
  });

  it('parks a deep NDJSON line', () => {
    const events = parseNdjson(`${eventText('a', 2)}\n${nested(DEEP)}\n`);
    expect(events[1]).toMatchObject({ code: 'EVENT_TOO_DEEP' });
  });

  it('parks a deep element of an event file, NDJSON or JSON array', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deep-events-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'events.ndjson'), `${eventText('a', 2)}\n${nested(DEEP)}\n${eventText('b', 2)}\n`);
    await writeFile(join(dir, 'events.json'), `[${eventText('a', 2)},${nested(DEEP)},${eventText('b', 2)}]`);
    for (const name of ['events.ndjson', 'events.json']) {
      const events: unknown[] = [];
      for await (const batch of readEventFile(join(dir, name))) events.push(...batch.events);
      expect(events.map((e) => (e instanceof UnparsedEvent ? e.code : (e as { id: string }).id)), name).toEqual(['a', 'EVENT_TOO_DEEP', 'b']);
    }
  });
});

describe.each(TEST_ENGINES)('the pipeline on %s parks what it cannot store, never failing the batch', (engine) => {
  const db = useWarehouse(engine);
  const ingest = (candidates: unknown[]) => new IngestPipeline(db.warehouse).ingest(candidates, { channel: 'kafka', submitter: 'acme' });
  const stored = async () => (await db.warehouse.query<{ id: string }>('SELECT id FROM events ORDER BY id')).map((r) => r.id);
  const parked = async () => (await db.warehouse.query<{ reason_code: string }>('SELECT reason_code FROM events_quarantine ORDER BY batch_index')).map((r) => r.reason_code);

  it('parks an event object nested too deep to serialize (however it was built) beside its stored neighbours', async () => {
    const deepData = JSON.parse(nested(DEEP));
    const result = await ingest([cloudEvent({ id: 'a' }), cloudEvent({ id: 'deep', data: deepData }), cloudEvent({ id: 'also-deep', data: JSON.parse(nested(100)) }), cloudEvent({ id: 'b' })]);
    expect(result).toMatchObject({ accepted: 2, rejected: [{ index: 1, code: 'EVENT_TOO_DEEP' }, { index: 2, code: 'EVENT_TOO_DEEP' }] });
    expect(await stored()).toEqual(['a', 'b']);
    expect(await parked()).toEqual(['EVENT_TOO_DEEP', 'EVENT_TOO_DEEP']);
  });

  it('parks a time no engine can store: a leap second, before 1970, after 2105', async () => {
    const times = ['2026-06-30T23:59:60Z', '1900-01-01T00:00:00Z', '2200-01-01T00:00:00Z'];
    const result = await ingest([cloudEvent({ id: 'a' }), ...times.map((time, i) => cloudEvent({ id: `t${i}`, time })), cloudEvent({ id: 'b' })]);
    expect(result.accepted).toBe(2);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([[1, 'EVENT_INVALID_TIME'], [2, 'EVENT_INVALID_TIME'], [3, 'EVENT_INVALID_TIME']]);
    expect(await stored()).toEqual(['a', 'b']);
  });

  it('parks an event the engine refuses for a value (a lone surrogate) and stores the rest of the batch', async () => {
    const batch = Array.from({ length: 7 }, (_, i) => cloudEvent({ id: `e${i}` }));
    batch[4] = cloudEvent({ id: 'surrogate', note: 'x\ud800y', data: { s: '\udc00' } });
    const result = await ingest(batch);
    // DuckDB cannot read a lone surrogate as JSON; ClickHouse stores it.
    const refused = engine === 'duckdb' ? [{ index: 4, id: 'surrogate', code: 'EVENT_NOT_STORABLE' }] : [];
    expect(result).toMatchObject({ accepted: 7 - refused.length, duplicates: 0, rejected: refused });
    expect(await stored()).toHaveLength(7 - refused.length);
    expect(await parked()).toEqual(refused.map((r) => r.code));
  });
});

describe('companyos ingest FILE', () => {
  const db = useWarehouse('duckdb');
  it.runIf(!engineUnavailable('duckdb'))('parks a deep event of a file by its line and stores its neighbours', { timeout: 60_000 }, async () => {
    await db.warehouse.close();
    const path = join(db.harness.dataDir, 'deep.ndjson');
    await writeFile(path, [eventText('a', 2), nested(DEEP), eventText('b', 2)].join('\n'));
    const result = await runCli(['ingest', path, '--tenant', 'acme'], { dataDir: db.harness.dataDir, env: db.harness.env, timeoutMs: 50_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/EVENT_TOO_DEEP/);
    const warehouse = await db.reopen();
    expect((await warehouse.query<{ id: string }>('SELECT id FROM events ORDER BY id')).map((r) => r.id)).toEqual(['a', 'b']);
  });
});
