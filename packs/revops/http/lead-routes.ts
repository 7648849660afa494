import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';
import { bodyErrorsAs, errorResponses } from '../../../surfaces/http/kit/index.ts';
import { TOUCH_CHANNELS, type IntakeOutcome, type Lead, type LeadInput, type LeadIntake, type LeadRouter, type LeadStatus, type LeadTouches, type Routing, type TouchChannel } from '../index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { leadBatchSchema, leadIdParams, leadInputSchema, leadIntakeReplySchema, leadSchema, MAX_LEAD_BATCH, replayReplySchema, routingPolicySchema } from './lead-schemas.ts';

interface LeadRouteDeps {
  leads: LeadIntake;
  router: LeadRouter;
  touches: LeadTouches;
  /** The platform's clock: what a touch is timed by against its SLA. */
  now(): Date;
  /** Where this server runs: leads are decided as data of this region. */
  region: string;
}

/** Leads are personal data: confidential, whoever sent them. */
const leadResource = (region: string, id: string) => (request: FastifyRequest): ResourceAttributes => ({
  id, tenant: request.principal!.tenant, kind: 'Lead', data_class: 'confidential', region,
});

const INTAKE_DESCRIPTION =
  'Each lead is normalized (email, domain, phone as E.164, company name), parked as spam with its disposition (a filled honeypot, a throwaway ' +
  'mail domain, too many web-form leads from one origin), or linked to the earlier lead it duplicates (exact or near: case, typos, phone ' +
  'formats, company suffixes), or taken as new; each is counted as a `revops.leads_ingested_total` event. Privileged: receipted.';

