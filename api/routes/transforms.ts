import type { FastifyInstance } from 'fastify';
import { buildProject, CompileError, type BuildReport } from '../../transforms/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { hasAnyRole } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { errorReplies } from '../route-schemas.ts';

export interface TransformRouteDeps {
  warehouse: Warehouse;
  modelsDir: string;
  targetDir: string;
  /** The tenant that operates the platform; only its admins and operators build. */
  operatorTenant: string;
}

/** Builds run in the platform process (DuckDB's one writer), one at a time. */
export function transformRoutes(app: FastifyInstance, deps: TransformRouteDeps): void {
  let running: Promise<BuildReport> | undefined;
  app.post<{ Body: { select?: string[]; exclude?: string[]; full_refresh?: boolean } }>(
    '/v1/transforms/build',
    {
      schema: {
        summary: 'Build the SQL models (platform operators only)',
        tags: ['transforms'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            select: { type: 'array', items: { type: 'string' } },
            exclude: { type: 'array', items: { type: 'string' } },
            full_refresh: { type: 'boolean' },
          },
        },
        response: { ...errorReplies, 409: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const principal = request.principal!;
      if (principal.tenant !== deps.operatorTenant || !hasAnyRole(principal, ['admin', 'operator'])) {
        throw new ApiError('ROLE_FORBIDDEN', `Building models needs an admin or operator token of ${deps.operatorTenant}.`);
      }
      if (running) throw new ApiError('BUILD_IN_PROGRESS');
      running = buildProject(deps.warehouse, {
        modelsDir: deps.modelsDir,
        targetDir: deps.targetDir,
        select: request.body?.select,
        exclude: request.body?.exclude,
        fullRefresh: request.body?.full_refresh,
      });
      try {
        return await running;
      } catch (error) {
        if (error instanceof CompileError) throw new ApiError('MODELS_INVALID', error.message);
        throw error;
      } finally {
        running = undefined;
      }
    },
  );
}
