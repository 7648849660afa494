/** Sales regions by ISO 3166-1 country: what routing rules call `region`. */
const REGIONS: Record<string, readonly string[]> = {
  na: ['US', 'CA'],
  latam: ['MX', 'BR', 'AR', 'CL', 'CO', 'PE', 'UY', 'EC', 'CR', 'PA', 'DO', 'GT'],
  apac: ['AU', 'NZ', 'JP', 'KR', 'CN', 'HK', 'TW', 'SG', 'MY', 'ID', 'TH', 'VN', 'PH', 'IN'],
};
const BY_COUNTRY = new Map(Object.entries(REGIONS).flatMap(([region, countries]) => countries.map((c) => [c, region] as const)));

/** The region of a country: na, latam, apac, else emea (Europe, the Middle East and Africa); undefined without a country. */
export function regionOf(country: string | null | undefined): string | undefined {
  if (!country) return undefined;
  return BY_COUNTRY.get(country.toUpperCase()) ?? 'emea';
}
