export { sha256File } from '../../kernel/files/index.ts';

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
