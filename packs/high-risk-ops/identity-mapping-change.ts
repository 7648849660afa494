import { DomainError } from '../../kernel/errors/index.ts';
import { mappingDigest, type ClaimsMapping, type IdentityMappings } from '../../platform/identity/index.ts';
import type { StepContext, WorkflowType } from '../../platform/workflows/index.ts';

const HOUR = 60 * 60 * 1000;

export interface IdentityMappingChangeParams {
  /** The tenant's identity provider (its `name` in the providers file). */
  provider: string;
  /** The new claims → attributes mapping: `group_roles`, `machine_clients`, `allowed_domains`, claims named for env and region. */
  mapping: Record<string, unknown>;
}

interface Planned {
  provider: string;
  from_revision: number;
  from_digest: string;
  to_digest: string;
  /** Each group or machine client whose roles change: before → after. */
  changes: { who: string; before: string[]; after: string[] }[];
}

/**
 * Changes how a tenant's identity provider's claims become roles and attributes. Preflight checks the
 * proposed mapping against the providers file's schema and lists whose roles change; an admin other than
 * the requester approves; execution activates it as the provider's next revision (every replica reads it on
 * the next token or login); verification reads it back. The run's receipts name both revisions' digests,
 * and each login's receipt names the revision it was mapped by.
 */
export function identityMappingChange({ identityMappings }: { identityMappings: IdentityMappings }): WorkflowType<IdentityMappingChangeParams> {
  const plan = async (context: StepContext<IdentityMappingChangeParams>): Promise<{ planned: Planned; mapping: ClaimsMapping }> => {
    const provider = identityMappings.provider(context.tenant, context.params.provider);
    const mapping = identityMappings.check(provider, context.params.mapping);
    const current = await identityMappings.current(provider);
    const planned: Planned = {
      provider: provider.name, from_revision: current.revision, from_digest: current.digest,
      to_digest: mappingDigest(mapping),
      changes: [...roleChanges('group', current.mapping.group_roles, mapping.group_roles), ...roleChanges('client', current.mapping.machine_clients ?? {}, mapping.machine_clients ?? {})],
    };
    return { planned, mapping };
  };
  return {
    name: 'identity-mapping-change',
    pack: 'high-risk-ops',
    description: 'Change how an identity provider\'s groups and claims become roles and attributes (a new, receipted revision of its mapping).',
    parseParams: parseMappingChange,
    approval: { combine: 'all', groups: [{ role: 'admin', count: 1 }] },
    separateDuties: true,
    rationale: { categories: ['access-review', 'onboarding', 'security', 'compliance'], minLength: 20 },
    approvalExpiryMs: 24 * HOUR,
    approvalSlaMs: 4 * HOUR,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          const { planned } = await plan(context);
          context.log(`${planned.provider}: revision ${planned.from_revision} (${planned.from_digest}) → ${planned.to_digest}`);
          for (const change of planned.changes) context.log(`${change.who}: [${change.before.join(', ')}] → [${change.after.join(', ')}]`);
          if (planned.from_digest === planned.to_digest) context.log('the proposed mapping is the one in force: executing changes nothing');
          return planned;
        },
      },
      execute: {
        onInterrupt: 'retry',
        async run(context) {
          const { mapping } = await plan(context);
          const provider = identityMappings.provider(context.tenant, context.params.provider);
          const activated = await identityMappings.activate(provider, mapping, context.runId, `${context.tenant}/workflow-run:${context.runId}`, context.now());
          context.log(`${provider.name}: revision ${activated.revision} (${activated.digest}) in force`);
          return { provider: provider.name, revision: activated.revision, digest: activated.digest, from_revision: (context.outputs.preflight as Planned | undefined)?.from_revision };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const executed = context.outputs.execute as { revision: number; digest: string };
          const current = await identityMappings.current(identityMappings.provider(context.tenant, context.params.provider));
          if (current.digest !== executed.digest) throw new Error(`the mapping in force is ${current.digest} (revision ${current.revision}), not ${executed.digest}`);
          context.log(`revision ${current.revision} is in force`);
          return { revision: current.revision, digest: current.digest };
        },
      },
    },
  };
}

function roleChanges(kind: string, before: Record<string, string[]>, after: Record<string, string[]>): Planned['changes'] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].sort().flatMap((name) => {
    const [was, will] = [[...(before[name] ?? [])].sort(), [...(after[name] ?? [])].sort()];
    return was.join() === will.join() ? [] : [{ who: `${kind} ${name}`, before: was, after: will }];
  });
}

function parseMappingChange(input: unknown): IdentityMappingChangeParams {
  const { provider, mapping, ...rest } = (input ?? {}) as Record<string, unknown>;
  if (typeof provider !== 'string' || !provider || !mapping || typeof mapping !== 'object' || Array.isArray(mapping) || Object.keys(rest).length) {
    throw new DomainError('WORKFLOW_PARAMS_INVALID', 'identity-mapping-change: params is {"provider": "<name>", "mapping": {"group_roles": {...}, ...}}.');
  }
  return { provider, mapping: mapping as Record<string, unknown> };
}
