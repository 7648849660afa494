import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildReceipt, openEnvelope, verifyBundle } from '../../kernel/ledger/index.ts';
import { createPlatform, type Platform } from '../../surfaces/compose/index.ts';
import { stateOptionsFor, useWarehouse } from '../../test/support/engines.ts';
import { exportBundle } from '../governance/bundle-export.ts';
import { AdjustableClock } from '../workflows/index.ts';
import type { PurgeManifest, RetentionWindows } from './index.ts';

const DAY_MS = 86_400_000;
const WINDOWS: RetentionWindows = { 'raw-events': 10, quarantine: 5, bills: 20, 'run-history': 3, 'decision-log': 7, evidence: 30, audit: 40, 'financial-record': 60 };

/** A receipt with a hidden field in `tenant`'s log, appended now. */
async function receiptWithHiddenField(platform: Platform, tenant: string, receiptId: string): Promise<void> {
  const key = platform.ledger.keyring.active;
  const built = buildReceipt({
    receiptId, tenant, actor: `${tenant}/ops`, action: 'entity.delete', target: { name: `entity/${receiptId}`, digest: createHash('sha256').update(receiptId).digest('hex') },
    decisionId: `d-${receiptId}`, bundleRevision: 'rev-1', approvers: [], evidenceRefs: [], time: new Date().toISOString(), hidden: { rationale: `customer asked, ${receiptId}` },
  }, key);
  await platform.ledger.append(tenant, { receiptId, text: JSON.stringify(built.envelope), disclosures: built.disclosures, keyId: key.keyId });
}

describe('retention of what the state store holds: evidence content, the receipts\' hidden fields, invoices', () => {
  const db = useWarehouse('duckdb');

  it('expires each at its window — evidence keeps its digest, every receipt stays and verifies with its redaction marker, invoices go — and lists it in the tenant\'s manifest', async () => {
    const t = new Date();
    const clock = new AdjustableClock();
    clock.set(new Date(t.getTime() + 45 * DAY_MS));
    const platform = await createPlatform({ warehouse: db.warehouse, state: stateOptionsFor(db.warehouse), retention: { windows: WINDOWS, clock } });
    try {
      const { state } = platform;
      const at = (days: number) => new Date(t.getTime() + days * DAY_MS);
      const evidence = (id: string, attachedAt: Date) => ({
        tenant_id: 'acme', evidence_id: id, bundle_id: 'b-1', receipt_id: null, kind: 'document', name: `${id}.txt`, sha256: createHash('sha256').update(id).digest('hex'),
        size_bytes: 2, content: Buffer.from(id).toString('base64'), attach_receipt_id: 'r-attach', attached_by: 'acme/ops', attached_at: attachedAt, status: 'attached',
      });
      const invoice = (id: string, generatedAt: Date) => ({
        tenant_id: 'acme', invoice_id: id, customer_tenant: 'acme', period_start: generatedAt, currency: 'USD', total: '10.00', sha256: 'f'.repeat(64),
        artifact_json: '{}', artifact_csv: '', revision: 1, generated_at: generatedAt,
      });
      const delivery = (id: string, attemptedAt: Date) => ({
        tenant_id: 'acme', delivery_id: id, invoice_id: id, invoice_sha256: 'f'.repeat(64), url: 'https://billing.example', attempt: 1, attempted_at: attemptedAt,
        status_code: 200, outcome: 'delivered', error: null, duration_ms: 5,
      });
      // At the run (t + 45 days): evidence 45 days old (window 30) and 25; invoices 65 days old (window 60) and 45.
      await state.transaction(async (tx) => {
        await tx.insert('evidence', [evidence('ev-old', at(0)), evidence('ev-young', at(20))]);
        await tx.insert('invoices', [invoice('inv-old', at(-20)), invoice('inv-young', at(0))]);
        await tx.insert('invoice_deliveries', [delivery('inv-old', at(-20)), delivery('inv-young', at(0))]);
      });
      // Receipts appended now are 45 days old at the run (window 40); one is dated 35 days.
      await receiptWithHiddenField(platform, 'acme', 'r-old');
      await receiptWithHiddenField(platform, 'acme', 'r-young');
      expect(await state.transaction((tx) => tx.compareAndSet('ledger_entries', { tenant_id: 'acme', receipt_id: 'r-young' }, {}, { appended_at: at(10) }))).toBe(true);

      const manifest = (await platform.retention!.runIfDue())!;
      expect(manifest.counts).toMatchObject({ evidence: 1, audit: 1, 'financial-record': 2 });

      const items = await state.query<{ evidence_id: string; content: string | null; sha256: string }>("SELECT evidence_id, content, sha256 FROM evidence WHERE tenant_id = 'acme' ORDER BY evidence_id");
      expect(items.map((i) => [i.evidence_id, i.content === null, i.sha256.length])).toEqual([['ev-old', true, 64], ['ev-young', false, 64]]);
      expect((await state.query("SELECT invoice_id FROM invoices WHERE tenant_id = 'acme'")).map((r) => r.invoice_id)).toEqual(['inv-young']);
      expect((await state.query("SELECT delivery_id FROM invoice_deliveries WHERE tenant_id = 'acme'")).map((r) => r.delivery_id)).toEqual(['inv-young']);
      const disclosures = await state.query<{ receipt_id: string; disclosures: string }>("SELECT receipt_id, disclosures FROM ledger_entries WHERE tenant_id = 'acme' AND receipt_id IN ('r-old', 'r-young') ORDER BY log_index");
      expect(disclosures.map((r) => [r.receipt_id, JSON.parse(r.disclosures).length])).toEqual([['r-old', 0], ['r-young', 1]]);

      // The tenant's signed manifest lists the redaction (digest and field, not the value); the receipt still verifies offline with it.
      const [own] = await platform.retention!.manifests('acme');
      const body = JSON.parse(openEnvelope(own!.envelope, platform.ledger.keyring).payload.toString('utf8')) as PurgeManifest;
      expect(body.redactions).toEqual([{ receiptId: 'r-old', digest: expect.any(String), name: 'rationale' }]);
      expect(JSON.stringify(body)).not.toContain('customer asked');
      const entries = await platform.ledger.entries('acme', ['r-old', 'r-young']);
      const bundle = await exportBundle(platform.ledger, platform.evidence, 'acme', 'retention-check', entries, []);
      const report = verifyBundle(bundle, platform.ledger.keyring);
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(verifyBundle({ ...bundle, purgeManifests: undefined }, platform.ledger.keyring).ok).toBe(false);
    } finally {
      await platform.close();
    }
  });
});
