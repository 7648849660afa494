import { describe, expect, it } from 'vitest';
import { generateLeads } from '../../../test/support/lead-set.ts';
import { DuplicateIndex } from './duplicates.ts';
import { normalizeLead } from './normalize.ts';
import { isDisposable } from './spam.ts';

const person = (fields: Parameters<typeof normalizeLead>[0]) => normalizeLead({ country: 'US', ...fields });

describe('the duplicate matcher', () => {
  it('matches the same person through case, +tags, phone formats, company suffixes and typos', () => {
    const index = new DuplicateIndex();
    const jane = person({ email: 'Jane.Doe@acme.io', phone: '+1 415 555 0134', firstName: 'Jane', lastName: 'Doe', company: 'ACME, Inc.' });
    index.add({ id: 'jane', ...jane });
    const expectations: [Parameters<typeof normalizeLead>[0], string | undefined][] = [
      [{ email: 'jane.doe+webinar@ACME.io' }, 'email'],
      [{ phone: '(415) 555-0134', firstName: 'jane', lastName: 'DOE' }, 'phone-and-name'],
      [{ email: 'jane.deo@acme.io', firstName: 'Jane', lastName: 'Doe' }, 'email-typo'],
      [{ firstName: 'Jnae', lastName: 'Doe', company: 'Acme' }, 'name-and-company'],
      [{ firstName: 'J', lastName: 'Doe', website: 'https://www.acme.io/pricing' }, 'name-and-domain'],
      // Someone else: same company, another name; the same name at another company; a shared office phone.
      [{ firstName: 'John', lastName: 'Roe', company: 'Acme Inc' }, undefined],
      [{ firstName: 'Jane', lastName: 'Doe', company: 'Globex' }, undefined],
      [{ phone: '415-555-0134', firstName: 'Raj', lastName: 'Patel' }, undefined],
    ];
    for (const [fields, rule] of expectations) expect([fields, index.match(person(fields))?.rule], JSON.stringify(fields)).toEqual([fields, rule]);
    expect(index.match(person({ email: 'JANE.DOE@acme.io' }))).toEqual({ leadId: 'jane', rule: 'email' });
  });

  it('finds seeded near-duplicates in 10,000 leads with recall ≥ 0.95 and precision ≥ 0.98, and flags every spam lead', () => {
    const leads = generateLeads(10_000);
    const index = new DuplicateIndex();
    const originOf = new Map<string, string>();
    let [truePositives, falsePositives, falseNegatives, spamCaught, spamTotal] = [0, 0, 0, 0, 0];
    for (const lead of leads) {
      const normalized = person({ email: lead.email, phone: lead.phone, firstName: lead.first_name, lastName: lead.last_name, company: lead.company });
      if (lead.truth === 'spam') spamTotal++;
      if (lead.honeypot || isDisposable(normalized.domain)) {
        if (lead.truth === 'spam') spamCaught++;
        continue;
      }
      const match = index.match(normalized);
      const truth = lead.truth;
      if (match && truth && (originOf.get(match.leadId) ?? match.leadId) === truth) truePositives++;
      else if (match) falsePositives++;
      else if (truth) falseNegatives++;
      if (match) originOf.set(lead.id, originOf.get(match.leadId) ?? match.leadId);
      else index.add({ id: lead.id, ...normalized });
    }
    const recall = truePositives / (truePositives + falseNegatives);
    const precision = truePositives / (truePositives + falsePositives);
    expect({ recall: recall >= 0.95, precision: precision >= 0.98, seeded: truePositives + falseNegatives }).toEqual({ recall: true, precision: true, seeded: 300 });
    expect([spamCaught, spamTotal]).toEqual([200, 200]);
    console.log(`duplicates: recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)} (${truePositives} found, ${falsePositives} wrong, ${falseNegatives} missed)`);
  });
});
