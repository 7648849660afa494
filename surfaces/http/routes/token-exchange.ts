import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';
import { appendRecordReceipt, type LedgerStore } from '../../../platform/governance/index.ts';
import type { BearerTokens, TokenAuthority } from '../../../platform/identity/index.ts';
import { exchangeForExecutor, type WorkflowEngine } from '../../../platform/workflows/index.ts';
import { httpStatusOf } from '../kit/index.ts';
import { toDomainError } from '../to-domain-error.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TOKEN_TYPES = ['urn:ietf:params:oauth:token-type:access_token', 'urn:ietf:params:oauth:token-type:jwt'];
const ISSUED_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

interface ExchangeRequest {
  grant_type?: string;
  subject_token?: string;
  subject_token_type?: string;
  audience?: string;
  actor_token?: string;
  actor_token_type?: string;
}

/**
 * RFC 8693 token exchange at `POST /oauth/token`: a subject token (whoever may execute an approved run)
 * becomes a short-lived executor token bound to that run (`audience=workflow-run:<id>`), with `act`
 * naming the actor token's holder. Answers and errors as OAuth 2.0 does (RFC 6749 §5); each exchange is
 * receipted in the tenant's ledger.
 */
export function tokenExchangeRoutes(root: FastifyInstance, deps: { bearer: BearerTokens; tokens: TokenAuthority; workflows: WorkflowEngine; ledger: LedgerStore; clock: { now(): Date } }): void {
  void root.register(async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))));
    app.setErrorHandler((error: FastifyError, _request, reply) => oauthError(reply, toDomainError(error)));
    app.post<{ Body: ExchangeRequest }>('/oauth/token', { config: { public: true, ungated: 'the subject token is the credential; the run\'s own gate decides each use of what it mints' }, schema: { hide: true } }, async (request, reply) => {
      const body = request.body ?? {};
      if (body.grant_type !== TOKEN_EXCHANGE) throw new DomainError('TOKEN_EXCHANGE_INVALID', `grant_type must be ${TOKEN_EXCHANGE}.`);
      if (!body.subject_token || !TOKEN_TYPES.includes(body.subject_token_type ?? '')) throw new DomainError('TOKEN_EXCHANGE_INVALID', 'A subject_token of type access_token or jwt is needed.');
      const runId = /^workflow-run:([\w-]{1,128})$/.exec(body.audience ?? '')?.[1];
      if (!runId) throw new DomainError('TOKEN_EXCHANGE_INVALID', 'audience must be workflow-run:<run id>.');
      const subject = await deps.bearer.verify(`Bearer ${body.subject_token}`);
      let actor: string | undefined;
      if (body.actor_token) {
        if (!TOKEN_TYPES.includes(body.actor_token_type ?? '')) throw new DomainError('TOKEN_EXCHANGE_INVALID', 'actor_token_type must be access_token or jwt.');
        const acting = await deps.bearer.verify(`Bearer ${body.actor_token}`);
        if (acting.tenant !== subject.tenant) throw new DomainError('TOKEN_EXCHANGE_FORBIDDEN', 'The actor belongs to another tenant.');
        actor = `${acting.tenant}/${acting.subject}`;
      }
      const issued = await exchangeForExecutor({ workflows: deps.workflows, tokens: deps.tokens, now: () => deps.clock.now() }, { ...subject, id: `${subject.tenant}/${subject.subject}` }, runId, actor);
      await appendRecordReceipt(deps.ledger, {
        tenant: subject.tenant, receiptId: `token-exchange/${runId}/${issued.expiresAt.getTime()}/${actor ?? subject.subject}`, actor: `${subject.tenant}/${subject.subject}`,
        action: 'identity.token_exchange', targetName: `workflow-run/${runId}`, decisionId: `token-exchange/${runId}`, bundleRevision: 'rfc8693',
        approvers: [], at: new Date(), record: JSON.stringify({ run_id: runId, audience: issued.audience, act: actor ?? null, expires_at: issued.expiresAt.toISOString() }),
      });
      return reply.header('cache-control', 'no-store').send({
        access_token: issued.token, issued_token_type: ISSUED_TYPE, token_type: 'Bearer',
        expires_in: Math.max(1, Math.floor((issued.expiresAt.getTime() - Date.now()) / 1000)),
      });
    });
  });
}

/** OAuth 2.0's error answer (RFC 6749 §5.2; RFC 8693 §2.2.2), with the catalogue's code beside it. */
function oauthError(reply: FastifyReply, error: DomainError): FastifyReply {
  const status = httpStatusOf(error);
  const oauth = error.code === 'TOKEN_EXCHANGE_INVALID' ? 'invalid_request'
    : error.code === 'TOKEN_EXCHANGE_FORBIDDEN' || error.code === 'WORKFLOW_APPROVAL_EXPIRED' || error.code === 'WORKFLOW_NOT_FOUND' ? 'invalid_target'
      : status === 401 ? 'invalid_grant' : status >= 500 ? 'temporarily_unavailable' : 'invalid_request';
  return reply.code(status === 401 || status === 403 || status === 404 ? 400 : status).header('cache-control', 'no-store')
    .send({ error: oauth, error_description: error.message, code: error.code });
}
