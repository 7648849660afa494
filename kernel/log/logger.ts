/** What a service needs of a logger: structured fields, then a sentence (pino's shape, so a surface passes its own). */
export interface Logger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}
