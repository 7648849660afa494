import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** Lints a file that is not on disk, as if it were at `path`, with the project's own config. */
async function lintAs(path: string, code: string): Promise<string[]> {
  const [result] = await new ESLint().lintText(code, { filePath: path });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('the boundary lint (eslint.config.js, dev/layers.js)', { timeout: 60_000 }, () => {
  it('refuses a lower layer importing a higher one', async () => {
    expect(await lintAs('kernel/warehouse/planted.ts', "import { buildServer } from '../../surfaces/http/index.ts';\nexport const x = buildServer;\n")).toContain('boundaries/element-types');
    expect(await lintAs('platform/ingest/planted.ts', "import { PACKS } from '../../packs/index.ts';\nexport const x = PACKS;\n")).toContain('boundaries/element-types');
  });

  it('refuses a pack reaching into another folder\'s internals instead of its index.ts', async () => {
    expect(await lintAs('packs/finops/planted.ts', "import { IngestPipeline } from '../../platform/ingest/pipeline.ts';\nexport const x = IngestPipeline;\n")).toContain('boundaries/entry-point');
  });

  it('refuses a pack\'s http/ folder using another pack\'s routes', async () => {
    expect(await lintAs('packs/finops/http/planted.ts', "import { usageRoutes } from '../../metering/http/usage-routes.ts';\nexport const x = usageRoutes;\n")).toContain('boundaries/element-types');
  });

  it('refuses Fastify below the HTTP surface', async () => {
    expect(await lintAs('platform/governance/planted.ts', "import type { FastifyRequest } from 'fastify';\nexport type X = FastifyRequest;\n")).toContain('no-restricted-imports');
  });

  it('refuses a service constructed outside the composition root', async () => {
    const code = "import { IngestPipeline } from '../../platform/ingest/index.ts';\nimport type { Warehouse } from '../../kernel/warehouse/index.ts';\nexport const f = (w: Warehouse) => new IngestPipeline(w);\n";
    expect(await lintAs('surfaces/cli/planted.ts', code)).toContain('no-restricted-syntax');
    expect(await lintAs('surfaces/compose/planted.ts', code)).toEqual([]);
  });

  it('refuses SQL on the warehouse itself above the platform: tenant data is read through a TenantScope', async () => {
    const raw = "import type { Warehouse } from '../../kernel/warehouse/index.ts';\nexport const f = (deps: { warehouse: Warehouse }) => deps.warehouse.query('SELECT * FROM events');\n";
    expect(await lintAs('packs/metering/planted.ts', raw)).toContain('no-restricted-syntax');
    expect(await lintAs('platform/ingest/planted.ts', raw)).toEqual([]);
    const scoped = "import { sql, type TenantScope } from '../../platform/tenancy/index.ts';\nexport const f = (scope: TenantScope) => scope.query(sql`SELECT * FROM ${scope.table('events')}`);\n";
    expect(await lintAs('packs/metering/planted.ts', scoped)).toEqual([]);
  });

  it('accepts the same imports where the layers allow them', async () => {
    expect(await lintAs('packs/finops/planted.ts', "import { IngestPipeline } from '../../platform/ingest/index.ts';\nexport const x = IngestPipeline;\n")).toEqual([]);
    expect(await lintAs('surfaces/http/planted.ts', "import { PACKS } from '../../packs/index.ts';\nexport const x = PACKS;\n")).toEqual([]);
    expect(await lintAs('packs/finops/http/planted.ts', "import type { FastifyInstance } from 'fastify';\nexport type X = FastifyInstance;\n")).toEqual([]);
  });
});
