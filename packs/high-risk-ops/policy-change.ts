import { join } from 'node:path';
import { DomainError } from '../../kernel/errors/index.ts';
import { loadCaseFiles, PolicyBundleError, PolicyEngine, proposeBundle, runCases } from '../../kernel/policies/index.ts';
import { replayDecisions, type DecisionLog, type PolicyActivations } from '../../platform/governance/index.ts';
import type { WorkflowType } from '../../platform/workflows/index.ts';

const HOUR = 60 * 60 * 1000;
const FILE_NAME = /^[a-z0-9][a-z0-9-]{0,62}\.cedar$/;
const MAX_FILES = 32;
const MAX_BYTES = 1024 * 1024;
/** How many logged decisions a replay asks again, at most, and how many flips the evidence lists. */
const REPLAY_LIMIT = 20_000;
const FLIPS_LISTED = 100;

export interface PolicyChangeParams {
  /** The proposed policy set: `.cedar` file name → text; it replaces every policy in force (schema and data stay). */
  files: Record<string, string>;
  /** How far back the decision log is replayed against the proposal. */
  replay_hours: number;
}

interface Preflight {
  from_revision: string;
  proposed_revision: string;
  policies: number;
  regression: { cases: number; failed: number };
  replay: { window_hours: number; replayed: number; skipped: number; flipped: number; flips: unknown[] };
}

/**
 * AT-POL-001, a change of the policy bundle in production. Preflight validates the proposed set
 * against the schema (strict), runs the regression suite (`kernel/policies/tests`) on it — a
 * failing case fails the preflight, so the change can never execute — and replays the decisions
 * logged over the window, listing each that would flip. Execute activates it in the running
 * engine (no restart) and records it so a restart keeps it; its output, and so its receipt, names
 * the old and the new revision. Verify asks the engine which revision is in force. A rollback
 * puts back the set that was in force before.
 */
export function policyChange({ policies, decisions }: { policies: PolicyActivations; decisions: DecisionLog }): WorkflowType<PolicyChangeParams> {
  return {
    name: 'policy-change',
    pack: 'high-risk-ops',
    description: 'Change the Cedar policy bundle in production: schema validation and the regression suite as preflight, a replay of recent decisions, activation without restart.',
    scope: 'platform',
    parseParams: (input) => parsePolicyChange(input, policies.current),
    approval: { combine: 'all', groups: [{ role: 'approver', count: 1 }, { role: 'admin', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['security', 'compliance', 'incident', 'change'], minLength: 20 },
    approvalExpiryMs: 72 * HOUR,
    approvalSlaMs: 8 * HOUR,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context): Promise<Preflight> {
          const from = policies.current;
          const proposed = proposeBundle(from, context.params.files);
          if (samePolicies(proposed.policies, from.policies)) {
            throw new Error(`the proposal is the policy set already in force (${from.revision.id})`);
          }
          const candidate = new PolicyEngine(proposed);
          const invalid = candidate.validate();
          for (const error of invalid) context.log(`schema validation: ${error}`);
          if (invalid.length > 0) throw new Error(`${invalid.length} validation error(s) against the schema; the first: ${invalid[0]}`);
          context.log(`${Object.keys(proposed.policies).length} policies validate against the schema (strict)`);
          const results = loadCaseFiles(join(from.dir, 'tests')).flatMap(({ file, cases }) => runCases(candidate, file, cases));
          const failed = results.filter((result) => result.outcome === 'FAIL');
          for (const result of failed) {
            context.log(`regression FAIL ${result.file} "${result.name}": expected ${result.expected.decision}, got ${result.actual.decision} (${result.actual.reasons.join(', ') || 'no policy'})`);
          }
          if (failed.length > 0) throw new Error(`${failed.length} of ${results.length} regression cases fail on the proposal; it cannot be executed`);
          context.log(`regression suite: ${results.length} cases pass`);
          const since = new Date(context.now().getTime() - context.params.replay_hours * HOUR);
          const replay = replayDecisions(await decisions.since(since, REPLAY_LIMIT), candidate);
          for (const flip of replay.flips.slice(0, FLIPS_LISTED)) {
            context.log(`would flip ${flip.decision_id}: ${flip.principal} ${flip.action} ${flip.resource} ${flip.was} → ${flip.would_be}`);
          }
          context.log(`replayed ${replay.replayed} decisions since ${since.toISOString()}: ${replay.flips.length} would flip, ${replay.skipped} could not be replayed`);
          return {
            from_revision: from.revision.id,
            proposed_revision: proposed.revision.id,
            policies: Object.keys(proposed.policies).length,
            regression: { cases: results.length, failed: 0 },
            replay: { window_hours: context.params.replay_hours, replayed: replay.replayed, skipped: replay.skipped, flipped: replay.flips.length, flips: replay.flips.slice(0, FLIPS_LISTED) },
          };
        },
      },
      execute: {
        onInterrupt: 'retry',
        async run(context) {
          const { from_revision: from, proposed_revision: proposed } = context.outputs.preflight as Preflight;
          const inForce = policies.current.revision.id;
          if (inForce !== from && inForce !== proposed) {
            throw new Error(`the bundle in force changed since preflight (${from} → ${inForce}); request the change again so it is checked against what is in force`);
          }
          const activation = await policies.activate(context.params.files, context.runId, context.tenant, context.now());
          context.log(activation.already_active ? `${activation.to_revision} was already in force` : `activated ${activation.to_revision}, replacing ${activation.from_revision}, without a restart`);
          return { from_revision: from, to_revision: activation.to_revision, already_active: activation.already_active };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const { to_revision: expected } = context.outputs.execute as { to_revision: string };
          if (policies.current.revision.id !== expected) throw new Error(`the engine decides with ${policies.current.revision.id}, not ${expected}`);
          context.log(`the engine decides with ${expected}`);
          return { in_force: expected };
        },
      },
      rollback: {
        onInterrupt: 'retry',
        async run(context) {
          const preflight = context.outputs.preflight as Preflight | undefined;
          if (!preflight || policies.current.revision.id === preflight.from_revision) {
            context.log('the bundle in force is the one from before the change: nothing to undo');
            return { restored: false };
          }
          throw new Error(`${policies.current.revision.id} is in force; put ${preflight.from_revision} back with a policy change of its own`);
        },
      },
    },
  };
}

