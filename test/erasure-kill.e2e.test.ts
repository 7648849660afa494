import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { markerMaker, markersIn, TEXT_AS_WRITTEN_ENV } from './support/byte-search.ts';
import { killAllCliProcesses, runCli, startPlatform, TempDirs, type RunningPlatform } from './support/cli.ts';

afterEach(async () => {
  await killAllCliProcesses();
});

const mark = markerMaker();

interface RunBody {
  status: string;
  steps: { step: string; phase: string }[];
}

describe('erasure killed mid-way (kill -9 while it executes): the restarted platform finishes it, once', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('resumes the erasure at restart: 0 markers left, one manifest and one receipt, the neighbours\' rows kept', { timeout: 300_000 }, async () => {
    const dataDir = await dirs.make();
    const token = async (subject: string, role: string) => (await runCli(['token', '--tenant', 'acme', '--role', role, '--subject', subject], { dataDir })).stdout.trim();
    let platform: RunningPlatform = await startPlatform(dataDir, ['--no-seed'], { env: TEXT_AS_WRITTEN_ENV, timeoutMs: 90_000 });
    const [alice, bob, carol, dave] = [await token('alice', 'operator'), await token('bob', 'approver'), await token('carol', 'admin'), await token('dave', 'operator')];
    const call = async (bearer: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${platform.url}${path}`, {
        method, headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const subject = mark();
    const markers = [subject, ...Array.from({ length: 4 }, () => mark())];
    const event = (id: string, who: string, data: Record<string, unknown>) => ({
      specversion: '1.0', id, source: '/crm', type: 'usage.recorded', subject: who, time: new Date().toISOString(), tenantid: 'acme', policyversion: 'v1', data,
    });
    // Each marker in a row large enough to be stored uncompressed (in the v1.0 format); neighbours of the same tenant that must stay.
    const planted = markers.slice(1).map((m, i) => event(`s-${i}`, subject, { note: `${subject} ${m}`, pad: randomBytes(4000).toString('hex') }));
    const neighbours = Array.from({ length: 3 }, (_, i) => event(`n-${i}`, 'customer-neighbour', { units: i }));
    expect((await call(alice, 'POST', '/v1/events', [...planted, ...neighbours])).body).toMatchObject({ accepted: 7 });
    expect(Object.keys(await markersIn(dataDir, markers)).length).toBeGreaterThan(0);

    const requested = await call(alice, 'POST', '/v1/admin/purges', { subject, rationale: { category: 'data-subject-request', text: 'erasure request DSR-207 received by the DPO' } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const runId = requested.body.run_id as string;
    for (const approver of [bob, carol]) {
      expect((await call(approver, 'POST', `/v1/workflows/runs/${runId}/approvals`, { decision: 'approve', rationale: { category: 'data-subject-request', text: 'identity of the requester checked' } })).status).toBe(201);
    }
    // Execute, and kill the platform at a random moment once the execute step has begun.
    void call(dave, 'POST', `/v1/workflows/runs/${runId}/execute`).catch(() => undefined);
    const started = Date.now();
    for (;;) {
      const run = (await call(alice, 'GET', `/v1/workflows/runs/${runId}`)).body as unknown as RunBody;
      if (run.steps.some((s) => s.step === 'execute' && s.phase === 'started')) break;
      expect(Date.now() - started).toBeLessThan(30_000);
      await sleep(20);
    }
    // Within the first 600 ms: the step takes over 2 s here, so a machine three times faster still kills it mid-way.
    const delay = Math.floor(Math.random() * 600);
    await sleep(delay);
    const before = ((await call(alice, 'GET', `/v1/workflows/runs/${runId}`)).body as unknown as RunBody).status;
    process.kill(platform.pid, 'SIGKILL');
    await platform.stop();
    console.log(`erasure ${runId} killed ${delay} ms into its execute step (${before} just before)`);

    // Restarted: the run under way is carried out again from where it stood, before the platform serves.
    platform = await startPlatform(dataDir, ['--no-seed'], { env: TEXT_AS_WRITTEN_ENV, timeoutMs: 120_000 });
    let run: RunBody | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
      run = (await call(alice, 'GET', `/v1/workflows/runs/${runId}`)).body as unknown as RunBody;
      if (['succeeded', 'failed', 'rolled-back'].includes(run.status)) break;
    }
    expect(run?.status, JSON.stringify(run).slice(0, 1500)).toBe('succeeded');
    // Killed mid-way (the step takes over 2 s here), so begun twice and completed once.
    expect(before).toBe('executing');
    expect(run!.steps.filter((s) => s.step === 'execute' && s.phase === 'started').length).toBeGreaterThanOrEqual(2);
    expect(run!.steps.filter((s) => s.step === 'execute' && s.phase === 'completed')).toHaveLength(1);
    const manifests = ((await call(alice, 'GET', '/v1/provenance/purge-manifests?limit=10')).body.manifests as { purge_id: string }[]).filter((m) => m.purge_id === `erasure-${runId}`);
    expect(manifests).toHaveLength(1);
    const receipt = await call(alice, 'GET', `/v1/provenance/receipts/purge-erasure-${runId}`);
    expect(receipt.status).toBe(200);
    const events = await call(alice, 'GET', '/v1/events?limit=100');
    // The platform's own metering events (the run's) are there too; of the CRM's, only the neighbours'.
    expect((events.body.events as { source: string; subject: string }[]).filter((e) => e.source === '/crm').map((e) => e.subject)).toEqual(['customer-neighbour', 'customer-neighbour', 'customer-neighbour']);
    await sleep(1500);
    expect(await markersIn(dataDir, markers)).toEqual({});
    expect((await platform.stop('SIGTERM')).code).toBe(0);
    expect(await markersIn(dataDir, markers)).toEqual({});
  });
});
