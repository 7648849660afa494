import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatVerifierKey } from '../kernel/ledger/index.ts';
import { DuckDBWarehouse } from '../kernel/warehouse/index.ts';
import { PACKS } from '../packs/index.ts';
import { testWorkflow } from '../platform/workflows/testdata/test-workflow.ts';
import { TokenAuthority } from '../platform/identity/index.ts';
import { createPlatform, migratePlatform } from '../surfaces/compose/index.ts';
import { buildServer } from '../surfaces/http/index.ts';
import { killAllCliProcesses, runCli, TempDirs } from './support/cli.ts';

const SECRET = 'workflow-cli-secret-long-enough-for-hs256';
const temp = new TempDirs();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllCliProcesses();
  for (const close of closers.splice(0).reverse()) await close();
  await temp.removeAll();
});

describe('companyos workflow', () => {
  it('requests, approves, executes and follows a run through the API, and saves an evidence bundle `ledger verify` accepts', { timeout: 120_000 }, async () => {
    const dataDir = await temp.make();
    await writeFile(join(dataDir, 'journal.txt'), '');
    const warehouse = await DuckDBWarehouse.open(join(dataDir, 'warehouse.duckdb'));
    closers.push(() => warehouse.close());
    const packs = [...PACKS, { name: 'test', description: 'A workflow type for tests.', workflowTypes: () => [testWorkflow({ journal: join(dataDir, 'journal.txt') })] }];
    await migratePlatform(warehouse, packs);
    const platform = await createPlatform({ warehouse, packs });
    closers.push(() => platform.close());
    const tokens = new TokenAuthority(SECRET);
    const app = await buildServer({ warehouse, tokens, platform, logLevel: 'silent' });
    closers.push(() => app.close());
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const as = async (subject: string, role: 'operator' | 'approver' | 'reader') => ['--url', url, '--token', await tokens.mint({ tenant: 'acme', roles: [role], subject })];
    const cli = async (...args: string[]) => {
      const result = await runCli(['workflow', ...args], { dataDir });
      expect(result.code, `${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
      return result.stdout;
    };

    expect(await cli('types', ...(await as('rae', 'reader')))).toMatch(/^test-change +1 × approver +preflight → execute → verify → rollback/m);
    const requested = await cli('request', 'test-change', '--category', 'maintenance', '--reason', 'rotate the staging certificate', '--params', '{"target":"cert"}', ...(await as('ana', 'operator')));
    const [runId] = requested.split(/\s+/);
    expect(requested).toMatch(/awaiting-approval +by acme\/ana +\(needs 1 × approver\)/);

    const self = await runCli(['workflow', 'approve', runId!, '--category', 'maintenance', '--reason', 'approving my own request', ...(await as('ana', 'operator'))], { dataDir });
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/someone other than/);

    expect(await cli('approve', runId!, '--category', 'maintenance', '--reason', 'the preflight output looks right', ...(await as('bo', 'approver')))).toContain('approved');
    expect(await cli('execute', runId!, ...(await as('cy', 'operator')))).toContain('succeeded');
    const status = await cli('status', runId!, ...(await as('rae', 'reader')));
    expect(status.match(/wf-[\w-]+-\d+/g)).toHaveLength(5);
    expect(await cli('list', '--status', 'succeeded', ...(await as('rae', 'reader')))).toContain(runId);

    const bundleFile = join(dataDir, 'run.bundle.json');
    expect(await cli('evidence', runId!, '--out', bundleFile, ...(await as('rae', 'reader')))).toContain('5 receipts, 4 evidence items');
    const keyFile = join(dataDir, 'ledger.pub');
    await writeFile(keyFile, `${platform.ledger.keyring.all().map(formatVerifierKey).join('\n')}\n`);
    const verified = await runCli(['ledger', 'verify', bundleFile, '--key', keyFile], { dataDir });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });

  it('refuses to act without a token or a platform to reach, saying what to do', async () => {
    const dataDir = await temp.make();
    const noToken = await runCli(['workflow', 'list', '--url', 'http://127.0.0.1:9'], { dataDir, env: { COMPANYOS_TOKEN: '' } });
    expect([noToken.code, noToken.stderr]).toEqual([1, expect.stringContaining('--token')]);
    const noPlatform = await runCli(['workflow', 'list', '--token', 'x'], { dataDir });
    expect([noPlatform.code, noPlatform.stderr]).toEqual([1, expect.stringContaining('companyos start')]);
  });
});