/** Lead intake, reads and merges (RevOps). */
export function leadRoutes(app: FastifyInstance, deps: LeadRouteDeps): void {
  const intake = async (request: FastifyRequest, inputs: LeadInput[]) => {
    const outcomes = await deps.leads.take(request.principal!.tenant, inputs, request.gate!.principalId);
    return outcomes.map(leadJson);
  };

  app.post<{ Body: LeadInput }>('/v1/revops/leads', {
    schema: {
      operationId: 'createLead', summary: 'Take in a lead', description: INTAKE_DESCRIPTION, tags: ['revops'],
      body: { ...leadInputSchema, examples: [{ id: 'form-8841', source: 'web_form', origin: '203.0.113.7', email: 'jane.doe@acme.io', phone: '(415) 555-0134', first_name: 'Jane', last_name: 'Doe', company: 'Acme, Inc.', country: 'US' }] },
      response: { 201: leadIntakeReplySchema, ...errorResponses(400) },
    },
    schemaErrorFormatter: bodyErrorsAs({ '': 'LEAD_INVALID' }),
    // An import: receipted before it acts, on the leads as sent (taking a lead again by its id adds nothing).
    config: { gate: { privileged: true, action: 'create', receipt: 'before', resource: leadResource(deps.region, '(new)') } },
  }, async (request, reply) => {
    const leads = await intake(request, [request.body]);
    return reply.code(201).send({ leads, receipt_id: request.receipt!.id });
  });

  app.post<{ Body: { leads: LeadInput[] } }>('/v1/revops/leads::batch', {
    schema: {
      operationId: 'createLeadBatch', summary: `Take in up to ${MAX_LEAD_BATCH} leads`, description: `${INTAKE_DESCRIPTION} A lead of the batch may duplicate an earlier one of the same batch.`,
      tags: ['revops'], body: leadBatchSchema, response: { 201: leadIntakeReplySchema, ...errorResponses(400) },
    },
    schemaErrorFormatter: bodyErrorsAs({ '': 'LEAD_INVALID' }),
    config: { gate: { privileged: true, action: 'create', receipt: 'before', resource: leadResource(deps.region, '(batch)') } },
  }, async (request, reply) => {
    const leads = await intake(request, request.body.leads);
    return reply.code(201).send({ leads, receipt_id: request.receipt!.id });
  });

  app.get<{ Querystring: { status?: LeadStatus; limit: number } }>('/v1/revops/leads', {
    schema: {
      operationId: 'listLeads', summary: 'List leads', description: "The caller's tenant's leads, newest first.", tags: ['revops'],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { status: { type: 'string', enum: ['new', 'parked', 'duplicate', 'merged'] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
      response: { 200: { type: 'object', required: ['leads'], properties: { leads: { type: 'array', items: leadSchema } } } },
    },
    config: { gate: { action: 'read', resource: leadResource(deps.region, 'leads') } },
  }, async (request) => ({ leads: (await deps.leads.list(request.principal!.tenant, request.query)).map(leadJson) }));

  app.get<{ Params: { id: string } }>('/v1/revops/leads/:id', {
    schema: { operationId: 'getLead', summary: 'Get a lead', description: 'The lead as judged at intake, with its merge applied.', tags: ['revops'], params: leadIdParams, response: { 200: leadSchema, ...errorResponses(404) } },
    config: { gate: { action: 'read', resource: (request) => leadResource(deps.region, (request.params as { id: string }).id)(request) } },
  }, async (request) => {
    const tenant = request.principal!.tenant;
    const lead = await deps.leads.get(tenant, request.params.id);
    const [routing] = await deps.router.routings(tenant, [lead.id]);
    return { ...leadJson(lead), routing: routing ? routingJson(routing) : null };
  });

  app.post<{ Params: { id: string }; Body: { channel: TouchChannel } }>('/v1/revops/leads/:id/touch', {
    schema: {
      operationId: 'touchLead', summary: 'Record the first touch of a lead',
      description:
        "Stops the lead's SLA clock: the first touch is recorded (`revops.lead.touched`, with minutes from routing and whether it came within the SLA); " +
        'a later touch answers the first one and changes nothing. Privileged: receipted.',
      tags: ['revops'], params: leadIdParams,
      body: { type: 'object', additionalProperties: false, properties: { channel: { type: 'string', enum: [...TOUCH_CHANNELS], default: 'call' } } },
      response: {
        200: {
          type: 'object', headers: leadIntakeReplySchema.headers,
          required: ['lead_id', 'touched_at', 'touched_by', 'channel', 'first', 'minutes_to_touch', 'within_sla'],
          properties: {
            lead_id: { type: 'string' }, touched_at: { type: 'string', format: 'date-time' }, touched_by: { type: 'string' }, channel: { type: 'string', enum: [...TOUCH_CHANNELS] },
            first: { type: 'boolean', description: 'False: the lead was touched before, and this is that first touch.' },
            assignee: { type: ['string', 'null'] }, due_at: { type: ['string', 'null'], format: 'date-time' },
            minutes_to_touch: { type: 'number', description: 'From routing (or intake, unrouted) to the first touch.' },
            within_sla: { type: ['boolean', 'null'], description: 'Null when the lead has no SLA.' },
            receipt_id: leadIntakeReplySchema.properties.receipt_id,
          },
        },
        ...errorResponses(404),
      },
    },
    config: {
      gate: {
        privileged: true, action: 'update', receipt: 'before',
        resource: (request) => leadResource(deps.region, (request.params as { id: string }).id)(request),
        ready: (request) => deps.touches.check(request.principal!.tenant, (request.params as { id: string }).id),
      },
    },
  }, async (request) => {
    const touch = await deps.touches.touch(request.principal!.tenant, request.params.id, request.gate!.principalId, request.body?.channel ?? 'call', deps.now());
    return {
      lead_id: touch.leadId, touched_at: touch.touchedAt.toISOString(), touched_by: touch.touchedBy, channel: touch.channel, first: touch.first, assignee: touch.assignee,
      due_at: touch.dueAt?.toISOString() ?? null, minutes_to_touch: touch.minutesToTouch, within_sla: touch.withinSla, receipt_id: request.receipt!.id,
    };
  });

  const policyResource = (request: FastifyRequest): ResourceAttributes => ({ id: 'routing-policy', tenant: request.principal!.tenant, kind: 'RoutingPolicy', data_class: 'internal', region: deps.region });

  app.get('/v1/revops/routing/policy', {
    schema: {
      operationId: 'getRoutingPolicy', summary: 'The routing policy in force',
      description: "The tenant's routing policy published last (publishing is a governed workflow: `revops-routing-policy`).", tags: ['revops'],
      response: { 200: routingPolicySchema, ...errorResponses(404) },
    },
    config: { gate: { action: 'read', resource: policyResource } },
  }, async (request) => {
    const policy = await deps.router.activePolicy(request.principal!.tenant);
    if (!policy) throw new DomainError('ROUTING_POLICY_NONE', `${request.principal!.tenant} has published no routing policy yet.`);
    return policy;
  });

  app.post<{ Body: { last: number; draft?: unknown } }>('/v1/revops/routing/replay', {
    schema: {
      operationId: 'replayRouting', summary: 'Replay recent routings',
      description:
        "Routes the tenant's last `last` routed leads again. Without `draft`, each by the policy it was routed by, from its recorded input and loads: every assignee must come out the same. " +
        'With `draft` (a policy not published), who would have been routed differently. Reads only.',
      tags: ['revops'],
      body: {
        type: 'object', additionalProperties: false,
        properties: { last: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 }, draft: { type: 'object', additionalProperties: true, description: 'A routing policy to try.' } },
      },
      response: { 200: replayReplySchema, ...errorResponses(400) },
    },
    config: { gate: { action: 'read', resource: policyResource } },
  }, async (request) => {
    const replay = await deps.router.replay(request.principal!.tenant, request.body);
    const same = replay.leads.filter((l) => l.same).length;
    return { policy_revision: replay.policy_revision, replayed: replay.leads.length, same, changed: replay.leads.length - same, leads: replay.leads };
  });

  app.post<{ Params: { id: string }; Body: { into: string } }>('/v1/revops/leads/:id/merge', {
    schema: {
      operationId: 'mergeLead', summary: 'Merge a lead into another',
      description: 'Marks the lead a duplicate of `into` (a live lead of the same tenant): reads answer it as `merged`, and it is never routed. Once per lead. Privileged: receipted.',
      tags: ['revops'], params: leadIdParams,
      body: { type: 'object', additionalProperties: false, required: ['into'], properties: { into: { type: 'string', maxLength: 128, description: 'The lead it duplicates.' } } },
      response: { 200: { ...leadSchema, headers: leadIntakeReplySchema.headers, required: [...leadSchema.required, 'receipt_id'], properties: { ...leadSchema.properties, receipt_id: leadIntakeReplySchema.properties.receipt_id } }, ...errorResponses(400, 404, 409) },
    },
    schemaErrorFormatter: bodyErrorsAs({ '': 'LEAD_MERGE_INVALID' }),
    config: {
      gate: {
        privileged: true, action: 'update', receipt: 'before',
        resource: (request) => leadResource(deps.region, (request.params as { id: string }).id)(request),
        // Refused before its receipt when there is nothing to merge.
        ready: async (request) => {
          const { params, body } = request as FastifyRequest<{ Params: { id: string }; Body: { into: string } }>;
          await deps.leads.checkMerge(request.principal!.tenant, params.id, body.into);
        },
      },
    },
  }, async (request) => {
    const merged = await deps.leads.merge(request.principal!.tenant, request.params.id, request.body.into, request.gate!.principalId);
    return { ...leadJson(merged), receipt_id: request.receipt!.id };
  });
}

function leadJson(lead: Lead | IntakeOutcome) {
  return {
    id: lead.id, tenant: lead.tenant, source: lead.source, origin: lead.origin, received_at: lead.receivedAt.toISOString(), email: lead.email, phone: lead.phone,
    first_name: lead.firstName, last_name: lead.lastName, company: lead.company, domain: lead.domain, country: lead.country, status: lead.status,
    disposition: lead.disposition, duplicate_of: lead.duplicateOf, match_rule: lead.matchRule, problems: lead.problems,
    ...('replayed' in lead ? { replayed: lead.replayed, routing: lead.routing ? routingJson(lead.routing) : null } : {}),
  };
}

function routingJson(routing: Routing) {
  return {
    assignee: routing.assignee, pool: routing.pool, rule: routing.rule, reason: routing.reason, policy_revision: routing.policyRevision,
    routed_at: routing.routedAt.toISOString(), receipt_id: routing.receiptId, due_at: routing.dueAt?.toISOString() ?? null,
  };
}
