import type {} from '@fastify/swagger';
import type { Principal } from '../../../platform/identity/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; set by the auth hook on every non-public route. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Reachable without a token (health, metrics, OpenAPI). */
    public?: boolean;
    /** Opened in a browser: signed in by a session cookie (`/auth/login`), else by an `Authorization` header; never a token in the URL. */
    browser?: boolean;
  }
}
