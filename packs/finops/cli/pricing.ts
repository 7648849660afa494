import type { Command } from 'commander';
import { loadConfig } from '../../../surfaces/cli/kit/index.ts';
import { connectPlatform, type PricingSimulation } from '../../../surfaces/cli/kit/index.ts';

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

export function registerPricing(program: Command): void {
  const pricing = program.command('pricing').description('Margins per SKU from models/finops/pricing.yaml, and what-if pricing.');
  pricing
    .command('simulate')
    .description(
      'What-if on the built COGS of a month: SKU revenue, COGS and margin as priced now and under the scenario. Writes nothing. ' +
        'A moved tenant pays its new SLA tier and its COGS scales by the tiers\' cost_factor ratio; an excluded pack becomes an add-on ' +
        'SKU every tenant with cost on it buys.',
    )
    .requiredOption('--period <YYYY-MM>', 'the month of charges to price')
    .option('--move-tier <tenant=tier>', 'put a tenant on another SLA tier (repeatable)', collect, [])
    .option('--exclude-pack <pack>', 'take a pack out of the base SKU (repeatable)', collect, [])
    .option('--json', 'print the full result as JSON')
    .addHelpText('after', '\nExample: companyos pricing simulate --period 2026-10 --move-tier sim-tenant-001=gold --exclude-pack revops')
    .action(async (options: { period: string; moveTier: string[]; excludePack: string[]; json?: boolean }) => {
      if (!PERIOD.test(options.period)) throw new Error(`--period must be YYYY-MM; got "${options.period}".`);
      const tierMoves: Record<string, string> = {};
      for (const move of options.moveTier) {
        const [tenant, tier] = move.split('=');
        if (!tenant || !tier) throw new Error(`--move-tier takes tenant=tier; got "${move}".`);
        tierMoves[tenant] = tier;
      }
      const client = await connectPlatform(loadConfig());
      try {
        const result = await client.simulatePricing({ period: options.period, tier_moves: tierMoves, excluded_packs: options.excludePack });
        console.log(options.json ? JSON.stringify(result, null, 2) : render(result));
      } finally {
        await client.close();
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const money = (value: string) => value.replace(/(\.\d{2})\d*$/, '$1');
const signed = (value: string) => (value.startsWith('-') ? money(value) : `+${money(value)}`);

function render(result: PricingSimulation): string {
  const rows = result.skus.map((s) => [
    `${s.sku_kind === 'pack' ? 'pack ' : 'base '}${s.sku}`,
    `${s.baseline.tenants} → ${s.scenario.tenants}`,
    `${money(s.baseline.revenue)} → ${money(s.scenario.revenue)}`,
    `${money(s.baseline.cogs)} → ${money(s.scenario.cogs)}`,
    `${money(s.baseline.margin)} → ${money(s.scenario.margin)}`,
    signed(s.delta.margin),
  ]);
  const header = ['SKU', 'tenants', `revenue ${result.currency}`, 'COGS', 'margin', 'Δ margin'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const { baseline, scenario, delta } = result.total;
  return [
    line(header),
    ...rows.map(line),
    '',
    `Total ${result.period}: revenue ${money(baseline.revenue)} → ${money(scenario.revenue)} (${signed(delta.revenue)}), ` +
      `COGS ${money(baseline.cogs)} → ${money(scenario.cogs)} (${signed(delta.cogs)}), ` +
      `margin ${money(baseline.margin)} → ${money(scenario.margin)} (${signed(delta.margin)}); ` +
      `margin ${baseline.margin_percent ?? '–'}% → ${scenario.margin_percent ?? '–'}%`,
  ].join('\n');
}
