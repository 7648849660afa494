import { randomUUID } from 'node:crypto';
import * as cedar from './cedar-wasm.ts';
import type { EntityJson, EntityUidJson } from './cedar-wasm.ts';
import type { PolicyBundle, TenantsData } from './bundle.ts';

export const NAMESPACE = 'CompanyOS';
export const ACTIONS = [
  'read', 'create', 'update', 'grant', 'approve', 'delete', 'purge', 'export', 'change_policy',
  'simulate_policy', 'audit', 'attach_evidence', 'run_transforms', 'import_bills', 'generate_invoices',
  'read_costs', 'read_invoices', 'write_events', 'request_workflow', 'execute_workflow',
] as const;
export type PolicyAction = (typeof ACTIONS)[number];
/** Actions that only run with an approval from a second principal. */
export const DUAL_CONTROL_ACTIONS: readonly PolicyAction[] = ['delete', 'purge', 'export', 'change_policy'];

export interface PrincipalAttributes {
  /** `<tenant>/<subject>`. */
  id: string;
  tenant: string;
  roles: readonly string[];
  env: string;
  region: string;
}

export interface ResourceAttributes {
  id: string;
  tenant: string;
  kind: string;
  data_class: string;
  region: string;
}

export interface DecisionContext {
  env: string;
  /** Principal id of a recorded approval. */
  approver?: string;
  /** Principal id of whoever asked for what is being approved. */
  requester?: string;
}

export interface AuthorizationRequest {
  principal: PrincipalAttributes;
  action: PolicyAction;
  resource: ResourceAttributes;
  context: DecisionContext;
}

/** A case as `cedar run-tests` reads it: the request as Cedar JSON plus its entities. */
export interface CedarRequest {
  principal: EntityUidJson | string;
  action: EntityUidJson | string;
  resource: EntityUidJson | string;
  context: Record<string, unknown>;
}

export interface Decision {
  decision: 'allow' | 'deny';
  /** Ids of the policies that determined it; empty when nothing permitted (default deny). */
  reasons: string[];
  errors: string[];
}

let engines = 0;
/** Decisions remembered per bundle in force: Cedar's answer is a function of the bundle and the request. */
const REMEMBERED_DECISIONS = 20_000;
/** Cases longer than this (as JSON) are evaluated every time: memory stays bounded whatever callers send. */
const REMEMBERED_CASE_CHARS = 4_096;

/** A policy bundle parsed and validated once, then asked many times through Cedar's stateful API. */
export class PolicyEngine {
  private policySetId = '';
  private schemaName = '';
  private roles: Record<string, string> = {};
  private tenants: TenantsData = { ingestGrants: {} };
  private current!: PolicyBundle;
  /** Cedar's answers for the bundle in force, by request (the resource's id left out while no policy names a resource). */
  private remembered = new Map<string, Decision>();
  /** Cedar's answers to cases given in Cedar JSON (`evaluate`), by the case's text. */
  private rememberedCases = new Map<string, Decision>();
  private resourceIdsMatter = true;

  constructor(bundle: PolicyBundle) {
    this.activate(bundle);
  }

  /** The bundle in force. */
  get bundle(): PolicyBundle {
    return this.current;
  }

  /**
   * Puts `bundle` in force for every decision from the next one on, without a restart. The new
   * schema and policies are parsed before anything changes: a bundle that does not parse throws
   * and leaves the one in force as it was.
   */
  activate(bundle: PolicyBundle): void {
    engines += 1;
    const policySetId = `${bundle.name}-policies-${engines}`;
    const schemaName = `${bundle.name}-schema-${engines}`;
    const schema = cedar.preparseSchema(schemaName, bundle.schema);
    if (schema.type === 'failure') throw new Error(`schema.cedarschema: ${schema.errors.map((e) => e.message).join('; ')}`);
    const policies = cedar.preparsePolicySet(policySetId, { staticPolicies: bundle.policies });
    if (policies.type === 'failure') throw new Error(`policies: ${policies.errors.map((e) => e.message).join('; ')}`);
    this.policySetId = policySetId;
    this.schemaName = schemaName;
    this.roles = bundle.data.roles;
    this.tenants = bundle.data.tenants;
    this.current = bundle;
    this.remembered = new Map();
    this.rememberedCases = new Map();
    // A policy can tell resources apart by id only by naming one (`Resource::"…"`); none of the shipped ones do.
    this.resourceIdsMatter = Object.values(bundle.policies).some((text) => text.includes('Resource::'));
  }

  /** The tenant that operates the platform (data/tenants.json), if the bundle names one. */
  get platformTenant(): string | undefined {
    return this.tenants.platform;
  }

  get revision(): string {
    return this.bundle.revision.id;
  }

