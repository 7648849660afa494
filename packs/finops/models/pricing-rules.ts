import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ModelProblem } from '../../../platform/transforms/index.ts';

/** The price table of `finops/pricing.yaml`: per tenant per month, decimal strings. */
export interface Pricing {
  currency: string;
  /** Plan → monthly price of the plan. */
  plans: Record<string, string>;
  /** SLA tier → price added to the plan's, and its cost relative to the other tiers. */
  slaTiers: Record<string, { price: string; costFactor: string }>;
  /** Pack → add-on price, and whether every plan already includes it. */
  packs: Record<string, { price: string; inBaseSku: boolean }>;
}

/** A what-if: tenants moved to another SLA tier, packs taken out of the base SKU (sold as add-ons). */
export interface PricingScenario {
  tierMoves: Record<string, string>;
  excludedPacks: string[];
}

export const PRICING_FILE = 'finops/pricing.yaml';

const NAME = /^[a-z][a-z0-9_-]*$/;
const PRICE = /^[0-9]{1,12}([.][0-9]{1,10})?$/;
const FACTOR = /^[0-9]{1,3}([.][0-9]{1,6})?$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Reads `finops/pricing.yaml`; every problem is reported at once. */
export function parsePricing(path: string, text: string): { pricing: Pricing; problems: ModelProblem[] } {
  const problems: ModelProblem[] = [];
  const problem = (message: string) => problems.push({ path, message });
  const pricing: Pricing = { currency: 'USD', plans: {}, slaTiers: {}, packs: {} };
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch (error) {
    problem(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    return { pricing, problems };
  }
  pricing.currency = String(doc.currency ?? '');
  if (!CURRENCY.test(pricing.currency)) problem(`currency must be an ISO 4217 code such as USD; got "${pricing.currency}"`);
  const section = (key: string): [string, unknown][] => {
    const value = doc[key];
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      problem(`\`${key}:\` must map names to prices`);
      return [];
    }
    const entries = Object.entries(value);
    for (const [name] of entries) if (!NAME.test(name)) problem(`${key}.${name}: names are lowercase letters, digits, "-" and "_"`);
    return entries;
  };
  const price = (value: unknown, where: string): string => {
    const text = typeof value === 'number' ? String(value) : String(value ?? '');
    if (!PRICE.test(text)) problem(`${where}: price must be a non-negative decimal string such as '1200.00'; got "${text}"`);
    return text;
  };
  for (const [plan, value] of section('plans')) pricing.plans[plan] = price(value, `plans.${plan}`);
  for (const [tier, value] of section('sla_tiers')) {
    const v = (value ?? {}) as Record<string, unknown>;
    const costFactor = String(v.cost_factor ?? '1');
    if (!FACTOR.test(costFactor) || Number(costFactor) === 0) problem(`sla_tiers.${tier}: cost_factor must be a positive decimal; got "${costFactor}"`);
    pricing.slaTiers[tier] = { price: price(v.price, `sla_tiers.${tier}`), costFactor };
  }
  for (const [pack, value] of section('packs')) {
    const v = (value ?? {}) as Record<string, unknown>;
    if (typeof v.in_base_sku !== 'boolean') problem(`packs.${pack}: in_base_sku must be true or false`);
    pricing.packs[pack] = { price: price(v.price, `packs.${pack}`), inBaseSku: v.in_base_sku === true };
  }
  return { pricing, problems };
}

/** pricing.yaml cannot be used; the message names every problem. */
export class PricingFileError extends Error {
  override readonly name = 'PricingFileError';
  constructor(readonly problems: ModelProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  }
}

/** The models folder's price table; undefined when it has none. */
export async function loadPricing(modelsDir: string): Promise<Pricing | undefined> {
  const path = join(modelsDir, PRICING_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const { pricing, problems } = parsePricing(path, text);
  if (problems.length) throw new PricingFileError(problems);
  return pricing;
}

/** What is wrong with a scenario against the price table, as sentences; empty when it can be simulated. */
export function scenarioProblems(pricing: Pricing, scenario: PricingScenario): string[] {
  const problems: string[] = [];
  for (const [tenant, tier] of Object.entries(scenario.tierMoves)) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(tenant)) problems.push(`"${tenant}" is not a tenant id.`);
    if (!pricing.slaTiers[tier]) problems.push(`SLA tier "${tier}" is not in pricing.yaml (${Object.keys(pricing.slaTiers).join(', ')}).`);
  }
  for (const pack of scenario.excludedPacks) {
    if (!pricing.packs[pack]) problems.push(`Pack "${pack}" is not in pricing.yaml (${Object.keys(pricing.packs).join(', ')}).`);
    else if (!pricing.packs[pack].inBaseSku) problems.push(`Pack "${pack}" is already an add-on, not part of the base SKU.`);
  }
  return problems;
}

/** The price table with the scenario's packs sold as add-ons. */
export function withExcludedPacks(pricing: Pricing, packs: readonly string[]): Pricing {
  return {
    ...pricing,
    packs: Object.fromEntries(Object.entries(pricing.packs).map(([name, p]) => [name, packs.includes(name) ? { ...p, inBaseSku: false } : p])),
  };
}
