import { API_ERRORS } from '../kit/index.ts';
import type { ContractOperation } from './contract-operations.ts';
import { check } from './schema-checks.ts';

/** A reply as light-my-request gives it. */
export interface ContractReply {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** What is wrong with a reply under the contract: an undocumented status, a body its schema refuses; empty when nothing is. */
export function replyProblems(op: ContractOperation, reply: ContractReply): string[] {
  const status = String(reply.statusCode);
  const documented = op.responses[status] ?? op.responses[`${status[0]}XX`] ?? op.responses.default;
  if (!documented) return [`status ${status} is not documented (${Object.keys(op.responses).join(', ')})`];
  const mediaType = String(reply.headers['content-type'] ?? '').split(';')[0]!.trim();
  const entries = Object.entries(documented);
  if (!entries.length) return reply.body.length ? [`status ${status} documents no body, got ${mediaType}`] : [];
  const match = entries.find(([type]) => type.split(';')[0]!.trim() === mediaType) ?? entries.find(([type]) => type === '*/*');
  if (!match) return [`status ${status} answered ${mediaType || 'no content type'}, documented ${entries.map(([t]) => t).join(', ')}`];
  const [type, schema] = match;
  if (!schema) return [];
  let body: unknown = reply.body;
  if (/json/.test(type)) {
    try {
      body = JSON.parse(reply.body);
    } catch {
      return [`status ${status} body is not JSON: ${reply.body.slice(0, 80)}`];
    }
  }
  const problem = check(schema, body);
  return problem ? [`status ${status} body breaks its schema: ${problem} — ${reply.body.slice(0, 200)}`] : [];
}

/** What is wrong with the answer to a request that broke the contract: it must be a 4xx with a catalogue code. */
export function refusalProblems(reply: ContractReply): string[] {
  if (reply.statusCode < 400 || reply.statusCode >= 500) return [`answered ${reply.statusCode}, not a 4xx`];
  let code: unknown;
  try {
    code = (JSON.parse(reply.body) as { code?: unknown }).code;
  } catch {
    return [`4xx body is not JSON: ${reply.body.slice(0, 80)}`];
  }
  return typeof code === 'string' && code in API_ERRORS ? [] : [`4xx code ${String(code)} is not in the catalogue`];
}
