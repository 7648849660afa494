import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deliverWebhook, SIGNATURE_HEADER, signWebhook, verifyWebhook, type WebhookConfig } from '../finops/index.ts';
import { RotatingSecret } from '../../platform/identity/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { apiHarness } from '../../test/support/api.ts';

const PLATFORM = 'summit-internal';
const WHY = { category: 'security', text: 'the receiver team changed; rotate the shared webhook secret' };
const INITIAL = 'initial-webhook-secret-long-enough-to-sign-with';

describe('webhook signatures during a rotation', () => {
  it('carry one v1 per secret in use, each verifying with its own secret, and none with another', () => {
    const header = signWebhook(['new-secret-new-secret-new-secret-1', 'old-secret-old-secret-old-secret-1'], '{"a":1}', 1_790_000_000);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhook('new-secret-new-secret-new-secret-1', '{"a":1}', header, 1_790_000_000)).toBe(true);
    expect(verifyWebhook('old-secret-old-secret-old-secret-1', '{"a":1}', header, 1_790_000_000)).toBe(true);
    expect(verifyWebhook('other-secret-other-secret-other-1', '{"a":1}', header, 1_790_000_000)).toBe(false);
    expect(verifyWebhook('old-secret-old-secret-old-secret-1', '{"a":2}', header, 1_790_000_000)).toBe(false);
  });
});

describe.each(TEST_ENGINES)('High-Risk Ops: invoice webhook secret rotation on %s', (engine) => {
  const db = useWarehouse(engine);

  it('signs deliveries with the new and the old secret through the overlap, never puts a secret in the evidence, and keeps it across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'webhook-rotation-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const webhookSecret = new RotatingSecret(dir, 'invoice-webhook-secret', INITIAL);
    await webhookSecret.load();
    const api = await apiHarness(db.warehouse, { webhookSecret });
    onTestFinished(() => api.app.close());
    const [ops, lead, sre] = await Promise.all([api.principal('ops', PLATFORM, 'operator'), api.principal('lead', PLATFORM, 'approver'), api.principal('sre', PLATFORM, 'operator')]);
    const call = (token: string, url: string, payload?: object) => api.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

    const run = (await call(ops, '/v1/workflows/types/webhook-secret-rotation/runs', { rationale: WHY, params: { overlap_minutes: 60 } })).json();
    expect(run.status, JSON.stringify(run)).toBe('awaiting-approval');
    await call(lead, `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: WHY });
    const done = (await call(sre, `/v1/workflows/runs/${run.run_id}/execute`)).json();
    expect(done.status, JSON.stringify(done.transitions.at(-1))).toBe('succeeded');
    const rotated = webhookSecret.current;
    expect(rotated).not.toBe(INITIAL);
    expect(webhookSecret.inUse()).toEqual([rotated, INITIAL]);
    const evidence = (await api.app.inject({ method: 'GET', url: `/v1/workflows/runs/${run.run_id}/evidence`, headers: { authorization: `Bearer ${lead}` } })).body;
    for (const text of [JSON.stringify(done), evidence, Buffer.from(evidence).toString('base64')]) {
      expect(text).not.toContain(rotated);
      expect(text).not.toContain(INITIAL);
    }

    // A receiver still on the old secret accepts the delivery, as does one on the new.
    const received: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk)).on('end', () => {
        received.push(String(request.headers[SIGNATURE_HEADER]));
        const now = Math.floor(Date.now() / 1000);
        const ok = verifyWebhook(INITIAL, body, String(request.headers[SIGNATURE_HEADER]), now) && verifyWebhook(rotated, body, String(request.headers[SIGNATURE_HEADER]), now);
        response.writeHead(ok ? 204 : 401).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    onTestFinished(() => void receiver.close());
    const config: WebhookConfig = {
      url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`, secret: INITIAL, maxAttempts: 1, backoffMs: 1, timeoutMs: 5_000,
      signingSecrets: () => webhookSecret.inUse(),
    };
    expect((await deliverWebhook(config, '{"invoice":"INV-1"}', {}, async () => {})).outcome).toBe('delivered');
    expect(received).toHaveLength(1);

    // After a restart the file supersedes the setting, and the old secret still signs until its overlap ends.
    const restarted = new RotatingSecret(dir, 'invoice-webhook-secret', INITIAL);
    expect(await restarted.load()).toBe(true);
    expect(restarted.inUse()).toEqual([rotated, INITIAL]);
    expect(restarted.inUse(Date.now() + 61 * 60 * 1000)).toEqual([rotated]);
  });
});
