import type { FastifyInstance } from 'fastify';
import { SeededRandom } from '../../../kernel/random/index.ts';
import type { Role } from '../../../platform/identity/index.ts';
import type { AdjustableClock } from '../../../platform/workflows/index.ts';

export interface RevopsDemoServices {
  clock: AdjustableClock;
  /** A token of the operator's tenant for `subject` with `roles`. */
  mint(subject: string, roles: Role[]): Promise<string>;
}

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const QUARTER_DAYS = 91;
/** A batch of web-form, email and partner leads every this many days. */
const BATCH_EVERY_DAYS = 7;
const LEADS_PER_BATCH = 7;

const POLICY = {
  pools: {
    founders: { strategy: 'round-robin', members: [{ id: 'founder-max' }] },
    'ae-emea': { strategy: 'round-robin', members: [{ id: 'ae-ana' }, { id: 'ae-ben' }] },
    'ae-na': { strategy: 'lowest-open', members: [{ id: 'ae-eve', weight: 2 }, { id: 'ae-fay' }, { id: 'ae-gus' }] },
    partners: { strategy: 'round-robin', members: [{ id: 'pm-kim' }] },
  },
  rules: [
    { id: 'strategic', when: { all: [{ field: 'arr_band', eq: '1m+' }, { field: 'icp_score', gte: 80 }] }, pool: 'founders', sla_minutes: 15 },
    { id: 'partner', when: { field: 'source', eq: 'partner_referral' }, pool: 'partners', sla_minutes: 240 },
    { id: 'hot-emea', when: { all: [{ field: 'region', eq: 'emea' }, { field: 'icp_score', gte: 70 }] }, pool: 'ae-emea', sla_minutes: 15 },
    { id: 'hot-na', when: { field: 'icp_score', gte: 70 }, pool: 'ae-na', sla_minutes: 15 },
    { id: 'emea', when: { field: 'region', eq: 'emea' }, pool: 'ae-emea', sla_minutes: 1440 },
    { id: 'default', pool: 'ae-na', sla_minutes: 1440 },
  ],
};

const COMPANIES = ['Initech', 'Globex', 'Hooli', 'Umbrella', 'Stark Industries', 'Wayne Enterprises', 'Acme', 'Soylent', 'Tyrell', 'Cyberdyne', 'Vandelay', 'Pied Piper', 'Massive Dynamic', 'Wonka', 'Oscorp'];
const FIRST = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fia', 'Gil', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lea', 'Mo', 'Nia', 'Omar', 'Pia'];
const LAST = ['Ng', 'Smith', 'Okafor', 'Schmidt', 'Rossi', 'Tanaka', 'Silva', 'Novak', 'Haddad', 'Berg'];
const COUNTRIES = [['US', 5], ['CA', 1], ['GB', 2], ['DE', 2], ['FR', 1]] as const;
const REASONS = {
  competitive: 'Competing with a cheaper incumbent on this deal',
  'multi-year': 'Three-year commitment paid annually in advance',
  'design-partner': 'Design partner for the RevOps pack roadmap',
  strategic: 'A reference logo in a vertical we are entering',
  uplift: 'Upsell of two packs on top of the current plan',
} as const;
const APPROVAL_TEXT = 'Within the quarter\'s discount guidance for this segment';

interface SeededLead {
  id: string;
  status: string;
  routing: { assignee: string | null; due_at: string | null } | null;
}

/**
 * The RevOps half of the demo: a quarter of summit-internal's own pipeline driven through the
 * pack's API with the platform's clock set to when each thing happened — a routing policy
 * published through its workflow, leads taken in weekly (spam and near-duplicates among them),
 * first touches mostly within their SLA, quotes whose discounts creep up over the quarter and are
 * approved by the matrix (a sales lead; finance and the CEO), some requoted, most won (each
 * customer activated through its workflow) or lost. The
 * leadership page's RevOps section and the `revops` page read what this did.
 */
