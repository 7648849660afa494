// A workflow run in a process that stops to be SIGKILLed (platform/workflows/workflow-durability.test.ts):
// `run-until-killed.ts <dir> <stop>` requests, approves and executes one run of the test type, and
// stops — printing "paused" and waiting — after its <stop>-th committed state transaction, or in the
// middle of the execute step when <stop> is "mid-execute". Prints "done" if it gets to the end.
import { join } from 'node:path';
import { Keyring, LEDGER_KEY_NAME } from '../../../kernel/ledger/index.ts';
import { DuckDBStateStore, ensureStateSchema, type StateStore } from '../../../kernel/state/index.ts';
import { LedgerStore } from '../../governance/index.ts';
import { WORKFLOW_TABLES } from '../workflow-tables.ts';
import { TABLES } from '../../../kernel/warehouse/index.ts';
import { WorkflowEngine } from '../workflow-engine.ts';
import { testWorkflow } from './test-workflow.ts';

const [dir, stop, onInterrupt] = process.argv.slice(2) as [string, string, 'retry' | 'compensate'];
const hang = () => {
  process.stdout.write('paused\n');
  return new Promise<never>(() => undefined);
};
const store = await DuckDBStateStore.open(join(dir, 'state.duckdb'), [...TABLES, ...WORKFLOW_TABLES]);
await ensureStateSchema(store);
let commits = 0;
const stopping: StateStore = {
  engine: store.engine,
  soleWriter: store.soleWriter,
  location: store.location,
  tables: store.tables,
  query: (sql, params) => store.query(sql, params),
  snapshot: (work) => store.snapshot(work),
  reclaim: (tables) => store.reclaim(tables),
  close: () => store.close(),
  async transaction(work) {
    const result = await store.transaction(work);
    if (++commits === Number(stop)) await hang();
    return result;
  },
};
const ledger = new LedgerStore(stopping, await Keyring.open(join(dir, 'keys'), LEDGER_KEY_NAME));
const type = testWorkflow({ journal: join(dir, 'journal.txt'), onInterrupt, pause: async (point) => (point === stop ? hang() : undefined) });
const engine = new WorkflowEngine({ state: stopping, ledger, types: [type] });
const run = await engine.request({ tenant: 'acme', type: type.name, requestedBy: 'ana', rationale: { category: 'maintenance', text: 'rotate the staging certificate' }, params: { target: 'cert' } });
await engine.decide({ tenant: 'acme', runId: run.runId, approver: 'bo', roles: ['approver'], decision: 'approve', rationale: { category: 'maintenance', text: 'the preflight output looks right' } });
await engine.execute('acme', run.runId, 'cy');
process.stdout.write(`done ${commits}\n`);
setInterval(() => undefined, 60_000);
