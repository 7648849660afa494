import { SeededRandom } from '../../../kernel/random/index.ts';
import { toUnits } from '../../../kernel/warehouse/index.ts';
import { toCsv } from '../../../platform/ingest/index.ts';
import { decimal, share, units } from './money.ts';

export interface SimulationOptions {
  tenants: number;
  days: number;
  seed: number;
  /** First simulated day (UTC midnight). */
  start: Date;
  /** Share of usage events lost in transit (telemetry is never perfect): what makes attribution approximate. */
  eventLoss: number;
}

export const DEFAULT_SIMULATION: SimulationOptions = {
  tenants: 20,
  days: 30,
  seed: 42,
  start: new Date('2026-09-16T00:00:00Z'),
  eventLoss: 0.002,
};

export interface SimulatedEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  tenantid: string;
  policyversion: string;
  plan: string;
  slatier: string;
  datacontenttype: 'application/json';
  data: Record<string, string>;
}

/** One FOCUS 1.2 row, as text. */
export type FocusRow = Record<(typeof FOCUS_HEADER)[number], string>;

export interface TrueCost {
  tenant: string;
  period: string;
  currency: string;
  cost: string;
}

export interface Simulation {
  events: SimulatedEvent[];
  bill: FocusRow[];
  trueCosts: TrueCost[];
  summary: { tenants: number; days: number; events: number; eventsLost: number; billRows: number; billedTotal: string; trueTotal: string };
}

export const FOCUS_HEADER = [
  'BillingAccountId', 'BillingAccountName', 'BillingCurrency', 'BillingPeriodStart', 'BillingPeriodEnd', 'ChargePeriodStart',
  'ChargePeriodEnd', 'ChargeCategory', 'ChargeClass', 'ChargeDescription', 'ChargeFrequency', 'PricingCategory', 'BilledCost',
  'EffectiveCost', 'ListCost', 'ContractedCost', 'PricingQuantity', 'PricingUnit', 'CommitmentDiscountId', 'CommitmentDiscountStatus',
  'InvoiceId', 'InvoiceIssuerName', 'ProviderName', 'PublisherName', 'RegionId', 'ResourceId', 'ResourceName', 'ServiceName',
  'ServiceCategory', 'SubAccountId', 'SkuId', 'Tags', 'x_SimulationCostKind',
] as const;

const PLANS = ['pro', 'enterprise', 'white-label'] as const;
const TIERS: Record<(typeof PLANS)[number], string> = { pro: 'silver', enterprise: 'gold', 'white-label': 'platinum' };
type Pack = 'high_risk_ops' | 'revops' | 'finops';
const PACK_DAILY_COST: Record<Pack, number> = { high_risk_ops: 4, revops: 3, finops: 5 };
const DAY_MS = 86_400_000;
const COMMITMENT = 'sim-commitment-compute-1y';

/**
 * A synthetic company month: tenants with their own resources (tagged, or
 * named by resource id), pack workers tagged with their pack, shared databases, storage, an API gateway and a
 * control plane split by usage the tenants' metering events record, a compute
 * commitment with amortization and idle capacity, credits, tax and a
 * correction. The bill is FOCUS 1.2; each tenant's true cost is what its
 * workload consumed (shared costs by its real usage, before any event loss).
 */
