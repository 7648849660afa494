import { ERROR_CATALOGUE, type ErrorCode, type ErrorKind } from './error-catalogue.ts';

/**
 * A failure a service reports to whoever called it: a catalogue code, its kind,
 * the catalogue sentence (plus detail) and fields some codes add (a decision id,
 * the reasons, the current version). Thrown below the surfaces; only a surface
 * turns it into its own terms (an HTTP status, a CLI exit).
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly kind: ErrorKind;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    /** More fields for the caller (a decision id, the reasons). */
    readonly fields?: Record<string, unknown>,
  ) {
    const [kind, sentence] = ERROR_CATALOGUE[code];
    super(detail ? `${sentence} ${detail}` : sentence);
    this.kind = kind;
  }
}
