export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
