import { SERVER_NODE_FLAGS } from '../dev/index.ts';
import { randomUUID } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { expectCleanStop, killAllCliProcesses, runCli, startPlatform, TempDirs } from './support/cli.ts';
import { engineHarness, engineUnavailable, TEST_ENGINES } from './support/engines.ts';
import { cloudEvent } from './support/events.ts';

/**
 * End to end: the real `companyos` CLI in child processes, on a temp data dir,
 * talked to over real HTTP. Nothing is mocked.
 */

const E2E_TIMEOUT = 60_000;
const BATCH_TYPE = 'application/cloudevents-batch+json';
const STACK_FRAME = '    at ';

const temp = new TempDirs();

afterEach(async () => {
  await killAllCliProcesses();
  await temp.removeAll();
});

interface IngestReply {
  accepted: number;
  duplicates: number;
  rejected: { index: number; id: string | null; code: string; message: string }[];
}

interface EventsPage {
  events: Record<string, unknown>[];
  next_cursor: string | null;
}

interface QuarantinePage {
  items: { event_id: string | null; reason_code: string; reason_text: string; payload: string; channel: string }[];
  next_cursor: string | null;
}

interface Stats {
  tenant: string;
  total: number;
  by_type: { type: string; count: number }[];
}

/** Events the workflow engine metered while the demo drove its runs (not the seed's generated week). */
const ENGINE_METERED = /^(companyos\.workflow\.|high_risk_ops\.|workflow\.executions_total$|revops\.|dr\.drill_completed$)/;

