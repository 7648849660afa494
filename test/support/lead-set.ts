/**
 * A generated lead set for the matcher's quality test: base leads, near-duplicates of some of
 * them (the way people re-submit: case, typos, phone formats, company suffixes, `+tags`) and
 * spam (throwaway domains, a filled honeypot), shuffled, with the truth of each.
 */
export interface GeneratedLead {
  id: string;
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  company?: string;
  country?: string;
  honeypot?: string;
  /** The base lead this one duplicates, or 'spam'. */
  truth?: string;
}

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lucia', 'Mateo', 'Nadia', 'Omar', 'Priya', 'Quinn',
  'Rosa', 'Sven', 'Tara', 'Uma', 'Viktor', 'Wen', 'Ximena', 'Yusuf', 'Zoe', 'Arjun', 'Bianca', 'Carlos', 'Dana', 'Emil', 'Fatima', 'Gustav', 'Hana', 'Ivan',
  'Julia', 'Kofi', 'Lena', 'Marek', 'Noor', 'Olga', 'Pablo', 'Rania', 'Stefan', 'Tomasz', 'Ulla', 'Vera', 'Walter', 'Yara', 'Zainab'];
const LAST = ['Smith', 'García', 'Müller', 'Rossi', 'Nakamura', 'Okafor', 'Kowalski', 'Johansson', 'Dubois', 'Silva', 'Novak', 'Haddad', 'Kim', 'Patel',
  'Cohen', 'Ivanova', 'Jensen', 'Moreau', 'Schmidt', 'Tanaka', 'Nguyen', 'Brown', 'Fischer', 'Romano', 'Lindqvist', 'Costa', 'Horvat', 'Yilmaz', 'Mensah',
  'Andersen', 'Bauer', 'Castillo', 'Duarte', 'Eriksson', 'Ferreira', 'Gallo', 'Hoffmann', 'Ibrahim', 'Jovanovic', 'Keller', 'Laine', 'Meyer', 'Nieminen',
  'Olsen', 'Peeters', 'Quintero', 'Richter', 'Sato', 'Toth', 'Urbano', 'Vargas', 'Weber', 'Xu', 'Young', 'Zimmermann', 'Abara', 'Berger', 'Chen', 'Dias', 'Engel'];
const WORDS = ['Blue', 'River', 'Stone', 'North', 'Bright', 'Cedar', 'Harbor', 'Summit', 'Iron', 'Maple', 'Falcon', 'Granite', 'Lumen', 'Orbit', 'Pixel',
  'Quartz', 'Silver', 'Tidal', 'Vector', 'Willow', 'Atlas', 'Beacon', 'Copper', 'Delta', 'Ember', 'Fjord', 'Glacier', 'Helix', 'Juniper', 'Kestrel'];
const TAILS = ['Labs', 'Systems', 'Analytics', 'Health', 'Logistics', 'Software', 'Energy', 'Robotics', 'Foods', 'Media'];
const SUFFIXES = ['', ' Inc.', ', LLC', ' Ltd', ' GmbH', ' Corp.'];
const DISPOSABLE = ['mailinator.com', 'guerrillamail.com', 'yopmail.com', '10minutemail.com', 'trashmail.com'];
const AREAS = ['212', '415', '646', '312', '617', '206', '303', '512'];

/** A seeded generator (mulberry32), so a failure is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ascii = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

export function generateLeads(total: number, { duplicateShare = 0.03, spamShare = 0.02, seed = 7 } = {}): GeneratedLead[] {
  const rand = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const companies = Array.from({ length: 600 }, (_, i) => `${WORDS[i % WORDS.length]} ${WORDS[Math.floor(i / WORDS.length) % WORDS.length]} ${TAILS[i % TAILS.length]}`)
    .filter((name, i, all) => all.indexOf(name) === i);
  const duplicates = Math.round(total * duplicateShare);
  const spam = Math.round(total * spamShare);
  const bases: GeneratedLead[] = [];
  const taken = new Set<string>();
  const phones = new Set<string>();
  while (bases.length < total - duplicates - spam) {
    const [first, last, company] = [pick(FIRST), pick(LAST), pick(companies)];
    const person = `${first}|${last}|${company}`;
    if (taken.has(person)) continue;
    taken.add(person);
    const domain = `${ascii(company).replace(/[^a-z]/g, '')}.io`;
    const free = rand() < 0.2;
    const email = free ? `${ascii(first)}${ascii(last)}${bases.length}@gmail.com` : `${ascii(first)}.${ascii(last)}@${domain}`;
    let phone: string;
    do phone = `+1${pick(AREAS)}${String(2_000_000 + Math.floor(rand() * 7_000_000))}`; while (phones.has(phone));
    phones.add(phone);
    bases.push({ id: `L${bases.length}`, email, phone: rand() < 0.8 ? phone : undefined, first_name: first, last_name: last, company: `${company}${pick(SUFFIXES)}`, country: 'US' });
  }
  const typo = (text: string) => {
    const i = 1 + Math.floor(rand() * (text.length - 2));
    return rand() < 0.5 ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2);
  };
  const formats = (e164: string) => {
    const [area, a, b] = [e164.slice(2, 5), e164.slice(5, 8), e164.slice(8)];
    return pick([`(${area}) ${a}-${b}`, `${area}.${a}.${b}`, `+1 ${area} ${a} ${b}`, `1-${area}-${a}-${b}`]);
  };
  const copies: GeneratedLead[] = Array.from({ length: duplicates }, (_, i) => {
    const base = bases[Math.floor(rand() * bases.length)]!;
    const copy: GeneratedLead = { ...base, id: `D${i}`, truth: base.id };
    const changes = [
      () => (copy.email = copy.email!.toUpperCase()),
      () => (copy.first_name = typo(copy.first_name!)),
      () => (copy.last_name = copy.last_name!.toLowerCase()),
      () => (copy.company = copy.company!.replace(/( Inc\.|, LLC| Ltd| GmbH| Corp\.)$/, '') + pick([' Inc', ' Ltd.', ''])),
      () => (copy.phone = copy.phone ? formats(copy.phone) : copy.phone),
      () => (copy.email = copy.email!.replace('@', `+${pick(['demo', 'web', 'q3'])}@`)),
      // A typo in the mailbox: the name and company still say who it is.
      () => (copy.email = typo(copy.email!.split('@')[0]!) + '@' + copy.email!.split('@')[1]),
    ];
    for (let n = 1 + Math.floor(rand() * 2); n > 0; n--) pick(changes)();
    return copy;
  });
  const junk: GeneratedLead[] = Array.from({ length: spam }, (_, i) => {
    const lead: GeneratedLead = { id: `S${i}`, first_name: pick(FIRST), last_name: pick(LAST), company: pick(companies), truth: 'spam' };
    if (i % 2 === 0) lead.email = `${ascii(lead.first_name!)}${i}@${pick(DISPOSABLE)}`;
    else Object.assign(lead, { email: `win${i}@prizes-${i}.example`, honeypot: 'http://cheap-pills.example' });
    return lead;
  });
  // Shuffled, but every copy after its base: a duplicate is one of a lead seen before.
  const all = [...bases, ...junk];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  for (const copy of copies) {
    const after = all.findIndex((lead) => lead.id === copy.truth);
    all.splice(after + 1 + Math.floor(rand() * (all.length - after)), 0, copy);
  }
  return all;
}
