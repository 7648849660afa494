import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MigrationError } from './errors.ts';
import { loadMigrationsFrom } from './migrations.ts';

describe('migrations from several folders (the kernel\'s and each pack\'s)', () => {
  let root: string;
  const folder = async (name: string, files: Record<string, string>) => {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
    return dir;
  };
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'companyos-migrations-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('runs them as one sequence by version, whichever folder holds each', async () => {
    const kernel = await folder('kernel', { '0001_events.sql': 'SELECT 1;', '0005_ledger.sql': 'SELECT 5;', 'schema_migrations.sql': 'SELECT 0;' });
    const pack = await folder('pack', { '0003_bills.sql': 'SELECT 3;' });
    const merged = await loadMigrationsFrom([kernel, pack, join(root, 'a-pack-without-this-engine')]);
    expect(merged.map((m) => `${m.version} ${m.name}`)).toEqual(['1 events', '3 bills', '5 ledger']);
  });

  it('refuses a version two folders both use, naming both files', async () => {
    const kernel = await folder('kernel', { '0003_events.sql': 'SELECT 1;' });
    const pack = await folder('pack', { '0003_bills.sql': 'SELECT 3;' });
    const refused = await loadMigrationsFrom([kernel, pack]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MigrationError);
    expect((refused as Error).message).toMatch(/migration 3 is numbered twice: .*0003_events\.sql and .*0003_bills\.sql/);
  });
});
