import { readFile } from 'node:fs/promises';
import { parseVerifierKey, type LedgerKey } from '../../../kernel/ledger/index.ts';

/** The verifier keys `--key` options name: each a key (name+keyid+base64) or a file of them, one per line. */
export async function readVerifierKeys(values: readonly string[]): Promise<LedgerKey[]> {
  return (await Promise.all(values.map(readKeys))).flat();
}

async function readKeys(value: string): Promise<LedgerKey[]> {
  const text = value.includes('+') && !value.includes('/') ? value : await readFile(value, 'utf8').catch((error: Error) => {
    throw new Error(`--key ${value}: not a verifier key and not a readable file (${error.message}).`);
  });
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  if (lines.length === 0) throw new Error(`--key ${value}: holds no verifier key.`);
  return lines.map((line, i) => {
    try {
      return parseVerifierKey(line);
    } catch (error) {
      throw new Error(`--key ${value}, line ${i + 1}: ${(error as Error).message}`, { cause: error });
    }
  });
}
