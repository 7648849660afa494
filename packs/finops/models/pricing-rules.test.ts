import { describe, expect, it } from 'vitest';
import { parsePricing, scenarioProblems } from './pricing-rules.ts';

const GOOD = `currency: USD
plans: { pro: '2400.00' }
sla_tiers: { silver: { price: '400', cost_factor: '1.1' }, gold: { price: '1200.00', cost_factor: '1.25' } }
packs: { revops: { price: '900.00', in_base_sku: true }, finops: { price: '1200.00', in_base_sku: false } }
`;

describe('pricing.yaml', () => {
  it('reads plans, SLA tiers and packs as exact decimal strings', () => {
    const { pricing, problems } = parsePricing('pricing.yaml', GOOD);
    expect(problems).toEqual([]);
    expect(pricing).toEqual({
      currency: 'USD',
      plans: { pro: '2400.00' },
      slaTiers: { silver: { price: '400', costFactor: '1.1' }, gold: { price: '1200.00', costFactor: '1.25' } },
      packs: { revops: { price: '900.00', inBaseSku: true }, finops: { price: '1200.00', inBaseSku: false } },
    });
  });

  it('reports every problem at once, naming the entry', () => {
    const { problems } = parsePricing('pricing.yaml', `currency: dollars
plans: { pro: 'free', Bad Name: '1' }
sla_tiers: { gold: { price: '-5', cost_factor: '0' } }
packs: { revops: { price: '900.00' } }
`);
    expect(problems.map((p) => p.message)).toEqual([
      'currency must be an ISO 4217 code such as USD; got "dollars"',
      'plans.Bad Name: names are lowercase letters, digits, "-" and "_"',
      `plans.pro: price must be a non-negative decimal string such as '1200.00'; got "free"`,
      'sla_tiers.gold: cost_factor must be a positive decimal; got "0"',
      `sla_tiers.gold: price must be a non-negative decimal string such as '1200.00'; got "-5"`,
      'packs.revops: in_base_sku must be true or false',
    ]);
    expect(parsePricing('pricing.yaml', 'plans: [').problems[0]!.message).toMatch(/^not valid YAML/);
  });

  it('checks a what-if against the table', () => {
    const { pricing } = parsePricing('pricing.yaml', GOOD);
    expect(scenarioProblems(pricing, { tierMoves: { acme: 'gold' }, excludedPacks: ['revops'] })).toEqual([]);
    expect(scenarioProblems(pricing, { tierMoves: { "x' OR 1=1": 'platinum' }, excludedPacks: ['finops', 'crm'] })).toEqual([
      `"x' OR 1=1" is not a tenant id.`,
      'SLA tier "platinum" is not in pricing.yaml (silver, gold).',
      'Pack "finops" is already an add-on, not part of the base SKU.',
      'Pack "crm" is not in pricing.yaml (revops, finops).',
    ]);
  });
});
