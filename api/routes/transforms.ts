import { resolve } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BuildInProgressError, compileProject, CompileError, listBuildRuns, RAW_SOURCES, selectModels, SelectorError,
  type BuildGate, type BuildSlot, type CompiledProject, type LineageSink, type RunMode,
} from '../../transforms/index.ts';
import type { Warehouse } from '../../warehouse/index.ts';
import { ApiError } from '../errors.ts';
import { errorReplies } from '../route-schemas.ts';
import { ownResource } from '../policy/own-resource.ts';

export interface TransformRouteDeps {
  warehouse: Warehouse;
  modelsDir: string;
  targetDir: string;
  /** The tenant that operates the platform; only its admins and operators build. */
  operatorTenant: string;
  /** Shared with the in-process schedule, so that builds never overlap. */
  gate: BuildGate;
  lineageSink?: LineageSink;
}

type BuildBody = { select?: string[]; exclude?: string[]; full_refresh?: boolean; mode?: RunMode; trigger?: 'api' | 'schedule' };

/** What a build request was checked against before its receipt: the compiled project and the build slot it holds. */
const prepared = new WeakMap<FastifyRequest, { project: CompiledProject; slot: BuildSlot }>();

/** Builds run in the platform process (DuckDB's one writer), one at a time. */
export function transformRoutes(app: FastifyInstance, deps: TransformRouteDeps): void {
  app.post<{ Body: BuildBody }>(
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
            mode: { type: 'string', enum: ['build', 'run', 'test', 'seed'], default: 'build', description: "dbt's commands: build, run (no tests), test (only tests), seed" },
            trigger: { type: 'string', enum: ['api', 'schedule'], description: 'recorded in build_runs; `companyos schedule` sends schedule' },
          },
        },
        response: { ...errorReplies, 409: { $ref: 'Error#' } },
      },
      config: {
        gate: {
          privileged: true,
          action: 'run_transforms',
          // A build rewrites every tenant's facts: it is the platform operator's, and cannot be undone.
          receipt: 'before',
          resource: (request) => ({ id: 'warehouse', tenant: deps.operatorTenant, kind: 'Warehouse', data_class: 'confidential', region: request.principal!.region }),
          // Models that do not compile, an unknown selector or a build already running refuse the call before its receipt.
          ready: async (request) => {
            const body = (request.body ?? {}) as BuildBody;
            const project = await asApiErrors(() => compileProject(resolve(deps.modelsDir), RAW_SOURCES));
            await asApiErrors(async () => selectModels(project, body.select ?? [], body.exclude ?? []));
            const slot = await asApiErrors(async () => deps.gate.reserve());
            prepared.set(request, { project, slot });
          },
        },
      },
      // The slot goes back when the call ends without building (its receipt could not be written).
      onResponse: async (request) => prepared.get(request)?.slot.release(),
    },
    async (request) => {
      // Cedar decided run_transforms on the operator tenant's warehouse: its admins and operators only.
      const principal = request.principal!;
      const { project, slot } = prepared.get(request)!;
      return asApiErrors(() =>
        deps.gate.run(deps.warehouse, {
          modelsDir: deps.modelsDir,
          targetDir: deps.targetDir,
          select: request.body?.select,
          exclude: request.body?.exclude,
          fullRefresh: request.body?.full_refresh,
          mode: request.body?.mode,
          tenant: principal.tenant,
          trigger: request.body?.trigger ?? 'api',
          lineageSink: deps.lineageSink,
          project,
        }, slot),
      );
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/v1/transforms/runs',
    {
      schema: {
        summary: "The caller's tenant's latest builds (CLI, API and schedule), newest first",
        tags: ['transforms'],
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 20 } } },
        response: errorReplies,
      },
      config: { gate: { action: 'read', resource: ownResource('build-runs', 'BuildRuns') } },
    },
    async (request) => ({ runs: await listBuildRuns(deps.warehouse, request.principal!.tenant, request.query.limit ?? 20) }),
  );
}

async function asApiErrors<T>(act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (error) {
    if (error instanceof CompileError) throw new ApiError('MODELS_INVALID', error.message);
    if (error instanceof SelectorError) throw new ApiError('SELECTOR_UNKNOWN', `The ${error.message}.`);
    if (error instanceof BuildInProgressError) throw new ApiError('BUILD_IN_PROGRESS', `${error.message}.`);
    throw error;
  }
}
