import { distance } from 'fastest-levenshtein';
import { FREE_MAIL, type NormalizedLead } from './normalize.ts';

/** A lead as the matcher knows it. */
export interface MatchableLead extends Pick<NormalizedLead, 'emailKey' | 'domain' | 'phone' | 'nameKey' | 'companyKey'> {
  id: string;
}

export type MatchRule = 'email' | 'email-typo' | 'phone-and-name' | 'name-and-company' | 'name-and-domain';

export interface Match {
  leadId: string;
  rule: MatchRule;
}

/** A family name and the given name's initial ("doe j"): a block of namesakes, not of every Doe. */
export function nameBlock(nameKey: string | null): string | null {
  if (!nameKey || !nameKey.includes(' ')) return nameKey;
  return `${nameKey.split(' ').at(-1)} ${nameKey[0]}`;
}

/** One typo apart: a letter added, dropped or changed (in texts of 5 or more), or two neighbours swapped. */
function oneTypo(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length === b.length) {
    const at = [...a].findIndex((c, i) => c !== b[i]);
    if (a[at] === b[at + 1] && a[at + 1] === b[at] && a.slice(at + 2) === b.slice(at + 2)) return true;
  }
  return Math.min(a.length, b.length) >= 5 && Math.abs(a.length - b.length) <= 1 && distance(a, b) <= 1;
}

/** A company name one or two typos apart (two in names longer than ten letters). */
function sameCompany(a: string, b: string): boolean {
  return oneTypo(a, b) || (Math.min(a.length, b.length) > 10 && Math.abs(a.length - b.length) <= 2 && distance(a, b) <= 2);
}

/** The same person's name: the last names a typo apart at most, the first names too, or one the other's initial ("j doe"). */
function sameName(a: string | null, b: string | null): boolean {
  if (!a || !b) return false;
  const [wa, wb] = [a.split(' '), b.split(' ')];
  if (wa.length < 2 || wb.length < 2) return oneTypo(a, b);
  const [fa, fb] = [wa.slice(0, -1).join(' '), wb.slice(0, -1).join(' ')];
  const initial = (fa.length === 1 || fb.length === 1) && fa[0] === fb[0];
  return oneTypo(wa.at(-1)!, wb.at(-1)!) && (initial || oneTypo(fa, fb));
}

/**
 * Finds the lead a new one duplicates. Candidates share a blocking key (mailbox, phone, domain,
 * company, name) — the index holds those — and are then compared by the rules below, strongest first.
 * One matcher serves intake, merges and reports, so they never disagree.
 */
export class DuplicateIndex {
  private readonly byKey = new Map<string, MatchableLead[]>();

  /** The blocking keys of a lead; the same function fills the index and the candidate query (`blockingValues`). */
  static keys(lead: Omit<MatchableLead, 'id'>): string[] {
    const keys: string[] = [];
    if (lead.emailKey) keys.push(`m:${lead.emailKey}`);
    if (lead.phone) keys.push(`p:${lead.phone}`);
    if (lead.domain && !FREE_MAIL.has(lead.domain)) keys.push(`d:${lead.domain}`);
    if (lead.companyKey) keys.push(`c:${lead.companyKey}`);
    const block = nameBlock(lead.nameKey);
    if (block) keys.push(`n:${block}`);
    return keys;
  }

  add(lead: MatchableLead): void {
    for (const key of DuplicateIndex.keys(lead)) {
      const list = this.byKey.get(key);
      if (list) list.push(lead);
      else this.byKey.set(key, [lead]);
    }
  }

  /** The earliest lead that `lead` duplicates, and by which rule; undefined when none. */
  match(lead: Omit<MatchableLead, 'id'>): Match | undefined {
    const seen = new Set<string>();
    let best: (Match & { rank: number }) | undefined;
    for (const key of DuplicateIndex.keys(lead)) {
      for (const other of this.byKey.get(key) ?? []) {
        if (seen.has(other.id)) continue;
        seen.add(other.id);
        const rule = compare(lead, other);
        if (!rule) continue;
        const rank = RULES.indexOf(rule);
        if (!best || rank < best.rank) best = { leadId: other.id, rule, rank };
      }
    }
    return best && { leadId: best.leadId, rule: best.rule };
  }
}

const RULES: readonly MatchRule[] = ['email', 'phone-and-name', 'email-typo', 'name-and-company', 'name-and-domain'];

function compare(a: Omit<MatchableLead, 'id'>, b: MatchableLead): MatchRule | undefined {
  if (a.emailKey && a.emailKey === b.emailKey) return 'email';
  const name = sameName(a.nameKey, b.nameKey);
  if (a.phone && a.phone === b.phone && name) return 'phone-and-name';
  const company = Boolean(a.companyKey && b.companyKey && sameCompany(a.companyKey, b.companyKey));
  if (a.emailKey && b.emailKey && name) {
    const [la, da] = a.emailKey.split('@') as [string, string];
    const [lb, db] = b.emailKey.split('@') as [string, string];
    // A typo in the mailbox, by the same person: at a free mail provider namesakes abound, so the company must agree too.
    if (da === db && oneTypo(la, lb) && (!FREE_MAIL.has(da) || company)) return 'email-typo';
  }
  if (name && company) return 'name-and-company';
  if (name && a.domain && a.domain === b.domain && !FREE_MAIL.has(a.domain)) return 'name-and-domain';
  return undefined;
}
