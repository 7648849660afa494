import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlatformEvent } from '../../../platform/ingest/index.ts';
import { runUntilKilled } from '../../../test/support/until-killed.ts';
import { openQuoteDesk } from './testdata/quote-desk.ts';

describe('a quote in the automatic band, its process SIGKILLed', () => {
  it.each(['revops.quote.revised', 'revops.quote.approved'])('stands approved with one receipt after a restart and the sweep, killed at %s', async (stopAt) => {
    const dir = await mkdtemp(join(tmpdir(), 'companyos-quote-kill-'));
    try {
      expect(await runUntilKilled('packs/revops/quotes/testdata/quote-until-killed.ts', [dir, stopAt])).toBe('paused');
      const emitted: PlatformEvent[] = [];
      const desk = await openQuoteDesk(dir, async (_tenant, events) => void emitted.push(...events));
      try {
        // What the pack's sweep does after a restart.
        await desk.approvals.settleOwed();
        const quote = await desk.quotes.get('acme', 'q-1');
        expect(quote).toMatchObject({ status: 'approved', current: { revision: 1, band: 'automatic' }, approval: { revision: 1, band: 'automatic', runId: null } });
        expect((await desk.ledger.entries('acme', [quote.approval!.receiptId])).map((e) => e.receiptId)).toEqual([quote.approval!.receiptId]);
        // Killed before the receipt: the sweep appended it and reported the approval; after it, nothing was owed.
        expect(emitted.map((e) => e.type)).toEqual(stopAt === 'revops.quote.revised' ? ['revops.quote.approved'] : []);
        expect(await desk.approvals.settleOwed()).toBe(0);
      } finally {
        await desk.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