async function api<T>(url: string, token: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': BATCH_TYPE }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

function event(overrides: Record<string, unknown>): Record<string, unknown> {
  const e2eDefaults = { source: 'urn:companyos:e2e', type: 'e2e.checks_total', policyversion: 'v1', tenantid: undefined, time: undefined, plan: undefined };
  return cloudEvent({ ...e2eDefaults, ...overrides });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function ndjsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function jwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  expect(parts).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('companyos CLI, end to end', () => {
  for (const engine of TEST_ENGINES) {
    it.runIf(!engineUnavailable(engine))(
      `newcomer flow on ${engine}: start seeds, ingests a batch over HTTP, stops cleanly and dedupes across a restart`,
      async () => {
        const harness = await engineHarness(engine);
        onTestFinished(() => harness.cleanup());
        const { dataDir, env } = harness;
        const type = `e2e.newcomer_${randomUUID().slice(0, 8)}`;
        const stored = event({ id: `new-${randomUUID()}`, type, tenantid: 'summit-internal' });
        const noTenant = event({ id: `orphan-${randomUUID()}`, type });
        const batch = [stored, stored, noTenant];

        // First run: fresh data dir, seeding on.
        const first = await startPlatform(dataDir, [], { env, timeoutMs: 90_000 });
        const seeded = /seeded summit-internal with ([\d,]+) metering events/.exec(first.stdout());
        expect(seeded, first.stdout()).not.toBeNull();
        const seededCount = Number(seeded![1]!.replaceAll(',', ''));
        expect(seededCount).toBeGreaterThan(0);
        expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(first.url).not.toMatch(/:0$/);

        // Other commands find the running platform through platform.json.
        const record = JSON.parse(await readFile(join(dataDir, 'platform.json'), 'utf8')) as { url: string; pid: number };
        expect(record).toEqual({ url: first.url, pid: first.pid });
        // Started with the flags `npm start` gives a server (dev/server-node-flags.ts): they reach its Node.
        expect((await readFile(`/proc/${first.pid}/cmdline`, 'utf8')).split('\0')).toEqual(expect.arrayContaining([...SERVER_NODE_FLAGS]));

        const statsBefore = await api<Stats>(first.url, first.token, '/v1/events/stats');
        expect(statsBefore.status).toBe(200);
        // The seed, the policy-coverage fact `start` records about itself, and what the engine, the DR drill and the RevOps pack metered of the demos.
        const engineMetered = statsBefore.body.by_type.filter((t) => ENGINE_METERED.test(t.type)).reduce((n, t) => n + t.count, 0);
        expect(engineMetered).toBeGreaterThan(0);
        expect(statsBefore.body.total).toBe(seededCount + 1 + engineMetered);

        const posted = await api<IngestReply>(first.url, first.token, '/v1/events', batch);
        expect(posted.status).toBe(202);
        expect(posted.body).toEqual({
          accepted: 1,
          duplicates: 1,
          rejected: [{ index: 2, id: noTenant.id, code: 'EVENT_MISSING_TENANT', message: expect.any(String) }],
        });

        const listed = await api<EventsPage>(first.url, first.token, `/v1/events?type=${encodeURIComponent(type)}`);
        expect(listed.status).toBe(200);
        expect(listed.body.events).toHaveLength(1);
        expect(listed.body.events[0]).toMatchObject({
          id: stored.id,
          source: stored.source,
          type,
          tenantid: 'summit-internal',
          policyversion: 'v1',
          data: { value: 1 },
        });

        const parked = await api<QuarantinePage>(first.url, first.token, '/v1/quarantine');
        expect(parked.status).toBe(200);
        const mine = parked.body.items.filter((item) => item.event_id === noTenant.id);
        expect(mine).toHaveLength(1);
        expect(mine[0]).toMatchObject({ reason_code: 'EVENT_MISSING_TENANT', channel: 'http' });
        expect(JSON.parse(mine[0]!.payload)).toEqual(noTenant);

        const afterFirst = (await api<Stats>(first.url, first.token, '/v1/events/stats')).body;
        const totalAfterFirstRun = afterFirst.total;
        expect(totalAfterFirstRun).toBe(seededCount + 2 + engineMetered);

        // SIGTERM: clean exit, and the running-platform record is gone.
        await expectCleanStop(first);
        expect(await exists(join(dataDir, 'platform.json'))).toBe(false);

        // Second run on the same data dir: no second seeding, dedupe survives the restart.
        const second = await startPlatform(dataDir, [], { env, timeoutMs: 90_000 });
        expect(second.stdout()).not.toMatch(/seeded/);
        const statsAfterRestart = await api<Stats>(second.url, second.token, '/v1/events/stats');
        // Type by type, so that a failure names what changed across the restart.
        expect(statsAfterRestart.body.by_type).toEqual(afterFirst.by_type);
        expect(statsAfterRestart.body.total).toBe(totalAfterFirstRun);

        const again = await api<IngestReply>(second.url, second.token, '/v1/events', batch);
        expect(again.status).toBe(202);
        expect(again.body.accepted).toBe(0);
        expect(again.body.duplicates).toBe(2);
        expect(again.body.rejected).toHaveLength(1);
        expect(again.body.rejected[0]).toMatchObject({ index: 2, code: 'EVENT_MISSING_TENANT' });

        expect((await api<Stats>(second.url, second.token, '/v1/events/stats')).body.total).toBe(totalAfterFirstRun);
        const listedAgain = await api<EventsPage>(second.url, second.token, `/v1/events?type=${encodeURIComponent(type)}`);
        expect(listedAgain.body.events).toHaveLength(1);

        await expectCleanStop(second);
        expect(await exists(join(dataDir, 'platform.json'))).toBe(false);
      },
      E2E_TIMEOUT * 2,
    );
  }

  it(
    'ingest FILE without a running platform writes the warehouse directly and reports bad lines by file and line',
    async () => {
      const dataDir = await temp.make();
      const tenant = 'acme-direct';
      const file = join(dataDir, 'events.ndjson');
      const e = (id: string, overrides: Record<string, unknown> = {}) =>
        JSON.stringify(event({ id, tenantid: tenant, time: '2026-11-20T12:00:00Z', ...overrides }));
      await writeFile(
        file,
        [
          e('d-1', { time: '2026-11-20T10:00:00Z' }), // line 1
          e('d-2', { time: '2026-11-20T11:00:00Z' }), // line 2
          '', // line 3: blank, skipped but still counted as a line
          e('d-1', { time: '2026-11-20T10:00:00Z' }), // line 4: repeat of line 1
          '{"specversion": "1.0", "id": "broken"', // line 5: not JSON
          e('d-3'), // line 6
          e('d-4', { policyversion: undefined }), // line 7: no policyversion
        ].join('\n') + '\n',
      );

      const ingest = await runCli(['ingest', '--tenant', tenant, file], { dataDir });
      expect(ingest.code, ingest.stderr).toBe(0);
      expect(ingest.stdout).toContain('accepted 3');
      expect(ingest.stdout).toContain('duplicates 1');
      expect(ingest.stdout).toContain('rejected 2');
      expect(ingest.stdout).toContain('via the duckdb warehouse');
      expect(ingest.stdout).not.toContain('running platform');

      const at = (line: number, code: string) => new RegExp(`^${escapeRegExp(file)}:${line}: .*${code}: \\S.*$`, 'm');
      expect(ingest.stderr).toMatch(at(5, 'EVENT_NOT_JSON'));
      expect(ingest.stderr).toMatch(at(7, 'EVENT_MISSING_POLICY_VERSION'));
      expect(ingest.stderr).not.toContain(STACK_FRAME);
      expect(ingest.stderr.trim().split('\n')).toHaveLength(2);

      const events = await runCli(['events', '--tenant', tenant, '--json'], { dataDir });
      expect(events.code, events.stderr).toBe(0);
      const stored = ndjsonLines(events.stdout);
      expect(stored).toHaveLength(3);
      expect(stored.map((x) => x.id)).toEqual(['d-1', 'd-2', 'd-3']);
      for (const x of stored) expect(x).toMatchObject({ tenantid: tenant, policyversion: 'v1', specversion: '1.0' });

      const quarantine = await runCli(['quarantine', '--tenant', tenant, '--json'], { dataDir });
      expect(quarantine.code, quarantine.stderr).toBe(0);
      const parked = ndjsonLines(quarantine.stdout);
      expect(parked).toHaveLength(2);
      expect(parked.map((x) => x.reason_code).sort()).toEqual(['EVENT_MISSING_POLICY_VERSION', 'EVENT_NOT_JSON']);
      const notJson = parked.find((x) => x.reason_code === 'EVENT_NOT_JSON');
      expect(notJson).toMatchObject({ payload: '{"specversion": "1.0", "id": "broken"', channel: 'file' });

      // Nothing of it landed under the default tenant.
      const others = await runCli(['events', '--json'], { dataDir });
      expect(others.code, others.stderr).toBe(0);
      expect(ndjsonLines(others.stdout)).toHaveLength(0);
    },
    E2E_TIMEOUT,
  );

  it(
    'ingest FILE goes through the running platform when one serves the data dir',
    async () => {
      const dataDir = await temp.make();
      const tenant = 'acme-http';
      const file = join(dataDir, 'events.ndjson');
      const lines = [
        JSON.stringify(event({ id: 'h-1', tenantid: tenant, time: '2026-11-20T10:00:00Z' })),
        JSON.stringify(event({ id: 'h-2', tenantid: tenant, time: '2026-11-20T11:00:00Z' })),
        JSON.stringify(event({ id: 'h-1', tenantid: tenant, time: '2026-11-20T10:00:00Z' })),
        JSON.stringify(event({ id: 'h-3', tenantid: tenant, policyversion: undefined })),
        '{"id": "h-4", oops', // line 5: not JSON, must be parked as such through the API too
      ];
      await writeFile(file, lines.join('\n') + '\n');

      const platform = await startPlatform(dataDir, ['--no-seed']);
      expect(platform.stdout()).not.toMatch(/seeded/);
      try {
        const ingest = await runCli(['ingest', '--tenant', tenant, file], { dataDir });
        expect(ingest.code, ingest.stderr).toBe(0);
        expect(ingest.stdout).toContain(`via the running platform at ${platform.url}`);
        expect(ingest.stdout).toContain('accepted 2');
        expect(ingest.stdout).toContain('duplicates 1');
        expect(ingest.stdout).toContain('rejected 2');
        expect(ingest.stderr).toMatch(new RegExp(`^${escapeRegExp(file)}:4: .*EVENT_MISSING_POLICY_VERSION: `, 'm'));
        expect(ingest.stderr).toMatch(new RegExp(`^${escapeRegExp(file)}:5: .*EVENT_NOT_JSON: `, 'm'));

        // A reader token minted by the CLI for this data dir is accepted by the platform.
        const minted = await runCli(['token', '--tenant', tenant, '--role', 'reader'], { dataDir });
        expect(minted.code, minted.stderr).toBe(0);
        const token = minted.stdout.trim();

        const listed = await api<EventsPage>(platform.url, token, '/v1/events');
        expect(listed.status).toBe(200);
        expect(listed.body.events.map((x) => x.id)).toEqual(['h-1', 'h-2']);
        const parked = await api<QuarantinePage>(platform.url, token, '/v1/quarantine');
        expect(parked.status).toBe(200);
        expect(parked.body.items.map((x) => x.reason_code).sort()).toEqual(['EVENT_MISSING_POLICY_VERSION', 'EVENT_NOT_JSON']);
        expect(parked.body.items.find((x) => x.reason_code === 'EVENT_NOT_JSON')?.payload).toBe('{"id": "h-4", oops');

        // The CLI's read commands also go through the platform (the warehouse is locked by it).
        const events = await runCli(['events', '--tenant', tenant, '--json'], { dataDir });
        expect(events.code, events.stderr).toBe(0);
        expect(ndjsonLines(events.stdout).map((x) => x.id)).toEqual(['h-1', 'h-2']);
      } finally {
        await expectCleanStop(platform);
      }
    },
    E2E_TIMEOUT,
  );

  it(
    'a second start on a data dir in use exits 1 with a one-line explanation, and leaves the first one serving',
    async () => {
      const dataDir = await temp.make();
      const first = await startPlatform(dataDir, ['--no-seed']);
      try {
        const second = await runCli(['start', '--no-seed'], { dataDir });
        expect(second.code).toBe(1);
        expect(second.stderr).toContain('is in use by another process');
        expect(second.stderr).not.toContain(STACK_FRAME);
        expect(second.stdout).not.toContain('CompanyOS is running at');

        // The first platform still serves, and is still the one on record.
        const health = await fetch(`${first.url}/healthz`);
        expect(health.ok).toBe(true);
        const record = JSON.parse(await readFile(join(dataDir, 'platform.json'), 'utf8')) as { url: string; pid: number };
        expect(record).toEqual({ url: first.url, pid: first.pid });
      } finally {
        await expectCleanStop(first);
      }
    },
    E2E_TIMEOUT,
  );

  it(
    'token mints a JWT with the asked tenant, roles and lifetime, and refuses unknown roles and durations',
    async () => {
      const dataDir = await temp.make();

      const ok = await runCli(['token', '--tenant', 'acme', '--role', 'reader', '--ttl', '15m'], { dataDir });
      expect(ok.code, ok.stderr).toBe(0);
      const token = ok.stdout.trim();
      expect(token.split('\n')).toHaveLength(1);
      const payload = jwtPayload(token);
      expect(payload.tenant).toBe('acme');
      expect(payload.roles).toEqual(['reader']);
      expect(Number(payload.exp) - Number(payload.iat)).toBe(15 * 60);

      const defaults = await runCli(['token', '--tenant', 'acme', '--role', 'reader', '--role', 'auditor'], { dataDir });
      expect(defaults.code, defaults.stderr).toBe(0);
      const defaultPayload = jwtPayload(defaults.stdout.trim());
      expect(defaultPayload.roles).toEqual(['reader', 'auditor']);
      expect(Number(defaultPayload.exp) - Number(defaultPayload.iat)).toBe(24 * 3600);

      const badRole = await runCli(['token', '--tenant', 'acme', '--role', 'nosuch'], { dataDir });
      expect(badRole.code).not.toBe(0);
      expect(badRole.stderr).toContain('"nosuch" is not a role');
      expect(badRole.stdout.trim()).toBe('');

      const badTtl = await runCli(['token', '--tenant', 'acme', '--ttl', 'soon'], { dataDir });
      expect(badTtl.code).not.toBe(0);
      expect(badTtl.stderr).toContain('"soon"');
      expect(badTtl.stdout.trim()).toBe('');
    },
    E2E_TIMEOUT,
  );

  it(
    'migrate applies the migrations once; a second run applies nothing',
    async () => {
      const dataDir = await temp.make();

      const first = await runCli(['migrate'], { dataDir });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^applied 0001_events$/m);
      expect(first.stdout).toMatch(/^applied 0002_lineage$/m);
      expect(first.stdout).toMatch(/^applied 0003_bills$/m);
      expect(first.stdout).toMatch(/^applied 0004_invoices$/m);
      expect(first.stdout).toMatch(/^applied 0006_readiness_probe$/m);
      expect(first.stdout).toMatch(/^applied 0007_model_states$/m);
      expect(first.stdout).toMatch(/: \d+ applied, 0 already applied\./);

      const second = await runCli(['migrate'], { dataDir });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).not.toMatch(/^applied /m);
      expect(second.stdout).toMatch(/: 0 applied, 7 already applied\./);
    },
    E2E_TIMEOUT,
  );

  it(
    'ingest of a missing file exits 1 with a one-line explanation',
    async () => {
      const dataDir = await temp.make();
      const missing = join(dataDir, 'no', 'such', 'file.ndjson');

      const result = await runCli(['ingest', missing], { dataDir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${missing}: no such file`);
      expect(result.stderr).not.toContain(STACK_FRAME);
      expect(result.stdout).not.toContain('accepted');

      // Also for the literal path from the brief.
      const literal = await runCli(['ingest', '/no/such/file'], { dataDir });
      expect(literal.code).toBe(1);
      expect(literal.stderr).toContain('/no/such/file: no such file');
      expect(literal.stderr).not.toContain(STACK_FRAME);
    },
    E2E_TIMEOUT,
  );
});
