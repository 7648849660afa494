import { DomainError } from '../../kernel/errors/index.ts';
import type { Principal, TokenAuthority } from '../identity/index.ts';
import type { WorkflowEngine } from './workflow-engine.ts';

/** The longest an executor token lives, however long the run's approval window still is. */
const EXECUTOR_TOKEN_TTL_MS = 15 * 60_000;

/** The audience of a token bound to one run. */
export function runAudience(runId: string): string {
  return `workflow-run:${runId}`;
}

/**
 * RFC 8693 token exchange for an approved run: the subject (who may execute it) gets a short-lived token
 * whose audience is that run alone and whose `act` names who acts for them (an executor machine, or the
 * subject itself). It expires with the run's approval window, at most 15 minutes on.
 */
export async function exchangeForExecutor(
  deps: { workflows: WorkflowEngine; tokens: TokenAuthority; now?: () => Date },
  subject: Principal & { id: string },
  runId: string,
  actor: string | undefined,
): Promise<{ token: string; expiresAt: Date; audience: string }> {
  if (subject.audience) throw new DomainError('TOKEN_EXCHANGE_INVALID', 'An exchanged token is not exchanged again.');
  if (!subject.roles.some((role) => role === 'admin' || role === 'operator')) {
    throw new DomainError('TOKEN_EXCHANGE_FORBIDDEN', 'Only those who may execute runs (admins, operators) get an executor token.');
  }
  const run = await deps.workflows.get(subject.tenant, runId);
  if (run.status !== 'approved') throw new DomainError('TOKEN_EXCHANGE_FORBIDDEN', `Run ${runId} is ${run.status}; an executor token is for an approved run.`);
  const now = (deps.now ?? (() => new Date()))();
  const expiresAt = new Date(Math.min(run.approvalExpiresAt.getTime(), now.getTime() + EXECUTOR_TOKEN_TTL_MS));
  if (expiresAt.getTime() <= now.getTime()) throw new DomainError('WORKFLOW_APPROVAL_EXPIRED', `Run ${runId}'s approval window has closed.`);
  const audience = runAudience(runId);
  const token = await deps.tokens.mint({
    tenant: subject.tenant, roles: subject.roles, subject: subject.subject, env: subject.env, region: subject.region,
    expiresIn: Math.floor(expiresAt.getTime() / 1000), audience, actor: actor ?? subject.id,
  });
  return { token, expiresAt, audience };
}
