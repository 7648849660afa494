import { readFile, readdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, TempDirs } from '../../../test/support/cli.ts';

describe('companyos backup and restore', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('backs up a data folder, restores it into an empty one that the platform opens, and refuses a changed object by name', { timeout: 180_000 }, async () => {
    const dataDir = await dirs.make();
    const target = await dirs.make();
    const backup = await runCli(['backup', '--to', target], { dataDir });
    expect(backup.code, backup.stderr).toBe(0);
    const hint = /companyos restore --from \S+ --backup (\S+) --key (\S+\.pub)/.exec(backup.stdout);
    expect(hint).not.toBeNull();
    const [, backupId, key] = hint!;

    const restored = join(await dirs.make(), 'restored');
    const restore = await runCli(['restore', '--from', target, '--key', key!, '--data-dir', restored], { dataDir });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(new RegExp(`restored ${backupId} .* RTO \\d+\\.\\d s`));
    const migrate = await runCli(['migrate'], { dataDir: restored });
    expect(migrate.stdout).toContain('0 applied');

    const object = join(target, 'backups', backupId!, 'schema.sql');
    await writeFile(object, (await readFile(object, 'utf8')).replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'));
    const elsewhere = join(await dirs.make(), 'restored');
    const refused = await runCli(['restore', '--from', target, '--key', key!, '--data-dir', elsewhere], { dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`backups/${backupId}/schema.sql holds`);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('keeps the previous backup usable when a backup is SIGKILLed while it stores its objects', { timeout: 180_000 }, async () => {
    const dataDir = await dirs.make();
    const target = await dirs.make();
    const first = await runCli(['backup', '--to', target], { dataDir });
    expect(first.code, first.stderr).toBe(0);
    const [, firstId, key] = /--backup (\S+) --key (\S+\.pub)/.exec(first.stdout)!;

    const child = spawnCli(['backup', '--to', target], dataDir);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (/^stored /m.test(out)) child.kill('SIGKILL');
    });
    const [, signal] = await once(child, 'exit');
    expect(signal).toBe('SIGKILL');
    const folders = await readdir(join(target, 'backups'));
    const killed = folders.find((id) => id !== firstId)!;
    expect(await readdir(join(target, 'backups', killed))).not.toContain('manifest.dsse.json');

    const restore = await runCli(['restore', '--from', target, '--key', key!, '--data-dir', join(await dirs.make(), 'restored')], { dataDir });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`restored ${firstId} `);
  });
});
