import type { Warehouse } from '../../kernel/warehouse/index.ts';
import type { PlatformConfig } from './kit/index.ts';

interface BannerFacts {
  url: string;
  config: PlatformConfig;
  warehouse: Warehouse;
  seeded: number;
  /** What the FinOps demo seeding did, when it ran. */
  demo?: string;
  token: string;
}

/** What a newcomer needs after `npm start`: where it runs, a token, and three requests to try. */
export function printBanner({ url, warehouse, seeded, demo, token }: BannerFacts): void {
  const event = (id: string, tenant = true) =>
    JSON.stringify({
      specversion: '1.0',
      id,
      source: 'urn:demo:curl',
      type: 'policy.decisions_total',
      ...(tenant ? { tenantid: 'summit-internal' } : {}),
      policyversion: 'v1',
      data: { decision: 'allow' },
    });
  const batch = `[${event('demo-1')},${event('demo-1')},${event('demo-2', false)}]`;
  const lines = [
    '',
    `CompanyOS is running at ${url}`,
    `  warehouse: ${warehouse.engine} (${warehouse.location})`,
    seeded ? `  seeded summit-internal with ${seeded.toLocaleString('en-US')} metering events from the last 7 days` : '',
    demo ? `  demo FinOps data: ${demo}` : '',
    '',
    'A token for summit-internal (admin, valid 24h):',
    `  export TOKEN=${token}`,
    '',
    'Try:',
    `  curl -s -X POST ${url}/v1/events -H "Authorization: Bearer $TOKEN" -H 'content-type: application/cloudevents-batch+json' \\`,
    `    -d '${batch}'`,
    `  curl -s "${url}/v1/events?limit=5" -H "Authorization: Bearer $TOKEN"`,
    `  curl -s ${url}/v1/quarantine -H "Authorization: Bearer $TOKEN"`,
    '',
    `Reports (open in a browser): ${url}/reports/summit-as-a-customer?token=${token}`,
    `API reference: ${url}/openapi.json · metrics: ${url}/metrics · stop with Ctrl-C`,
    '',
  ];
  console.log(lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n'));
}
