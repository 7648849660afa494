import { createRequire } from 'node:module';
import type * as PhoneNumbers from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';

// Loaded on the first phone number, not with the module: every CLI command and platform start loads this module.
type PhoneLibrary = typeof PhoneNumbers;
let phoneLibrary: PhoneLibrary | undefined;
const phones = (): PhoneLibrary => (phoneLibrary ??= createRequire(import.meta.url)('libphonenumber-js') as PhoneLibrary);

/** A lead's fields as they arrived, after shape checks (lead-input.ts). */
export interface LeadFields {
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  company?: string;
  website?: string;
  /** ISO 3166-1 alpha-2: the default region for a phone number written without its country code. */
  country?: string;
}

/** What matching and routing work on: every field in one canonical form, and the keys duplicates are found by. */
export interface NormalizedLead {
  email: string | null;
  /** The mailbox: lower case, without a `+tag`, and without dots where the provider ignores them (Gmail). */
  emailKey: string | null;
  /** The company's domain: the email's, unless that is a free mail provider, else the website's. */
  domain: string | null;
  /** E.164 (`+14155550123`), or null when absent or not a possible number. */
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  /** First and last name, lower case, without accents or punctuation. */
  nameKey: string | null;
  company: string | null;
  /** The company name without legal suffixes, accents, punctuation or case: "ACME, Inc." and "Acme" are one. */
  companyKey: string | null;
  country: string | null;
  /** What was given but could not be used (an email or phone that does not parse). */
  problems: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOTS_IGNORED = new Set(['gmail.com']);
const ALIASES: Record<string, string> = { 'googlemail.com': 'gmail.com' };
/** Mail providers whose domain says nothing about the company. */
export const FREE_MAIL = new Set([
  'gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'aol.com', 'icloud.com', 'me.com', 'proton.me', 'protonmail.com',
  'gmx.com', 'gmx.de', 'web.de', 'mail.com', 'yandex.com', 'yandex.ru', 'qq.com', '163.com', 'msn.com', 'zoho.com',
]);
const LEGAL_SUFFIXES = new Set([
  'inc', 'incorporated', 'llc', 'llp', 'lp', 'ltd', 'limited', 'corp', 'corporation', 'co', 'company', 'plc', 'gmbh', 'ag', 'sa', 'sas', 'sarl',
  'srl', 'spa', 'bv', 'nv', 'oy', 'ab', 'as', 'aps', 'pty', 'kk', 'kg', 'se', 'group', 'holdings',
]);

/** Lower case, accents and punctuation dropped, spaces collapsed. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/&/g, ' and ').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

export function companyKey(company: string): string | null {
  const words = foldText(company).split(' ').filter(Boolean);
  while (words.length > 1 && LEGAL_SUFFIXES.has(words.at(-1)!)) words.pop();
  const key = words.join(' ');
  return key || null;
}

function emailParts(raw: string): { email: string; emailKey: string; domain: string } | undefined {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email)) return undefined;
  const at = email.lastIndexOf('@');
  const domain = ALIASES[email.slice(at + 1)] ?? email.slice(at + 1);
  let local = email.slice(0, at).split('+')[0]!;
  if (DOTS_IGNORED.has(domain)) local = local.replaceAll('.', '');
  return { email, emailKey: `${local}@${domain}`, domain };
}

function websiteDomain(raw: string): string | null {
  try {
    const host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim()) ? raw.trim() : `https://${raw.trim()}`).hostname.toLowerCase();
    return host.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

function phoneE164(raw: string, country: string | null): string | null {
  const parsed = phones().parsePhoneNumberFromString(raw, (country ?? 'US') as CountryCode);
  return parsed?.isPossible() ? parsed.number : null;
}

const tidy = (value: string | undefined) => (value?.trim() ? value.trim().replace(/\s+/g, ' ') : null);

export function normalizeLead(fields: LeadFields): NormalizedLead {
  const problems: string[] = [];
  const country = fields.country?.trim().toUpperCase() || null;
  const mail = fields.email?.trim() ? emailParts(fields.email) : undefined;
  if (fields.email?.trim() && !mail) problems.push('email-invalid');
  const phone = fields.phone?.trim() ? phoneE164(fields.phone, country) : null;
  if (fields.phone?.trim() && !phone) problems.push('phone-invalid');
  const firstName = tidy(fields.firstName);
  const lastName = tidy(fields.lastName);
  const company = tidy(fields.company);
  const site = fields.website?.trim() ? websiteDomain(fields.website) : null;
  const name = foldText([firstName, lastName].filter(Boolean).join(' '));
  return {
    email: mail?.email ?? null,
    emailKey: mail?.emailKey ?? null,
    domain: mail && !FREE_MAIL.has(mail.domain) ? mail.domain : site ?? mail?.domain ?? null,
    phone,
    firstName,
    lastName,
    nameKey: name || null,
    company,
    companyKey: company ? companyKey(company) : null,
    country,
    problems,
  };
}
