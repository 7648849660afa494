import { generateLeads } from '../packs/revops/testdata/lead-set.ts';
import { DuplicateIndex } from '../packs/revops/leads/duplicates.ts';
import { normalizeLead } from '../packs/revops/leads/normalize.ts';
import { isDisposable } from '../packs/revops/leads/spam.ts';
const leads = generateLeads(10_000);
const index = new DuplicateIndex();
const byId = new Map(leads.map((l) => [l.id, l]));
const originOf = new Map<string, string>();
let fp = 0, fn = 0, tp = 0;
for (const lead of leads) {
  const n = normalizeLead({ country: 'US', email: lead.email, phone: lead.phone, firstName: lead.first_name, lastName: lead.last_name, company: lead.company });
  if (lead.honeypot || isDisposable(n.domain)) continue;
  const m = index.match(n);
  const origin = m ? originOf.get(m.leadId) ?? m.leadId : undefined;
  if (m && lead.truth && origin === lead.truth) tp++;
  else if (m) { fp++; if (fp <= 12) console.log('FP', m.rule, JSON.stringify(lead), '\n   ~', JSON.stringify(byId.get(m.leadId))); }
  else if (lead.truth) { fn++; if (fn <= 8) console.log('FN', JSON.stringify(lead), '\n   ~', JSON.stringify(byId.get(lead.truth))); }
  if (m) originOf.set(lead.id, origin!); else index.add({ id: lead.id, ...n });
}
console.log({ tp, fp, fn });
