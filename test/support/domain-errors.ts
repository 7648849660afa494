import { expect } from 'vitest';
import { DomainError } from '../../kernel/errors/index.ts';

/** The code and sentence of the DomainError `work` fails with (and a failed expectation when it does not fail with one). */
export async function domainErrorOf(work: Promise<unknown>): Promise<[string, string]> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return [(error as DomainError).code, (error as DomainError).message];
}