  /** Strict-mode validation of every policy against the schema: the errors, none when valid. */
  validate(): string[] {
    const answer = cedar.validate({
      schema: this.bundle.schema,
      policies: { staticPolicies: this.bundle.policies },
      validationSettings: { mode: 'strict' },
    });
    if (answer.type === 'failure') return answer.errors.map((e) => e.message);
    return answer.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`);
  }

  /**
   * Cedar's decision on `request`. The same request again (the same principal, attributes,
   * action, resource attributes and context, under the same bundle) is answered from memory:
   * evaluating policies in Cedar's WebAssembly is the largest share of a request's CPU.
   */
  authorize(request: AuthorizationRequest): Decision {
    const key = JSON.stringify([request.principal, request.action, this.resourceIdsMatter ? request.resource : { ...request.resource, id: '' }, request.context]);
    const known = this.remembered.get(key);
    if (known) return copy(known);
    const decision = this.ask(request);
    if (this.remembered.size >= REMEMBERED_DECISIONS) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(key, decision);
    return copy(decision);
  }

  private ask(request: AuthorizationRequest): Decision {
    const principal = uid('User', request.principal.id);
    const resource = uid('Resource', request.resource.id);
    const context: Record<string, unknown> = { env: request.context.env };
    if (request.context.approver) context.approver = { __entity: uid('User', request.context.approver) };
    if (request.context.requester) context.requester = { __entity: uid('User', request.context.requester) };
    return this.evaluateUncached(
      { principal, action: uid('Action', request.action), resource, context },
      [this.principalEntity(request.principal), resourceEntity(resource, request.resource)],
    );
  }

  /**
   * Evaluates a request given in Cedar JSON (regression cases, simulation input). Cedar's answer is a
   * function of the bundle, the request and its entities, so a case seen before under the same bundle
   * is answered from memory — only a small one: the key is the case's text, and callers choose it.
   */
  evaluate(request: CedarRequest, entities: EntityJson[]): Decision {
    const key = JSON.stringify([request, entities]);
    if (key.length > REMEMBERED_CASE_CHARS) return this.evaluateUncached(request, entities);
    const known = this.rememberedCases.get(key);
    if (known) return copy(known);
    const decision = this.evaluateUncached(request, entities);
    if (this.rememberedCases.size >= REMEMBERED_DECISIONS) this.rememberedCases.delete(this.rememberedCases.keys().next().value!);
    this.rememberedCases.set(key, decision);
    return copy(decision);
  }

  private evaluateUncached(request: CedarRequest, entities: EntityJson[]): Decision {
    const answer = cedar.statefulIsAuthorized({
      principal: toUid(request.principal),
      action: toUid(request.action),
      resource: toUid(request.resource),
      context: request.context as cedar.Context,
      entities,
      preparsedPolicySetId: this.policySetId,
      preparsedSchemaName: this.schemaName,
      validateRequest: true,
    });
    if (answer.type === 'failure') {
      return { decision: 'deny', reasons: [], errors: answer.errors.map((e) => e.message) };
    }
    const { decision, diagnostics } = answer.response;
    return {
      decision,
      reasons: [...diagnostics.reason].sort(),
      errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
    };
  }

  private principalEntity(principal: PrincipalAttributes): EntityJson {
    return {
      uid: uid('User', principal.id),
      attrs: {
        tenant: principal.tenant, env: principal.env, region: principal.region,
        platform: principal.tenant === this.tenants.platform,
        ingest_grants: this.tenants.ingestGrants[principal.tenant] ?? [],
      },
      parents: principal.roles.flatMap((role) => (this.roles[role] ? [uid('Role', this.roles[role])] : [])),
    };
  }
}

/** A decision the caller may change without changing the remembered one. */
function copy(decision: Decision): Decision {
  return { ...decision, reasons: [...decision.reasons], errors: [...decision.errors] };
}

export function newDecisionId(): string {
  return randomUUID();
}

function uid(type: string, id: string): { type: string; id: string } {
  return { type: `${NAMESPACE}::${type}`, id };
}

function resourceEntity(id: EntityUidJson, resource: ResourceAttributes): EntityJson {
  return {
    uid: id,
    attrs: { tenant: resource.tenant, kind: resource.kind, data_class: resource.data_class, region: resource.region },
    parents: [],
  };
}

const UID_TEXT = /^(.+)::"((?:[^"\\]|\\.)*)"$/;

/** `CompanyOS::User::"acme/alice"` or `{type, id}` as Cedar's `{type, id}`. */
export function toUid(value: EntityUidJson | string): EntityUidJson {
  if (typeof value !== 'string') return value;
  const match = UID_TEXT.exec(value);
  if (!match) throw new Error(`${value} is not an entity uid like CompanyOS::User::"acme/alice"`);
  return { type: match[1]!, id: JSON.parse(`"${match[2]}"`) as string };
}
