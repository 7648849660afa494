import { resolve } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BuildInProgressError, compileProject, CompileError, DEFAULT_THREADS, listBuildRuns, MAX_THREADS, RAW_SOURCES, selectModels, SelectorError,
  type BuildGate, type BuildSlot, type CompiledProject, type LineageSink, type RunMode,
} from '../../../platform/transforms/index.ts';
import type { Warehouse } from '../../../kernel/warehouse/index.ts';
import { DomainError } from '../../../kernel/errors/index.ts';
import { errorResponses } from '../kit/index.ts';
import { receiptHeader, timestamp } from '../kit/index.ts';
import { ownResource } from '../kit/index.ts';
import { MODEL_GENERATORS } from '../../../packs/index.ts';

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

const testResultSchema = {
  type: 'object',
  required: ['name', 'status', 'failures', 'message', 'sql'],
  properties: {
    name: { type: 'string' },
    status: { type: 'string', enum: ['pass', 'warn', 'fail', 'error'] },
    failures: { type: 'integer', description: 'Failing rows.' },
    message: { type: 'string' },
    sql: { type: 'string', description: 'The query that counted the failures, its parameters inlined.' },
  },
} as const;

const modelResultSchema = {
  type: 'object',
  required: ['model', 'status', 'message', 'reused', 'seconds', 'rows', 'sql', 'tests'],
  properties: {
    model: { type: 'string' },
    status: { type: 'string', enum: ['success', 'error', 'skipped'] },
    message: { type: 'string', description: 'Why it failed, or which failed parent it was skipped for.' },
    reused: {
      type: 'boolean',
      description: 'Left as it was (status success, nothing run): its definition and what it reads are as the build `message` names had them.',
    },
    seconds: { type: 'number' },
    rows: { type: ['integer', 'null'], description: 'Rows in the relation after the run; null for views and models not built.' },
    sql: { type: 'string', description: 'The SQL it ran.' },
    tests: { type: 'array', items: testResultSchema, description: 'Its column tests, run after it was built.' },
  },
} as const;

const buildReportSchema = {
  type: 'object',
  description: 'The build: each selected model in run order with its outcome and tests. A model that failed does not fail the call: read `status`.',
  required: ['run_id', 'results', 'selected', 'total', 'seconds', 'lineage_failures'],
  properties: {
    run_id: { type: 'string', description: 'The build run (build_runs, lineage).' },
    results: { type: 'array', items: modelResultSchema },
    selected: { type: 'integer', description: 'Models run.' },
    total: { type: 'integer', description: 'Models in the project.' },
    seconds: { type: 'number' },
    lineage_failures: { type: 'array', items: { type: 'string' }, description: 'OpenLineage events the sink refused; the build itself is not failed for them.' },
  },
} as const;

const buildRunsSchema = {
  type: 'object',
  description: "The caller's tenant's latest builds, newest first.",
  required: ['runs'],
  properties: {
    runs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['run_id', 'trigger', 'started_at', 'finished_at', 'status', 'models_ok', 'models_error', 'models_skipped', 'message'],
        properties: {
          run_id: { type: 'string' },
          trigger: { type: 'string', enum: ['cli', 'api', 'schedule', 'restore', 'erasure'] },
          started_at: timestamp,
          finished_at: timestamp,
          status: { type: 'string', enum: ['success', 'error'] },
          models_ok: { type: 'integer' },
          models_error: { type: 'integer' },
          models_skipped: { type: 'integer' },
          message: { type: 'string', description: 'The failed models and why; empty when none failed.' },
        },
      },
    },
  },
} as const;

type BuildBody = { select?: string[]; exclude?: string[]; full_refresh?: boolean; mode?: RunMode; threads?: number; trigger?: 'api' | 'schedule' };

/** What a build request was checked against before its receipt: the compiled project and the build slot it holds. */
const prepared = new WeakMap<FastifyRequest, { project: CompiledProject; slot: BuildSlot }>();

/** Builds run in the platform process (DuckDB's one writer), one at a time. */
export function transformRoutes(app: FastifyInstance, deps: TransformRouteDeps): void {
  app.post<{ Body: BuildBody }>(
    '/v1/transforms/build',
    {
      schema: {
        operationId: 'buildModels',
        summary: 'Build the SQL models (platform operators only)',
        description:
          'Compiles, runs and tests the SQL models (all, or those `select`ed and not `exclude`d) and answers when the build is done. ' +
          'Privileged and receipted before it starts (admins and operators of the platform operator\'s tenant): models that do not compile, an unknown selector ' +
          'or a build already running are refused first (400 MODELS_INVALID, 400 SELECTOR_UNKNOWN, 409 BUILD_IN_PROGRESS), with no receipt.',
        tags: ['transforms'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            select: { type: 'array', items: { type: 'string' }, description: 'dbt-style selectors of the models to run (default: all), e.g. +tag:finops.' },
            exclude: { type: 'array', items: { type: 'string' }, description: 'Selectors of models to leave out.' },
            full_refresh: { type: 'boolean', description: 'Rebuild incremental models from scratch.' },
            mode: { type: 'string', enum: ['build', 'run', 'test', 'seed'], default: 'build', description: "dbt's commands: build, run (no tests), test (only tests), seed" },
            threads: {
              type: 'integer', minimum: 1, maximum: MAX_THREADS, default: DEFAULT_THREADS,
              description: 'How many models run at once, each once its parents are built.',
            },
            trigger: { type: 'string', enum: ['api', 'schedule'], description: 'recorded in build_runs; `companyos schedule` sends schedule' },
          },
          examples: [{ select: ['+tag:finops'], mode: 'build' }],
        },
        response: { 200: { ...buildReportSchema, headers: receiptHeader }, ...errorResponses(409) },
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
            const project = await asApiErrors(() => compileProject(resolve(deps.modelsDir), RAW_SOURCES, MODEL_GENERATORS));
            await asApiErrors(async () => selectModels(project, body.select ?? [], body.exclude ?? []));
            const slot = await asApiErrors(async () => deps.gate.reserve());
            prepared.set(request, { project, slot });
          },
        },
      },
      // The slot goes back when the call ends without building (its receipt could not be written).
      onResponse: async (request) => {
        await prepared.get(request)?.slot.release();
      },
    },
    async (request) => {
      // Cedar decided run_transforms on the operator tenant's warehouse: its admins and operators only.
      const principal = request.principal!;
      const { project, slot } = prepared.get(request)!;
      return asApiErrors(() =>
        deps.gate.run(deps.warehouse, {
          modelsDir: deps.modelsDir,
          generators: MODEL_GENERATORS,
          targetDir: deps.targetDir,
          select: request.body?.select,
          exclude: request.body?.exclude,
          fullRefresh: request.body?.full_refresh,
          mode: request.body?.mode,
          threads: request.body?.threads,
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
        operationId: 'listBuildRuns',
        summary: "The caller's tenant's latest builds (CLI, API and schedule), newest first",
        description: 'The build_runs of the caller\'s tenant: when, how started, and how many models succeeded, failed or were skipped. Any role of the tenant may read them (decided, not receipted).',
        tags: ['transforms'],
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 20, description: 'At most this many runs.' } } },
        response: { 200: buildRunsSchema },
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
    if (error instanceof CompileError) throw new DomainError('MODELS_INVALID', error.message);
    if (error instanceof SelectorError) throw new DomainError('SELECTOR_UNKNOWN', `The ${error.message}.`);
    if (error instanceof BuildInProgressError) throw new DomainError('BUILD_IN_PROGRESS', `${error.message}.`);
    throw error;
  }
}