export async function seedDemoRevops(app: FastifyInstance, services: RevopsDemoServices): Promise<string> {
  const { clock } = services;
  const random = new SeededRandom(19);
  const tokens = new Map<string, string>();
  const token = async (subject: string, role: Role) => {
    const key = `${subject}/${role}`;
    if (!tokens.has(key)) tokens.set(key, await services.mint(subject, [role]));
    return tokens.get(key)!;
  };
  const call = async <T>(bearer: string, url: string, payload?: object): Promise<T> => {
    const response = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${bearer}` }, ...(payload ? { payload } : {}) });
    if (response.statusCode >= 300) throw new Error(`seeding the RevOps demo: POST ${url} answered ${response.statusCode}: ${response.body}`);
    return response.json() as T;
  };
  const start = Date.now() - QUARTER_DAYS * DAY;
  const at = (ms: number) => clock.set(new Date(ms));
  let leads = 0;
  let quotes = 0;
  try {
    at(start);
    const ops = await token('revops-ana', 'operator');
    const run = await call<{ run_id: string }>(ops, '/v1/workflows/types/revops-routing-policy/runs', {
      rationale: { category: 'new-pool', text: 'Founders take strategic leads; hot leads get a fifteen-minute SLA' }, params: { policy: POLICY },
    });
    at(start + 2 * HOUR);
    await call(await token('vp-sales-ola', 'approver'), `/v1/workflows/runs/${run.run_id}/approvals`, { decision: 'approve', rationale: { category: 'new-pool', text: 'Replay looks right: only hot leads move' } });
    at(start + 3 * HOUR);
    await call(await token('revops-ops-raj', 'operator'), `/v1/workflows/runs/${run.run_id}/execute`);

    const forms = await token('web-forms', 'writer');
    const routed: { lead: SeededLead; at: number; company: string }[] = [];
    for (let day = 1, batch = 0; day < QUARTER_DAYS - 1; day += BATCH_EVERY_DAYS, batch += 1) {
      const received = start + day * DAY + random.int(8, 17) * HOUR;
      at(received);
      const batchLeads = Array.from({ length: LEADS_PER_BATCH }, (_, i) => {
        const first = random.pick(FIRST);
        const last = random.pick(LAST);
        const company = random.pick(COMPANIES);
        const domain = `${company.toLowerCase().replace(/[^a-z]/g, '')}.example`;
        const spam = random.next() < 0.04;
        return {
          id: `demo-${batch}-${i}`,
          source: random.weighted([['web_form', 5], ['email', 3], ['partner_referral', 2]] as const),
          origin: `198.51.100.${random.int(1, 250)}`,
          email: spam ? `${first.toLowerCase()}@mailinator.com` : `${first.toLowerCase()}.${last.toLowerCase()}${random.int(1, 99)}@${domain}`,
          first_name: first, last_name: last, company, country: random.weighted(COUNTRIES),
          segment: random.weighted([['smb', 5], ['mid-market', 3], ['enterprise', 2]] as const),
          arr_band: random.weighted([['<100k', 5], ['100k-1m', 3], ['1m+', 1]] as const),
          icp_score: random.int(20, 99),
        };
      });
      // A near-duplicate of an earlier lead now and then: a case change and a phone-free resend.
      if (routed.length > 0 && random.next() < 0.5) {
        const earlier = batchLeads[0]!;
        batchLeads.push({ ...earlier, id: `demo-${batch}-dup`, email: earlier.email.toUpperCase() });
      }
      const taken = (await call<{ leads: SeededLead[] }>(forms, '/v1/revops/leads:batch', { leads: batchLeads })).leads;
      leads += taken.length;
      for (const lead of taken) if (lead.routing?.assignee) routed.push({ lead, at: received, company: batchLeads.find((l) => l.id === lead.id)!.company });
    }

    // First touches: most within the SLA, some late; the last week's leads not yet (the sweep finds the hot ones past due).
    const touches = routed.filter((r) => r.at < Date.now() - BATCH_EVERY_DAYS * DAY).map((r) => {
      const due = r.lead.routing!.due_at ? new Date(r.lead.routing!.due_at).getTime() : r.at + DAY;
      const late = random.next() < 0.12;
      return { ...r, touchAt: late ? due + random.int(5, 240) * MINUTE : r.at + Math.min(due - r.at - MINUTE, random.latency(6 * MINUTE)) };
    }).sort((a, b) => a.touchAt - b.touchAt);
    for (const touch of touches) {
      at(touch.touchAt);
      await call(await token(touch.lead.routing!.assignee!, 'writer'), `/v1/revops/leads/${touch.lead.id}/touch`, { channel: random.pick(['call', 'email', 'meeting'] as const) });
    }

    // Quotes on a quarter of the touched leads, their discounts creeping up over the quarter.
    const [lead, finance, ceo, onboarding, operations] = await Promise.all([
      token('lead-sam', 'sales_lead'), token('fin-cho', 'finance'), token('ceo-gus', 'ceo'), token('onboarding-uma', 'approver'), token('ops-vic', 'operator'),
    ]);
    for (const touch of touches.filter((_, i) => i % 4 === 0)) {
      const quotedAt = touch.touchAt + random.int(1, 6) * DAY;
      if (quotedAt > Date.now() - HOUR) continue;
      at(quotedAt);
      const progress = (quotedAt - start) / (QUARTER_DAYS * DAY);
      const discount = Math.max(0, Math.min(35, Math.round(random.latency(6 + 10 * progress))));
      const listPrice = random.pick([24_000, 48_000, 96_000, 180_000]);
      const finalPrice = (listPrice * (100 - discount)) / 100;
      const reason = random.pick(Object.keys(REASONS) as (keyof typeof REASONS)[]);
      const rep = await token(touch.lead.routing!.assignee!, 'writer');
      const body = {
        id: `Q-${touch.lead.id}`, account: touch.company, lead_id: touch.lead.id, currency: 'USD', list_price: `${listPrice}.00`, final_price: finalPrice.toFixed(2),
        terms: { term_months: reason === 'multi-year' ? 36 : 12, billing: 'annual' }, ...(discount > 10 ? { rationale: { category: reason, text: REASONS[reason] } } : {}),
      };
      let quote = await call<{ status: string; current: { approval_run_id: string | null; band: string } }>(rep, '/v1/revops/quotes', body);
      quotes += 1;
      let decidedAt = quotedAt;
      if (quote.current.approval_run_id) {
        const runId = quote.current.approval_run_id;
        const approvers = quote.current.band === 'sales-lead' ? [lead] : [finance, ceo];
        const denied = random.next() < 0.15;
        for (const approver of approvers) {
          decidedAt += Math.max(10 * MINUTE, random.latency(quote.current.band === 'sales-lead' ? 3 * HOUR : 20 * HOUR));
          at(decidedAt);
          await call(approver, `/v1/workflows/runs/${runId}/approvals`, {
            decision: denied ? 'deny' : 'approve', rationale: { category: reason, text: denied ? 'Too deep for this segment: requote within guidance' : APPROVAL_TEXT },
          });
          if (denied) break;
        }
        if (denied) {
          // Requoted within the automatic band.
          decidedAt += HOUR;
          at(decidedAt);
          quote = await call(rep, `/v1/revops/quotes/${body.id}/revisions`, { ...body, id: undefined, final_price: ((listPrice * 92) / 100).toFixed(2), rationale: undefined });
        }
      }
      const outcomeAt = decidedAt + random.int(2, 20) * DAY;
      if (outcomeAt > Date.now() - HOUR) continue;
      at(outcomeAt);
      const won = random.next() < Math.max(0.35, 0.75 - discount / 100);
      const activation = { tenant: touch.company.toLowerCase().replace(/[^a-z0-9]+/g, '-'), plan: random.pick(['pro', 'enterprise']), packs: random.pick([['revops'], ['revops', 'finops'], ['finops']]) };
      const decided = await call<{ outcome: { activation_run_id: string | null } }>(rep, `/v1/revops/quotes/${body.id}/outcome`, won ? { outcome: 'won', activation } : { outcome: 'lost' });
      // Onboarding approves the activation and operations carry it out: mostly within the week.
      const activationRun = decided.outcome.activation_run_id;
      const kickoff = outcomeAt + Math.max(30 * MINUTE, random.latency(6 * HOUR));
      const live = kickoff + random.latency(3 * DAY);
      if (!activationRun || live > Date.now() - HOUR) continue;
      at(kickoff);
      await call(onboarding, `/v1/workflows/runs/${activationRun}/approvals`, { decision: 'approve', rationale: { category: 'new-customer', text: 'Kick-off booked with the customer\'s admin' } });
      at(live);
      await call(operations, `/v1/workflows/runs/${activationRun}/execute`);
    }
  } finally {
    clock.reset();
  }
  return `a quarter of RevOps (${leads} leads taken in and routed by a governed policy, ${quotes} quotes priced through the discount matrix)`;
}
