// A quote book on a DuckDB state store in a directory, with the discount workflow, as a process of
// the platform builds it: what the kill test's child and the restarted process both open.
import { join } from 'node:path';
import { Keyring, LEDGER_KEY_NAME } from '../../../../kernel/ledger/index.ts';
import { DuckDBStateStore, ensureStateSchema } from '../../../../kernel/state/index.ts';
import { TABLES } from '../../../../kernel/warehouse/index.ts';
import { LedgerStore } from '../../../../platform/governance/index.ts';
import type { PlatformEvent } from '../../../../platform/ingest/index.ts';
import { TenantScope, stateSource } from '../../../../platform/tenancy/index.ts';
import { WORKFLOW_TABLES, WorkflowEngine } from '../../../../platform/workflows/index.ts';
import { discountApproval } from '../discount-approval.ts';
import { QuoteApprovals } from '../quote-approvals.ts';
import { QuoteBook } from '../quote-book.ts';
import { QUOTE_TABLES } from '../quote-tables.ts';

export const AT = new Date('2026-11-30T10:00:00.000Z');

export async function openQuoteDesk(dir: string, emit: (tenant: string, events: readonly PlatformEvent[]) => Promise<void>) {
  const state = await DuckDBStateStore.open(join(dir, 'state.duckdb'), [...TABLES, ...WORKFLOW_TABLES, ...QUOTE_TABLES]);
  await ensureStateSchema(state);
  const ledger = new LedgerStore(state, await Keyring.open(join(dir, 'keys'), LEDGER_KEY_NAME));
  const deps = { state, stateScope: (tenant: string) => new TenantScope(stateSource(state), tenant), ledger, emit, now: () => AT };
  const approvals = new QuoteApprovals(deps);
  const workflows = new WorkflowEngine({ state, ledger, types: [discountApproval({ approvals })], emit });
  const quotes = new QuoteBook({ ...deps, approvals, workflows });
  return {
    state, ledger, approvals, quotes,
    close: async () => {
      await ledger.close();
      await state.close();
    },
  };
}
