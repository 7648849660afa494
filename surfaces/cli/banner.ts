import type { Warehouse } from '../../kernel/warehouse/index.ts';
import type { PlatformConfig } from './kit/index.ts';

export interface BannerFacts {
  url: string;
  config: PlatformConfig;
  warehouse: Warehouse;
  seeded: number;
  /** What the FinOps demo seeding did, when it ran. */
  demo?: string;
  token: string;
  /** How the report pages are signed in to: the configured identity providers, or a one-use local development code. */
  reports: { providers: string[]; localCode?: string };
}

/** What a newcomer needs after `npm start`: where it runs, a token, and three requests to try. */
export function printBanner({ url, warehouse, seeded, demo, token, reports }: BannerFacts): void {
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
    ...reportLines(url, reports),
    `API reference: ${url}/openapi.json · metrics: ${url}/metrics · stop with Ctrl-C`,
    '',
  ];
  console.log(lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n'));
}

function reportLines(url: string, reports: BannerFacts['reports']): string[] {
  if (reports.providers.length) return [`Reports (open in a browser; sign in through ${reports.providers.join(', ')}): ${url}/reports`];
  if (!reports.localCode) return ['Reports: no identity provider is configured (COMPANYOS_IDENTITY_PROVIDERS), and local sign-in is off in prod.'];
  return [
    'Reports, LOCAL DEVELOPMENT SIGN-IN (no identity provider is configured; the link signs in once, within 24h, as a summit-internal admin):',
    `  ${url}/auth/local?code=${reports.localCode}`,
    '  For people: point COMPANYOS_IDENTITY_PROVIDERS at your company\'s OIDC provider (platform/identity/README.md).',
  ];
}