function samePolicies(a: Record<string, string>, b: Record<string, string>): boolean {
  const ids = Object.keys(a);
  return ids.length === Object.keys(b).length && ids.every((id) => a[id]?.trim() === b[id]?.trim());
}

function parsePolicyChange(input: unknown, base: Parameters<typeof proposeBundle>[0]): PolicyChangeParams {
  const invalid = (why: string) => new DomainError('WORKFLOW_PARAMS_INVALID', `policy-change: ${why}`);
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalid('params is an object: {"files": {"<name>.cedar": "<policy text>"}, "replay_hours": 24}.');
  const { files, replay_hours: hours = 24, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalid(`unknown parameter(s) ${Object.keys(rest).join(', ')}.`);
  if (!files || typeof files !== 'object' || Array.isArray(files)) throw invalid('files maps each .cedar file name to its policy text.');
  const entries = Object.entries(files as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_FILES) throw invalid(`files holds 1 to ${MAX_FILES} files, not ${entries.length}.`);
  let bytes = 0;
  for (const [name, text] of entries) {
    if (!FILE_NAME.test(name)) throw invalid(`"${name.slice(0, 80)}" is not a policy file name (lowercase letters, digits and dashes, ending .cedar).`);
    if (typeof text !== 'string') throw invalid(`${name} must be the policy text, a string.`);
    bytes += Buffer.byteLength(text);
  }
  if (bytes > MAX_BYTES) throw invalid(`the policy set is ${bytes} bytes; at most ${MAX_BYTES}.`);
  if (!Number.isInteger(hours) || (hours as number) < 1 || (hours as number) > 24 * 30) throw invalid('replay_hours is a whole number of hours from 1 to 720.');
  try {
    proposeBundle(base, files as Record<string, string>);
  } catch (error) {
    if (error instanceof PolicyBundleError) throw invalid(error.message);
    throw error;
  }
  return { files: files as Record<string, string>, replay_hours: hours as number };
}
