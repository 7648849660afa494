import { readFileSync } from 'node:fs';

/** The API's version in its OpenAPI document: the package's, so the served and the committed document agree however the server was started. */
export const API_VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
