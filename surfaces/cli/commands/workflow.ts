import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { createCompanyOsClient, unwrap, type CompanyOsClient } from '../../../clients/typescript/index.ts';
import { findRunningPlatform, loadConfig } from '../kit/index.ts';

type Run = Awaited<ReturnType<typeof getRun>>;

interface Connection {
  url?: string;
  token?: string;
}

/**
 * `companyos workflow …`: governed workflows through the running platform's API, as the
 * principal of `--token` (or COMPANYOS_TOKEN) — never in local mode, which would act
 * without Cedar's decision and the gate: a governed action has no side door.
 */
export function registerWorkflow(program: Command): void {
  const workflow = program
    .command('workflow')
    .description('Request, approve or deny, execute and follow governed workflow runs (through the running platform, as --token\'s principal).');
  const connected = (command: Command) =>
    command
      .option('--url <url>', 'the platform\'s URL (default: the one `companyos start` runs on this data folder)')
      .option('--token <jwt>', 'whose call it is (default: $COMPANYOS_TOKEN; mint one with `companyos token`)');
  const rationale = (command: Command) =>
    command
      .requiredOption('--category <category>', 'rationale category, from the type\'s taxonomy (`companyos workflow types`)')
      .requiredOption('--reason <text>', 'why, in at least the type\'s minimum number of characters');

  connected(workflow.command('types').description('List the workflow types, their approval rules and steps.').option('--json', 'print JSON'))
    .action(async (options: Connection & { json?: boolean }) => {
      const { types } = await unwrap((await connect(options)).GET('/v1/workflows/types'));
      if (options.json) return console.log(JSON.stringify(types, null, 2));
      for (const type of types) {
        const rule = type.approval.groups.map((g) => `${g.count} × ${g.role}`).join(type.approval.combine === 'all' ? ' AND ' : ' OR ');
        console.log(`${type.name.padEnd(28)} ${rule.padEnd(36)} ${type.steps.join(' → ')}  (${type.pack}) ${type.description}`);
      }
    });

  rationale(connected(workflow.command('request <type>').description('Request a run: its preflight runs at once; it then waits for approvals.')))
    .option('--params <json>', 'the type\'s parameters, as JSON', jsonObject, {})
    .action(async (type: string, options: Connection & { category: string; reason: string; params: unknown }) => {
      const client = await connect(options);
      printRun(await unwrap(client.POST('/v1/workflows/types/{type}/runs', {
        params: { path: { type } }, body: { rationale: { category: options.category, text: options.reason }, params: options.params },
      })));
    });

  for (const decision of ['approve', 'deny'] as const) {
    rationale(connected(workflow.command(`${decision} <run-id>`).description(`${decision === 'approve' ? 'Approve' : 'Deny'} a run awaiting approval, with a rationale.`)))
      .action(async (id: string, options: Connection & { category: string; reason: string }) => {
        printRun(await unwrap((await connect(options)).POST('/v1/workflows/runs/{id}/approvals', {
          params: { path: { id } }, body: { decision, rationale: { category: options.category, text: options.reason } },
        })));
      });
  }

  connected(workflow.command('execute <run-id>').description('Carry out an approved run (execute, verify, rollback on failure); prints how it ended.'))
    .action(async (id: string, options: Connection) => printRun(await unwrap((await connect(options)).POST('/v1/workflows/runs/{id}/execute', { params: { path: { id } } }))));

  connected(workflow.command('cancel <run-id>').description('Cancel a run that is not executing yet, or revoke an active grant (temporary access) now.'))
    .action(async (id: string, options: Connection) => printRun(await unwrap((await connect(options)).POST('/v1/workflows/runs/{id}/cancel', { params: { path: { id } } }))));

  connected(workflow.command('status <run-id>').description('Show a run: where it stands, its transitions (each with its receipt), approvals and steps.').option('--json', 'print JSON'))
    .action(async (id: string, options: Connection & { json?: boolean }) => {
      const run = await getRun(await connect(options), id);
      if (options.json) return console.log(JSON.stringify(run, null, 2));
      printRun(run);
      for (const t of run.transitions) console.log(`  ${String(t.seq).padStart(3)} ${t.at} ${t.status.padEnd(18)} ${t.actor.padEnd(24)} ${t.receipt_id}`);
    });

  connected(workflow.command('list').description('List the tenant\'s runs, newest first.'))
    .option('--status <status>', 'only runs that stand here (e.g. awaiting-approval, active, revoked)')
    .option('--type <type>', 'only runs of this type')
    .option('--json', 'print NDJSON')
    .action(async (options: Connection & { status?: string; type?: string; json?: boolean }) => {
      const { runs } = await unwrap((await connect(options)).GET('/v1/workflows/runs', {
        params: { query: { status: options.status as Run['status'] | undefined, type: options.type } },
      }));
      for (const run of runs) {
        if (options.json) console.log(JSON.stringify(run));
        else printRun(run);
      }
    });

  connected(workflow.command('evidence <run-id>').description('Save a run\'s evidence bundle (verify it offline with `companyos ledger verify`).'))
    .option('--out <file>', 'where to write it', (value: string) => value)
    .action(async (id: string, options: Connection & { out?: string }) => {
      const bundle = (await unwrap((await connect(options)).GET('/v1/workflows/runs/{id}/evidence', { params: { path: { id } } }))) as { entries: unknown[]; evidence: unknown[] };
      const out = options.out ?? `workflow-run-${id}.bundle.json`;
      await writeFile(out, `${JSON.stringify(bundle, null, 2)}\n`);
      console.log(`wrote ${out}: ${bundle.entries.length} receipts, ${bundle.evidence.length} evidence items; check it with \`companyos ledger verify ${out} --key PUBKEY\``);
    });
}

function getRun(client: CompanyOsClient, id: string) {
  return unwrap(client.GET('/v1/workflows/runs/{id}', { params: { path: { id } } }));
}

async function connect(options: Connection): Promise<CompanyOsClient> {
  const token = options.token ?? process.env.COMPANYOS_TOKEN;
  if (!token) throw new InvalidArgumentError('Whose call is it? Pass --token or set COMPANYOS_TOKEN (mint one with `companyos token`).');
  const url = options.url ?? (await findRunningPlatform(loadConfig().dataDir));
  if (!url) throw new InvalidArgumentError('No platform is running on this data folder: start one (`companyos start`) or pass --url.');
  return createCompanyOsClient({ baseUrl: url, token });
}

function printRun(run: Run): void {
  const waiting = Object.entries(run.outstanding).map(([role, n]) => `${n} × ${role}`).join(', ');
  console.log(`${run.run_id}  ${run.workflow_type.padEnd(24)} ${run.status.padEnd(18)} by ${run.requested_by}${waiting ? `  (needs ${waiting})` : ''}`);
}

function jsonObject(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError(`--params is not JSON: ${value}`);
  }
}
