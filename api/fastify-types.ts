import type {} from '@fastify/swagger';
import type { Principal } from './auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; set by the auth hook on every non-public route. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Reachable without a token (health, metrics, OpenAPI). */
    public?: boolean;
  }
}
