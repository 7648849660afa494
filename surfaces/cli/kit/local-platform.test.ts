import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { freshPostgresDatabase } from '../../../test/support/postgres.ts';
import { loadConfig } from './config.ts';
import { openLocalPlatform } from './local-platform.ts';

describe.runIf(inject('postgresUrl'))('a one-command CLI platform', () => {
  it('keeps its state where the servers keep theirs: PostgreSQL when COMPANYOS_STATE_URL names it', { timeout: 60_000 }, async () => {
    const database = await freshPostgresDatabase(inject('postgresUrl')!);
    const dataDir = await mkdtemp(join(tmpdir(), 'companyos-cli-state-'));
    onTestFinished(async () => {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    });
    const platform = await openLocalPlatform(loadConfig({ COMPANYOS_DATA_DIR: dataDir, COMPANYOS_STATE_URL: database.url }));
    try {
      expect(platform.state.engine).toBe('postgresql');
      // Its queue mark is where a live replica's sweep looks.
      expect(await platform.state.query('SELECT process_id FROM queue_marks')).toHaveLength(1);
    } finally {
      await platform.close();
    }
  });
});
