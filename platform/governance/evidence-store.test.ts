import { describe, expect, it } from 'vitest';
import { useStateStore } from '../../test/support/state.ts';
import { EvidenceStore } from './evidence-store.ts';

const ITEM = { kind: 'file' as const, name: 'runbook.pdf', sha256: 'a'.repeat(64) };

describe('the evidence store', () => {
  const store = useStateStore();

  it('knows an item by id in its tenant only, and not once its attach was rolled back', async () => {
    const evidence = new EvidenceStore(store.state);
    const kept = await evidence.attach('acme', [ITEM], undefined, 'rcpt-1', 'acme/ops');
    const undone = await evidence.attach('acme', [ITEM], undefined, 'rcpt-2', 'acme/ops');
    await evidence.rollback('acme', undone, 'rollback:rcpt-2');
    const ids = [kept.items[0]!.id, undone.items[0]!.id];
    expect((await evidence.items('acme', ids)).map((item) => item.id)).toEqual([kept.items[0]!.id]);
    expect(await evidence.find('acme', undone.bundleId)).toBeUndefined();
    expect(await evidence.items('globex', ids)).toEqual([]);
  });
});
