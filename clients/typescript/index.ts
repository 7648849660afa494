/**
 * The CompanyOS platform API's TypeScript client: openapi-fetch, typed by the
 * paths openapi-typescript generated from surfaces/http/openapi.json (`./schema.ts`;
 * `npm run clients:generate` regenerates it). README.md beside this file shows
 * how to use it.
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.ts';

export type { components, operations, paths } from './schema.ts';

/** A CloudEvent as `POST /v1/events` takes it and `GET /v1/events` answers it; `data` may be any JSON value. */
export type CloudEvent = components['schemas']['CloudEvent'];
/** The body of every error answer. */
export type ApiErrorBody = components['schemas']['Error'];
/** A code of the error catalogue (`companyos errors`). */
export type ErrorCode = ApiErrorBody['code'];

/** The client: `GET`, `POST`, … of every path, with typed parameters, bodies and JSON answers. */
export type CompanyOsClient = Client<paths, 'application/json'>;

export interface CompanyOsClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the platform listens, e.g. `http://127.0.0.1:8080` (`companyos start` prints it). */
  baseUrl: string;
  /**
   * The bearer token every request carries (`companyos token`), or a function
   * asked for it before each request. Without it, send an `authorization`
   * header per request.
   */
  token?: string | (() => string | Promise<string>);
}

export function createCompanyOsClient(options: CompanyOsClientOptions): CompanyOsClient {
  const { baseUrl, token, ...rest } = options;
  const client = createClient<paths, 'application/json'>({ ...rest, baseUrl: baseUrl.replace(/\/+$/, '') });
  if (token !== undefined) {
    client.use({
      async onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${typeof token === 'function' ? await token() : token}`);
        return request;
      },
    });
  }
  return client;
}

/** An error answer: the catalogue `code` and `message` of the `Error` schema, with the HTTP status. */
export class CompanyOsApiError extends Error {
  override readonly name = 'CompanyOsApiError';
  constructor(
    readonly status: number,
    /** The catalogue code; `HTTP_ERROR` when the answer carried none (e.g. a proxy's). */
    readonly code: ErrorCode | 'HTTP_ERROR',
    message: string,
    /** The whole error body, when it was the `Error` schema (POLICY_DENIED adds `decision_id` and `reasons`). */
    readonly body?: ApiErrorBody,
  ) {
    super(message);
  }

  /** From what openapi-fetch returns for a non-2xx answer: its parsed body and the response. */
  static from(error: unknown, response: Response): CompanyOsApiError {
    if (isErrorBody(error)) return new CompanyOsApiError(response.status, error.code, error.message, error);
    const text = typeof error === 'string' && error ? error : response.statusText;
    return new CompanyOsApiError(response.status, 'HTTP_ERROR', `${response.status} ${text}`.trim());
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string' && typeof (value as { message?: unknown }).message === 'string';
}

/** What an openapi-fetch call resolves to: `data` on success, `error` otherwise. */
export type ApiResult<Data> = { data: Data; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/**
 * The success body of a call, or a thrown {@link CompanyOsApiError}:
 * `const page = await unwrap(client.GET('/v1/events', { params: { query: { limit: 10 } } }))`.
 * For answers with a body (every operation but a 204 has one); an empty one throws too.
 */
export async function unwrap<Data>(call: Promise<ApiResult<Data>>): Promise<NonNullable<Data>> {
  const result = await call;
  if (!result.response.ok || result.data == null) throw CompanyOsApiError.from(result.error, result.response);
  return result.data;
}
