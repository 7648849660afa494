import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_STORE_CREDENTIALS, startObjectStore, type ObjectStore } from '../../test/support/object-store.ts';
import { DirectoryTarget, type BackupTarget } from './backup-target.ts';
import { newBackupId } from './backup-ids.ts';
import { MANIFEST_OBJECT } from './backup-manifest.ts';
import { openBackupTarget } from './open-backup-target.ts';
import { pruneBackups } from './prune-backups.ts';
import { parseS3Url, S3Target } from './s3-target.ts';

describe('parseS3Url', () => {
  it('reads bucket and prefix, and refuses what is not an S3 location', () => {
    expect(parseS3Url('s3://backups')).toEqual({ bucket: 'backups', prefix: '' });
    expect(parseS3Url('s3://backups/prod/companyos/')).toEqual({ bucket: 'backups', prefix: 'prod/companyos' });
    for (const bad of ['s3://', 's3://B', 's3://Upper-Case', 'http://backups', 's3:/backups']) expect(parseS3Url(bad), bad).toBeUndefined();
    expect(() => openBackupTarget('s3://Bad_Bucket')).toThrow(/is not an S3 location/);
  });
});

describe.each(['directory', 'object store (s3rver)'])('a backup target in a %s', (kind) => {
  let store: ObjectStore | undefined;
  let target: BackupTarget;
  let scratch: string;
  let root: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'companyos-target-'));
    root = join(scratch, 'root');
    if (kind === 'directory') target = new DirectoryTarget(root);
    else {
      store = await startObjectStore();
      target = new S3Target({ bucket: store.bucket, prefix: 'prod/companyos' }, { endpoint: store.endpoint, credentials: OBJECT_STORE_CREDENTIALS });
    }
  });
  afterAll(async () => {
    if (target instanceof S3Target) target.close();
    await store?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('stores, lists under a prefix (nested, in name order) and gives back objects byte for byte; a missing one is undefined', async () => {
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    await writeFile(join(scratch, 'payload'), payload);
    await writeFile(join(scratch, 'empty'), '');
    for (const name of ['backups/b/changes/0000000002.dsse.json', 'backups/a/schema.sql', 'backups/b/changes/0000000001.dsse.json', 'other/x']) await target.put(name, join(scratch, 'payload'));
    await target.put('backups/a/empty.parquet', join(scratch, 'empty'));
    expect(await target.list('backups')).toEqual(['backups/a/empty.parquet', 'backups/a/schema.sql', 'backups/b/changes/0000000001.dsse.json', 'backups/b/changes/0000000002.dsse.json']);
    expect(await target.list('backups/b/changes')).toEqual(['backups/b/changes/0000000001.dsse.json', 'backups/b/changes/0000000002.dsse.json']);
    expect(await target.list('nothing-here')).toEqual([]);
    expect(await target.get('backups/a/schema.sql', join(scratch, 'back'))).toBe(true);
    expect((await readFile(join(scratch, 'back'))).equals(payload)).toBe(true);
    expect(await target.get('backups/a/empty.parquet', join(scratch, 'back-empty'))).toBe(true);
    expect(await readFile(join(scratch, 'back-empty'))).toHaveLength(0);
    expect(await target.get('backups/a/missing', join(scratch, 'none'))).toBeUndefined();
  });

  it('lists past a thousand objects (the store pages its listings)', async () => {
    await writeFile(join(scratch, 'small'), 'x');
    const names = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((name) => target.put(name, join(scratch, 'small'))));
    expect(await target.list('many')).toEqual(names);
  }, 60_000);

  it('deletes an object (a missing one is no error), and prunes backups by what a restore inside the window still needs', async () => {
    await writeFile(join(scratch, 'small'), 'x');
    await target.put('gone/one', join(scratch, 'small'));
    await target.delete('gone/one');
    await target.delete('gone/never-there');
    expect(await target.list('gone')).toEqual([]);
    for (const name of await target.list('backups')) await target.delete(name);
    expect(await target.list('backups')).toEqual([]);

    const day = (n: number) => newBackupId(new Date(Date.UTC(2026, 10, 1 + n))).replace(/-[0-9a-f]+$/, '-000000');
    const [a, b, c, d, e] = [day(0), day(10), day(20), day(30), day(40)];
    const complete = (id: string) => ['schema.sql', 'events.parquet', 'changes/0000000001.dsse.json', MANIFEST_OBJECT].map((o) => `backups/${id}/${o}`);
    const incomplete = (id: string) => [`backups/${id}/schema.sql`];
    for (const name of [...complete(a!), ...complete(b!), ...incomplete(c!), ...complete(d!), ...incomplete(e!)]) await target.put(name, join(scratch, 'small'));
    // Day 25: a is covered by b (taken day 10); b still holds days 10–30, inside the window; c was killed and is older; e may be under way.
    const report = await pruneBackups(target, new Date(Date.UTC(2026, 10, 26)));
    expect(report).toEqual({ removed: [a, c], objects: 5 });
    expect([...new Set((await target.list('backups')).map((name) => name.split('/')[1]))]).toEqual([b, d, e]);
    // Long after: everything but the newest complete backup and what is newer than it.
    expect((await pruneBackups(target, new Date(Date.UTC(2027, 5, 1)))).removed).toEqual([b]);
    expect([...new Set((await target.list('backups')).map((name) => name.split('/')[1]))]).toEqual([d, e]);
  });

  it('refuses names that would leave the target', async () => {
    for (const bad of ['../escape', 'backups/../../x', '/absolute', 'a//b', '']) await expect(target.put(bad, join(scratch, 'payload')), bad).rejects.toThrow(/not a backup object name/);
  });
});
