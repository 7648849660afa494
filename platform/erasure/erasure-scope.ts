import { DomainError } from '../../kernel/errors/index.ts';

/** Where an erasure looks for the subject. */
export const ERASABLE_ARTIFACTS = ['raw-events', 'quarantine', 'models', 'exports', 'evidence', 'receipt-disclosures', 'backups'] as const;
export type ErasableArtifact = (typeof ERASABLE_ARTIFACTS)[number];

export interface ErasureScope {
  /**
   * The subject: the CloudEvents `subject` of its events; in free text (quarantined payloads,
   * evidence, receipts' hidden fields, export files) anything that contains it.
   */
  subject: string;
  artifacts: ErasableArtifact[];
}

/** Short ids would match inside unrelated text. */
const MIN_SUBJECT = 6;
const MAX_SUBJECT = 256;

/** `{"subject": "…", "artifacts": [...]}`; every artifact type when `artifacts` is absent. */
export function parseErasureScope(input: unknown): ErasureScope {
  const invalid = (why: string) => new DomainError('WORKFLOW_PARAMS_INVALID', `erasure: ${why}`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('params is an object: {"subject": "<id>", "artifacts": [...]}.');
  const { subject, artifacts, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalid(`unknown parameter(s) ${Object.keys(rest).slice(0, 5).join(', ')}.`);
  if (typeof subject !== 'string' || subject.trim() !== subject || subject.length < MIN_SUBJECT || subject.length > MAX_SUBJECT || [...subject].some((c) => c.charCodeAt(0) < 0x20)) {
    throw invalid(`subject is the subject's id, ${MIN_SUBJECT}–${MAX_SUBJECT} characters without control characters or surrounding spaces (a shorter one would match inside unrelated text).`);
  }
  if (artifacts === undefined) return { subject, artifacts: [...ERASABLE_ARTIFACTS] };
  if (!Array.isArray(artifacts) || artifacts.length === 0 || !artifacts.every((a) => (ERASABLE_ARTIFACTS as readonly unknown[]).includes(a))) {
    throw invalid(`artifacts is a non-empty list of ${ERASABLE_ARTIFACTS.join(', ')}.`);
  }
  const chosen = new Set(artifacts as ErasableArtifact[]);
  if (chosen.has('raw-events') && !chosen.has('models')) throw invalid('erasing raw-events rebuilds the models from them: include models.');
  return { subject, artifacts: ERASABLE_ARTIFACTS.filter((a) => chosen.has(a)) };
}
