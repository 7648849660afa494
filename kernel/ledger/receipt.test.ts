import { describe, expect, it } from 'vitest';
import { revealDisclosures } from './disclosure.ts';
import { signEnvelope } from './dsse.ts';
import { LedgerVerificationError } from './errors.ts';
import { generateLedgerKey } from './keys.ts';
import { buildReceipt, parseReceiptStatement, readReceipt, RECEIPT_PAYLOAD_TYPE, type ReceiptInput } from './receipt.ts';

const key = generateLedgerKey('companyos-ledger');
const hex = (c: string): string => c.repeat(64);
const input: ReceiptInput = {
  receiptId: 'r-0001',
  tenant: 'acme',
  actor: 'user:alice',
  action: 'payout.approve',
  target: { name: 'payout/po-77', digest: hex('a') },
  decisionId: 'd-9f2',
  bundleRevision: 'rev-12',
  approvers: ['user:bob', 'user:carol'],
  evidenceRefs: [{ id: 'ev-1', sha256: hex('b') }],
  time: '2025-03-01T12:00:00.000Z',
  hidden: { rationale: 'Vendor invoice INV-3341 for 1250.00 EUR, checked by finance', targetName: 'Payout to Jane Roe' },
};

function numbersIn(value: unknown): number {
  if (typeof value === 'number') return 1;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + numbersIn(v), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce((n: number, v) => n + numbersIn(v), 0);
  return 0;
}

describe('receipts', () => {
  it('signs an in-toto Statement v1 with the receipt predicate', () => {
    const { envelope, statementBytes, disclosures } = buildReceipt(input, key);
    expect(envelope.payloadType).toBe(RECEIPT_PAYLOAD_TYPE);
    expect(Buffer.from(envelope.payload, 'base64').equals(statementBytes)).toBe(true);
    const statement = readReceipt(envelope, [key]);
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'payout/po-77', digest: { sha256: hex('a') } }],
      predicateType: 'https://companyos.dev/receipt/v1',
      predicate: {
        receiptId: 'r-0001',
        action: 'payout.approve',
        tenant: 'acme',
        actor: 'user:alice',
        approvers: ['user:bob', 'user:carol'],
        evidenceRefs: [{ id: 'ev-1', sha256: hex('b') }],
        decisionId: 'd-9f2',
        bundleRevision: 'rev-12',
        time: '2025-03-01T12:00:00.000Z',
        _sd_alg: 'sha-256',
        _sd: expect.any(Array),
      },
    });
    expect(numbersIn(statement)).toBe(0);
    expect(disclosures).toHaveLength(2);
    expect(statement.predicate._sd).toEqual([...statement.predicate._sd].sort());
    expect(revealDisclosures(statement.predicate._sd, disclosures)).toEqual(input.hidden);
  });

  it('keeps hidden fields out of the signed statement', () => {
    const { statementBytes } = buildReceipt(input, key);
    const text = statementBytes.toString();
    expect(text).not.toContain('INV-3341');
    expect(text).not.toContain('Jane Roe');
    expect(text).not.toContain('rationale');
    const plain = buildReceipt({ ...input, hidden: undefined }, key);
    expect(plain.disclosures).toEqual([]);
    expect(readReceipt(plain.envelope, [key]).predicate._sd).toEqual([]);
  });

  it('refuses malformed input', () => {
    expect(() => buildReceipt({ ...input, target: { name: 'x', digest: 'abc' } }, key)).toThrow(TypeError);
    expect(() => buildReceipt({ ...input, time: 'yesterday' }, key)).toThrow(TypeError);
    expect(() => buildReceipt({ ...input, tenant: '' }, key)).toThrow(TypeError);
    expect(() => buildReceipt({ ...input, evidenceRefs: [{ id: 'e', sha256: hex('B') }] }, key)).toThrow(TypeError);
  });

  it('rejects other payload types, unknown keys and malformed statements', () => {
    const { envelope, statementBytes } = buildReceipt(input, key);
    expect(() => readReceipt(envelope, [generateLedgerKey('companyos-ledger')])).toThrow(/unknown key/);
    const wrongType = signEnvelope('application/json', statementBytes, key);
    expect(() => readReceipt(wrongType, [key])).toThrow(LedgerVerificationError);
    const statement = JSON.parse(statementBytes.toString());
    const broken = (mutate: (s: typeof statement) => void): Buffer => {
      const copy = structuredClone(statement);
      mutate(copy);
      return Buffer.from(JSON.stringify(copy));
    };
    expect(() => parseReceiptStatement(broken((s) => (s.predicate.tenant = 7)))).toThrow(/predicate.tenant is not a string/);
    expect(() => parseReceiptStatement(broken((s) => (s.subject = [])))).toThrow(/subject/);
    expect(() => parseReceiptStatement(broken((s) => (s._type = 'x')))).toThrow(/_type/);
    expect(() => parseReceiptStatement(broken((s) => delete s.predicate._sd))).toThrow(/_sd/);
    expect(() => parseReceiptStatement(Buffer.from([0xff]))).toThrow(/UTF-8 JSON/);
  });
});
