import { TokenAuthority } from '../../platform/identity/index.ts';

/** One answer the balancer gave; a connection it closed without an answer is status 0. */
export interface Answer {
  at: number;
  status: number;
}

/** What the load generator knows of one entity from the answers it got. */
export interface EntityFate {
  tenant: string;
  /** The name of the last acknowledged write. */
  name: string;
  deleted: boolean;
  /** A write on it got no answer, or a 5xx: it may or may not have landed, so its state is not checked. */
  uncertain: boolean;
}

const definitive = (status: number) => status > 0 && status < 500;

/**
 * Writers posting events and privileged calls through a load balancer, per tenant, keeping what was
 * acknowledged: events (202), entities created (201), renamed (200) and — every `deleteEvery`-th one —
 * deleted under dual control (a 202 request, another person's approval, the DELETE again: 200).
 */
export class BalancedLoad {
  readonly answers: Answer[] = [];
  readonly events = new Map<string, string>();
  readonly entities = new Map<string, EntityFate>();
  /** Answers other than the one a step expects (the first few), to explain a test that fails. */
  readonly surprises: string[] = [];
  private readonly tokens = new Map<string, string>();
  private running: Promise<void>[] = [];
  private stopping = false;

  private constructor(
    readonly url: string,
    private readonly source: string,
  ) {}

  static async create(url: string, secret: string, tenants: readonly string[], source: string): Promise<BalancedLoad> {
    const load = new BalancedLoad(url, source);
    const authority = new TokenAuthority(secret);
    for (const tenant of tenants) {
      load.tokens.set(`${tenant}/writer`, await authority.mint({ tenant, roles: ['operator', 'writer'], subject: 'load' }));
      load.tokens.set(`${tenant}/approver`, await authority.mint({ tenant, roles: ['approver'], subject: 'load-approver' }));
    }
    return load;
  }

  token(tenant: string, as: 'writer' | 'approver' = 'writer'): string {
    return this.tokens.get(`${tenant}/${as}`)!;
  }

  async call(tenant: string, method: string, path: string, body?: unknown, as: 'writer' | 'approver' = 'writer'): Promise<{ status: number; body: string }> {
    try {
      const response = await fetch(`${this.url}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${this.token(tenant, as)}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      this.answers.push({ at: Date.now(), status: response.status });
      return { status: response.status, body: text };
    } catch (error) {
      this.answers.push({ at: Date.now(), status: 0 });
      return { status: 0, body: String(error) };
    }
  }

  /**
   * Each writer loops: every `eventsEvery`-th turn a POST of `eventsPerPost` events, then an entity's life.
   * (Through librdkafka's mock cluster, a consumer fetches one produced batch at a time: a POST is one batch.)
   */
  start(tenants: readonly string[], writersPerTenant: number, { deleteEvery = 4, eventsEvery = 1, eventsPerPost = 1 } = {}): void {
    this.running = tenants.flatMap((tenant) =>
      Array.from({ length: writersPerTenant }, (_, w) => this.writer(tenant, w, { deleteEvery, eventsEvery, eventsPerPost })),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  /** Answers with no status or a 5xx, in [from, to). */
  failed(from: number, to = Infinity): Answer[] {
    return this.answers.filter((a) => a.at >= from && a.at < to && !(a.status > 0 && a.status < 500));
  }

  /** Entities whose state read through the balancer is not the one their acknowledged writes left. */
  async lostOrResurrected(readers = 8): Promise<string[]> {
    const wrong: string[] = [];
    const queue = [...this.entities].filter(([, fate]) => !fate.uncertain);
    const reader = async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const [id, fate] = next;
        const read = await this.call(fate.tenant, 'GET', `/v1/entities/${id}`);
        const name = read.status === 200 ? (JSON.parse(read.body) as { name: string }).name : undefined;
        if (fate.deleted ? read.status !== 404 : name !== fate.name) wrong.push(`${id}: ${fate.deleted ? 'deleted' : fate.name}, read ${read.status} ${name ?? ''}`);
      }
    };
    await Promise.all(Array.from({ length: readers }, reader));
    return wrong.sort();
  }

  private async writer(tenant: string, w: number, shape: { deleteEvery: number; eventsEvery: number; eventsPerPost: number }): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const id = `${tenant}-w${w}-${i}`;
      if (i % shape.eventsEvery === 0) {
        const ids = Array.from({ length: shape.eventsPerPost }, (_, e) => (shape.eventsPerPost === 1 ? id : `${id}-${e}`));
        const event = await this.call(tenant, 'POST', '/v1/events', ids.map((eventId, units) => (
          { specversion: '1.0', id: eventId, source: this.source, type: 'usage.recorded', time: new Date().toISOString(), tenantid: tenant, policyversion: 'v1', data: { units } }
        )));
        if (event.status === 202) for (const eventId of ids) this.events.set(eventId, tenant);
      }
      await this.entityLife(tenant, `asset-${id}`, i % shape.deleteEvery === shape.deleteEvery - 1);
    }
  }

  /** Creates, renames and perhaps deletes one entity, stopping at the first answer that leaves its state unknown. */
  private async entityLife(tenant: string, id: string, remove: boolean): Promise<void> {
    const created = await this.call(tenant, 'POST', '/v1/entities', { id, type: 'Asset', name: `created ${id}` });
    if (created.status !== 201) {
      if (!definitive(created.status)) this.entities.set(id, { tenant, name: '', deleted: false, uncertain: true });
      return;
    }
    const fate: EntityFate = { tenant, name: `created ${id}`, deleted: false, uncertain: false };
    this.entities.set(id, fate);
    const steps: [() => Promise<{ status: number; body: string }>, number[], () => void][] = [
      [() => this.call(tenant, 'PATCH', `/v1/entities/${id}`, { name: `renamed ${id}` }), [200], () => (fate.name = `renamed ${id}`)],
    ];
    if (remove) {
      steps.push(
        [() => this.call(tenant, 'DELETE', `/v1/entities/${id}`), [202], () => {}],
        [() => this.call(tenant, 'POST', '/v1/approvals', { entity_id: id, action: 'delete', rationale: 'decommission: retired by the load test' }, 'approver'), [201], () => {}],
        // DELETE is idempotent, so HAProxy resends it when a replica died before answering (`retry-on
        // empty-response`): the first try may have deleted it, and the resent one then finds nothing. Only this
        // writer touches the entity, so a 404 here also means deleted.
        [() => this.call(tenant, 'DELETE', `/v1/entities/${id}`), [200, 404], () => (fate.deleted = true)],
      );
    }
    for (const [step, expected, acknowledged] of steps) {
      const { status, body } = await step();
      if (expected.includes(status)) acknowledged();
      else {
        if (this.surprises.length < 20) this.surprises.push(`${id}: expected ${expected.join(' or ')}, got ${status} ${body.slice(0, 300)}`);
        fate.uncertain = !definitive(status);
        return;
      }
    }
  }
}
