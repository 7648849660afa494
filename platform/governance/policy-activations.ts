import type { StateStore } from '../../kernel/state/index.ts';
import type { TableDefinition } from '../../kernel/warehouse/index.ts';
import { proposeBundle, type PolicyBundle, type PolicyEngine } from '../../kernel/policies/index.ts';

export const POLICY_ACTIVATIONS_TABLE: TableDefinition = {
  owner: 'platform/governance',
  name: 'policy_activations',
  tenantColumn: 'tenant_id',
  retention: 'audit',
  clickhouse: { engine: 'MergeTree' },
  key: ['tenant_id', 'activation_id'],
  state: { unique: [['tenant_id', 'activation_id']], onlyInStateStore: true },
  columns: [
    { name: 'tenant_id', type: 'text' },
    { name: 'activation_id', type: 'text' },
    { name: 'activated_at', type: 'timestamp' },
    { name: 'activated_by', type: 'text' },
    { name: 'base_content', type: 'text' },
    { name: 'from_revision', type: 'text' },
    { name: 'to_revision', type: 'text' },
    { name: 'files', type: 'json' },
  ],
};

export interface Activation {
  from_revision: string;
  to_revision: string;
  /** Already in force: a retry after a crash found its own work done. */
  already_active: boolean;
}

/**
 * The policy bundle in force, changed only by a governed policy change: each activation is a row
 * in the platform tenant's state (the proposed policy files, and the shipped bundle they replace),
 * put in force in the running engine without a restart and again when the platform starts. A
 * release that ships other policies than an activation was made on supersedes it (the shipped
 * bundle is what was reviewed with that code).
 */
export class PolicyActivations {
  constructor(
    private readonly engine: PolicyEngine,
    private readonly shipped: PolicyBundle,
    private readonly state: StateStore,
    private readonly tenant: string,
  ) {}

  get current(): PolicyBundle {
    return this.engine.bundle;
  }

  /**
   * Puts the newest activation made on the shipped bundle back in force. Answers its revision, if
   * any, and how many activations were made on another shipped bundle (a release superseded them).
   */
  async restore(): Promise<{ restored?: string; superseded: number }> {
    const rows = await this.state.query<{ base_content: string; files: string }>(
      'SELECT base_content, files FROM policy_activations WHERE tenant_id = ? ORDER BY activated_at DESC, activation_id DESC',
      [this.tenant],
    );
    const superseded = rows.filter((row) => row.base_content !== this.shipped.revision.content).length;
    const latest = rows.find((row) => row.base_content === this.shipped.revision.content);
    if (!latest) return { superseded };
    const bundle = proposeBundle(this.shipped, JSON.parse(String(latest.files)) as Record<string, string>);
    this.engine.activate(bundle);
    return { restored: bundle.revision.id, superseded };
  }

  /** Records `files` as the policies in force and activates them; once per `activationId`. */
  async activate(files: Record<string, string>, activationId: string, actor: string, at: Date): Promise<Activation> {
    const bundle = proposeBundle(this.shipped, files);
    const from = this.engine.revision;
    if (from === bundle.revision.id) return { from_revision: from, to_revision: from, already_active: true };
    await this.state.transaction(async (tx) => {
      await tx.insertNew('policy_activations', [{
        tenant_id: this.tenant, activation_id: activationId, activated_at: at, activated_by: actor,
        base_content: this.shipped.revision.content, from_revision: from, to_revision: bundle.revision.id, files: JSON.stringify(files),
      }]);
    });
    this.engine.activate(bundle);
    return { from_revision: from, to_revision: bundle.revision.id, already_active: false };
  }
}