export function simulate(options: SimulationOptions): Simulation {
  const random = new SeededRandom(options.seed);
  const tenants = Array.from({ length: options.tenants }, (_, i) => {
    const plan = PLANS[i % PLANS.length]!;
    // Every tenant runs the base packs; every other one also bought the FinOps add-on.
    const packs: Pack[] = i % 2 === 1 ? ['high_risk_ops', 'revops', 'finops'] : ['high_risk_ops', 'revops'];
    return { id: `sim-tenant-${String(i + 1).padStart(3, '0')}`, size: 0.5 + random.next() * 2.5, plan, tier: TIERS[plan], packs };
  });
  const events: SimulatedEvent[] = [];
  const bill: FocusRow[] = [];
  const truth = new Map<string, bigint>();
  let eventsLost = 0;
  let sequence = 0;
  const addTruth = (tenant: string, day: Date, amount: bigint) => {
    const key = `${tenant}|${day.toISOString().slice(0, 7)}`;
    truth.set(key, (truth.get(key) ?? 0n) + amount);
  };
  const emit = (tenant: (typeof tenants)[number], type: string, time: Date, data: Record<string, string>) => {
    sequence++;
    if (random.next() < options.eventLoss) {
      eventsLost++;
      return;
    }
    events.push({
      specversion: '1.0', id: `sim-${options.seed}-${sequence}`, source: 'urn:companyos:simulator', type, time: time.toISOString(),
      tenantid: tenant.id, policyversion: 'sim-1', plan: tenant.plan, slatier: tenant.tier, datacontenttype: 'application/json', data,
    });
  };
  const row = (fields: Partial<FocusRow>, day: Date, kind: string): void => {
    const period = monthStart(day);
    const next = new Date(Date.UTC(period.getUTCFullYear(), period.getUTCMonth() + 1, 1));
    bill.push({
      BillingAccountId: 'sim-billing-001', BillingAccountName: 'Summit (simulated)', BillingCurrency: 'USD',
      BillingPeriodStart: iso(period), BillingPeriodEnd: iso(next), ChargePeriodStart: iso(day), ChargePeriodEnd: iso(new Date(day.getTime() + DAY_MS)),
      ChargeCategory: 'Usage', ChargeClass: '', ChargeDescription: '', ChargeFrequency: 'Usage-Based', PricingCategory: 'Standard',
      BilledCost: '0', EffectiveCost: '0', ListCost: '', ContractedCost: '', PricingQuantity: '', PricingUnit: '',
      CommitmentDiscountId: '', CommitmentDiscountStatus: '', InvoiceId: `SIM-${iso(period).slice(0, 7).replace('-', '')}`,
      InvoiceIssuerName: 'SimCloud', ProviderName: 'SimCloud', PublisherName: 'SimCloud', RegionId: 'sim-east-1', ResourceId: '',
      ResourceName: '', ServiceName: '', ServiceCategory: '', SubAccountId: 'sim-prod', SkuId: '', Tags: '{}', x_SimulationCostKind: kind,
      ...fields,
    });
  };
  const tagFor = (tenant: string, i: number) =>
    // Real exports spell tag keys every which way; the importer normalizes them.
    JSON.stringify({ [[' Tenant ', 'tenant', 'TENANT', 'Tenant'][i % 4]!]: tenant, 'Cost Center': 'saas' });

  const months = new Map<string, { committedEffective: bigint; usageBilled: bigint; day: Date }>();
  for (let d = 0; d < options.days; d++) {
    const day = new Date(options.start.getTime() + d * DAY_MS);
    const month = monthKey(day);
    const totals = months.get(month) ?? { committedEffective: 0n, usageBilled: 0n, day: monthStart(day) };
    months.set(month, totals);

    // Dedicated compute: half the tenants run partly on the commitment (amortized at 40% off).
    tenants.forEach((tenant, i) => {
      const cost = units(round(tenant.size * 20 * (0.9 + random.next() * 0.2)));
      const byResource = i % 3 === 2;
      const resource = byResource ? `tenant/${tenant.id}/compute-1` : `i-${tenant.id}-compute`;
      const tags = byResource ? '{"Cost Center":"saas"}' : tagFor(tenant.id, i);
      const service = { ResourceId: resource, ResourceName: `${tenant.id} compute`, ServiceName: 'Compute', ServiceCategory: 'Compute', SkuId: 'VM_MEDIUM', Tags: tags };
      if (i % 2 === 0) {
        const covered = share(cost, 60n, 100n);
        const effective = share(covered, 60n, 100n);
        row({ ...service, PricingCategory: 'Committed', CommitmentDiscountId: COMMITMENT, CommitmentDiscountStatus: 'Used', BilledCost: '0', EffectiveCost: decimal(effective), ListCost: decimal(covered) }, day, 'committed-usage');
        row({ ...service, BilledCost: decimal(cost - covered), EffectiveCost: decimal(cost - covered), ListCost: decimal(cost - covered) }, day, 'on-demand');
        totals.committedEffective += effective;
        totals.usageBilled += cost - covered;
        addTruth(tenant.id, day, effective + cost - covered);
      } else {
        row({ ...service, BilledCost: decimal(cost), EffectiveCost: decimal(cost), ListCost: decimal(cost) }, day, 'on-demand');
        totals.usageBilled += cost;
        addTruth(tenant.id, day, cost);
      }
    });

    // Pack workers: each tenant runs the packs it bought, tagged with the pack so COGS per pack is measured.
    tenants.forEach((tenant) => {
      for (const pack of tenant.packs) {
        const cost = units(round(tenant.size * PACK_DAILY_COST[pack] * (0.9 + random.next() * 0.2)));
        row({ ResourceId: `${pack}-worker-${tenant.id}`, ServiceName: 'Compute', ServiceCategory: 'Compute', SkuId: 'VM_SMALL',
          Tags: JSON.stringify({ tenant: tenant.id, pack }), BilledCost: decimal(cost), EffectiveCost: decimal(cost), ListCost: decimal(cost) }, day, 'pack-worker');
        totals.usageBilled += cost;
        addTruth(tenant.id, day, cost);
      }
    });

    // Shared resources, split by what each tenant used.
    const shared = [
      { kind: 'database', cost: units(180), service: 'Databases', resource: 'shared-db-1', usage: (t: (typeof tenants)[number]) => BigInt(Math.round(t.size * (2_000_000 + random.next() * 400_000))) },
      { kind: 'storage', cost: units(40), service: 'Storage', resource: 'shared-bucket-1', usage: (t: (typeof tenants)[number]) => BigInt(Math.round(t.size * 4_000 * (1 + d / 100))) },
      { kind: 'api-gateway', cost: units(25), service: 'API Gateway', resource: 'shared-gateway-1', usage: (t: (typeof tenants)[number]) => BigInt(Math.round(t.size * 20 + random.next() * 10)) },
      { kind: 'control-plane', cost: units(30), service: 'Kubernetes', resource: 'shared-control-plane', usage: () => 1n },
    ];
    for (const resource of shared) {
      const usage = tenants.map((t) => resource.usage(t));
      const total = usage.reduce((a, b) => a + b, 0n);
      row({ ResourceId: resource.resource, ServiceName: resource.service, Tags: JSON.stringify({ shared: resource.kind }), BilledCost: decimal(resource.cost), EffectiveCost: decimal(resource.cost) }, day, `shared-${resource.kind}`);
      totals.usageBilled += resource.cost;
      tenants.forEach((tenant, i) => {
        addTruth(tenant.id, day, share(resource.cost, usage[i]!, total));
        emitUsage(resource.kind, tenant, day, usage[i]!);
      });
    }
  }

  function emitUsage(kind: string, tenant: (typeof tenants)[number], day: Date, usage: bigint) {
    if (kind === 'database') {
      // Milli-CPU-seconds over 24 hourly samples, the last one taking the remainder.
      const hourly = usage / 24n;
      for (let h = 0; h < 24; h++) {
        const amount = h === 23 ? usage - hourly * 23n : hourly;
        emit(tenant, 'resource.cpu_usage', new Date(day.getTime() + h * 3_600_000 + 60_000), { service: 'shared-db', cpu_seconds: milli(amount) });
      }
    } else if (kind === 'storage') {
      const quarter = usage / 4n;
      for (let q = 0; q < 4; q++) {
        const amount = q === 3 ? usage - quarter * 3n : quarter;
        emit(tenant, 'resource.storage_usage', new Date(day.getTime() + q * 6 * 3_600_000 + 120_000), { store: 'object-store', gb: milli(amount / 6n), gb_hours: milli(amount) });
      }
    } else if (kind === 'api-gateway') {
      for (let c = 0; c < Number(usage); c++) {
        emit(tenant, 'api.requests_total', new Date(day.getTime() + Math.floor((c * DAY_MS) / Number(usage))), { route: '/v1/events', status_class: '2xx', status: '202', latency_ms: '12' });
      }
    }
    // The control plane needs no events of its own: it splits evenly among tenants active that day.
  }

  // Per invoice: the commitment's fee (billed, amortized away), its idle part, credits, tax.
  for (const [index, totals] of [...months.values()].entries()) {
    const fee = share(totals.committedEffective, 125n, 100n);
    const idle = fee - totals.committedEffective;
    const day = totals.day;
    const monthEnd = iso(new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1)));
    row({ ChargeCategory: 'Purchase', ChargeFrequency: 'Recurring', ResourceId: COMMITMENT, CommitmentDiscountId: COMMITMENT, BilledCost: decimal(fee), EffectiveCost: '0', ServiceName: 'Compute', ChargePeriodEnd: monthEnd }, day, 'commitment-fee');
    row({ ResourceId: COMMITMENT, CommitmentDiscountId: COMMITMENT, CommitmentDiscountStatus: 'Unused', PricingCategory: 'Committed', BilledCost: '0', EffectiveCost: decimal(idle), ServiceName: 'Compute', ChargePeriodEnd: monthEnd }, day, 'idle-capacity');
    tenants.forEach((tenant, i) => {
      if (i % 5 !== 0) return;
      const credit = -units(15);
      row({ ChargeCategory: 'Credit', ChargeFrequency: 'One-Time', BilledCost: decimal(credit), EffectiveCost: decimal(credit), Tags: tagFor(tenant.id, i), ServiceName: 'Compute' }, day, 'tenant-credit');
      addTruth(tenant.id, day, credit);
    });
    row({ ChargeCategory: 'Credit', ChargeFrequency: 'One-Time', BilledCost: decimal(-units(50)), EffectiveCost: decimal(-units(50)), ChargeDescription: 'Promotional credit' }, day, 'promotional-credit');
    const tax = share(totals.usageBilled + fee, 8n, 100n);
    row({ ChargeCategory: 'Tax', ChargeFrequency: 'Recurring', BilledCost: decimal(tax), EffectiveCost: decimal(tax), ChargeDescription: 'Sales tax', ResourceId: 'NULL' }, day, 'tax');
    // A correction on this invoice, for a charge of the first simulated day: it lands in the period it corrects.
    if (index === 1 && tenants[0]) {
      const amount = units(12.34);
      row({ ChargeClass: 'Correction', ChargeDescription: 'Re-rated compute', BilledCost: decimal(amount), EffectiveCost: decimal(amount),
        ResourceId: `i-${tenants[0].id}-compute`, ServiceName: 'Compute', Tags: tagFor(tenants[0].id, 0),
        ChargePeriodStart: iso(options.start), ChargePeriodEnd: iso(new Date(options.start.getTime() + DAY_MS)) }, day, 'correction');
      addTruth(tenants[0].id, options.start, amount);
    }
  }

  const trueCosts = [...truth.entries()].map(([key, cost]) => {
    const [tenant, period] = key.split('|') as [string, string];
    return { tenant, period, currency: 'USD', cost: decimal(cost) };
  });
  const sum = (values: string[]) => values.reduce((a, v) => a + toUnits(v), 0n);
  return {
    events,
    bill,
    trueCosts,
    summary: {
      tenants: tenants.length, days: options.days, events: events.length, eventsLost, billRows: bill.length,
      billedTotal: decimal(sum(bill.map((r) => r.BilledCost))), trueTotal: decimal(sum(trueCosts.map((t) => t.cost))),
    },
  };
}

function milli(value: bigint): string {
  return `${value / 1000n}.${(value % 1000n).toString().padStart(3, '0')}`;
}

function round(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}

function monthStart(day: Date): Date {
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
}

function monthKey(day: Date): string {
  return day.toISOString().slice(0, 7);
}

function iso(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

/** The simulated bill as a FOCUS 1.2 CSV file. */
export function simulatedBillCsv(bill: readonly FocusRow[]): string {
  return toCsv(bill, FOCUS_HEADER);
}
