import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.ts';
import { DEFAULT_POLICY_DIR, loadPolicyBundle } from './bundle.ts';
import { ACTIONS, PolicyEngine } from './engine.ts';
import { MATRIX_FILE, MATRIX_ROLES, MATRIX_TARGETS, matrixCases } from './matrix.ts';

describe('the policy bundle', () => {
  const engine = new PolicyEngine(loadPolicyBundle());

  it('validates against the schema in strict mode', () => {
    expect(engine.validate()).toEqual([]);
    expect(Object.keys(engine.bundle.policies)).toEqual(expect.arrayContaining(['tenant-isolation', 'dual-control', 'no-self-approval', 'environment-scope']));
  });

  it('carries a revision that changes with any policy, schema or data file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-policies-'));
    try {
      await cp(DEFAULT_POLICY_DIR, dir, { recursive: true });
      const before = loadPolicyBundle(dir).revision.content;
      await writeFile(join(dir, 'data', 'roles.json'), (await readFile(join(dir, 'data', 'roles.json'), 'utf8')).replace('"Auditor"', '"Auditors"'));
      expect(loadPolicyBundle(dir).revision.content).not.toBe(before);
      expect(before).toBe(engine.bundle.revision.content);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('knows the platform operator and the ingest grants from data/tenants.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-policies-'));
    try {
      await cp(DEFAULT_POLICY_DIR, dir, { recursive: true });
      await writeFile(join(dir, 'data', 'tenants.json'), JSON.stringify({ platform: 'summit-internal', ingestGrants: { acme: ['acme-eu'] } }));
      const granted = new PolicyEngine(loadPolicyBundle(dir));
      const write = (tenant: string, to: string, role = 'connector') =>
        granted.authorize({
          principal: { id: `${tenant}/c`, tenant, roles: [role], env: 'dev', region: 'local' },
          action: 'write_events',
          resource: { id: `events/${to}`, tenant: to, kind: 'Events', data_class: 'internal', region: 'local' },
          context: { env: 'dev' },
        });
      expect(write('acme', 'acme-eu')).toMatchObject({ decision: 'allow', reasons: ['writers-write-events'] });
      expect(write('acme', 'globex')).toMatchObject({ decision: 'deny', reasons: ['cross-tenant-ingest-needs-grant'] });
      expect(write('acme', 'acme-eu', 'writer')).toMatchObject({ decision: 'deny', reasons: ['cross-tenant-ingest-needs-grant'] });
      expect(write('summit-internal', 'globex')).toMatchObject({ decision: 'allow' });
      expect(engine.platformTenant).toBe('summit-internal');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the committed matrix covers every role × action × tenant and matches the access table', async () => {
    const committed = JSON.parse(await readFile(MATRIX_FILE, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(matrixCases())));
    expect(committed).toHaveLength(MATRIX_ROLES.length * ACTIONS.length * MATRIX_TARGETS.length);
  });

  it('`policy test` exits 1 and names the case when a policy regresses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-policies-'));
    try {
      await cp(DEFAULT_POLICY_DIR, dir, { recursive: true });
      // Someone "simplifies" dual control away.
      const file = join(dir, 'dual-control.cedar');
      await writeFile(file, (await readFile(file, 'utf8')).replace('unless { context has approver && context.approver != principal }', 'when { false }'));
      const result = await runCli(['policy', 'test', '--dir', dir], { dataDir: dir });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAIL dual-control\.json/);
      expect(result.stdout).toMatch(/FAIL operator deletes without an approval: allow — operators-destroy \(expected deny by dual-control\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`policy simulate` answers PASS or FAIL per case with reasons', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-simulate-'));
    try {
      const cases = JSON.parse(await readFile(join(DEFAULT_POLICY_DIR, 'tests', 'dual-control.json'), 'utf8')).slice(0, 2);
      delete cases[0].decision;
      delete cases[0].reason;
      await writeFile(join(dir, 'cases.json'), JSON.stringify(cases));
      const result = await runCli(['policy', 'simulate', '--input', join(dir, 'cases.json')], { dataDir: dir });
      expect(result.stdout).toContain('FAIL operator deletes without an approval: deny — dual-control');
      expect(result.stdout).toContain('PASS operator deletes with an approval by another principal: allow — operators-destroy');
      expect(result.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`policy coverage` lists every route and finds every privileged one gated and receipted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-coverage-'));
    try {
      const result = await runCli(['policy', 'coverage'], { dataDir: dir, timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^DELETE +\/v1\/entities\/:id +delete +after +privileged$/m);
      expect(result.stdout).toMatch(/^POST +\/v1\/transforms\/build +run_transforms +before +privileged$/m);
      expect(result.stdout).toMatch(/Privileged routes gated and receipted: (\d+) of \1 \(100%\)\./);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
