/** Evidence's value formats: `usd` (money from decimal strings), `pct`, `num`, and plain. */
export type ValueFormat = 'usd' | 'pct' | 'num' | 'id' | undefined;

const EXACT = /^-?\d+(\.\d+)?$/;

/** Money arrives as decimal strings: rounded to cents by string arithmetic, never through a float. */
function cents(value: string): string {
  const [whole, fraction = ''] = value.replace('-', '').split('.');
  const padded = `${fraction}000`;
  let units = BigInt(`${whole}${padded.slice(0, 2)}`);
  if (Number(padded[2]) >= 5) units += 1n;
  const text = units.toString().padStart(3, '0');
  const integer = text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value.startsWith('-') && units !== 0n ? '-' : ''}$${integer}.${text.slice(-2)}`;
}

export function formatValue(value: unknown, format: ValueFormat): string {
  if (value === null || value === undefined) return '–';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  }
  const text = String(value);
  switch (format) {
    case 'usd':
      return EXACT.test(text) ? cents(text) : text;
    case 'pct':
      return Number.isFinite(Number(text)) ? `${(Number(text) * 100).toFixed(1)}%` : text;
    case 'num':
      return Number.isFinite(Number(text)) ? Number(text).toLocaleString('en-US', { maximumFractionDigits: 2 }) : text;
    default:
      return text;
  }
}
