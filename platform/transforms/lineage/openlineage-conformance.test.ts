import { MODEL_GENERATORS } from '../../../packs/index.ts';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../ingest/index.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { cloudEvent } from '../../../test/support/events.ts';
import { buildProject } from '../build-project.ts';
import type { RunEvent } from './openlineage.ts';

const SCHEMAS = new URL('../../../test/data/openlineage/', import.meta.url);
const CORE = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';
const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const RUNNABLE = fileURLToPath(new URL('../fixtures/runnable/', import.meta.url));

/** The core schema and every facet schema of test/data/openlineage, by `$id`; a facet's `$defs/<Name>` is its definition. */
async function openLineageSchemas() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const facetDefinitions = new Set<string>();
  for (const file of (await readdir(SCHEMAS)).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(await readFile(new URL(file, SCHEMAS), 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    if (file !== 'OpenLineage.json') facetDefinitions.add(`${schema.$id}#/$defs/${file.replace(/\.json$/, '')}`);
  }
  return { ajv, facetDefinitions };
}

/** Every way an event breaks the core schema, a facet's own schema, or names a facet schema that is not the current one. */
function violations(event: RunEvent, { ajv, facetDefinitions }: Awaited<ReturnType<typeof openLineageSchemas>>): string[] {
  const found: string[] = [];
  const where = `${event.job.name} ${event.eventType}`;
  const core = ajv.getSchema(`${CORE}#/$defs/RunEvent`)!;
  if (!core(event)) found.push(...core.errors!.map((e) => `${where}: ${e.instancePath} ${e.message}`));
  const facetSets: [string, Record<string, object> | undefined][] = [
    ['run', event.run.facets],
    ['job', event.job.facets],
    ...event.inputs.map((d): [string, Record<string, object> | undefined] => [`input ${d.name}`, d.facets]),
    ...event.outputs.flatMap((d): [string, Record<string, object> | undefined][] => [[`output ${d.name}`, d.facets], [`output ${d.name} outputFacets`, d.outputFacets]]),
  ];
  for (const [place, facets] of facetSets) {
    for (const [name, facet] of Object.entries(facets ?? {})) {
      const url = (facet as { _schemaURL?: string })._schemaURL ?? '';
      if (!facetDefinitions.has(url)) {
        found.push(`${where}: ${place} facet ${name} declares ${url}, not a current facet schema`);
        continue;
      }
      const validate = ajv.getSchema(url)!;
      if (!validate(facet)) found.push(...validate.errors!.map((e) => `${where}: ${place} facet ${name}${e.instancePath} ${e.message}`));
    }
  }
  return found;
}

describe.each(TEST_ENGINES)('stored OpenLineage run events on %s', (engine) => {
  const db = useWarehouse(engine);

  it('validate against the OpenLineage 2-0-2 core schema and the current schema of each facet they carry', { timeout: 180_000 }, async () => {
    await new IngestPipeline(db.warehouse).ingest([cloudEvent({ id: 'a' }), cloudEvent({ id: 'b', tenantid: 'globex' })], { channel: 'file', submitter: 'acme' });
    const build = (modelsDir: string) => buildProject(db.warehouse, { modelsDir, generators: MODEL_GENERATORS, targetDir: `${db.harness.dataDir}/target`, tenant: 'acme', trigger: 'cli' });
    await build(MODELS);
    await build(RUNNABLE);
    const stored = (await db.warehouse.query<{ event: string }>('SELECT event FROM lineage_runs')).map((r) => JSON.parse(r.event) as RunEvent);
    const facetNames = new Set(stored.flatMap((e) => [
      ...Object.keys(e.run.facets), ...Object.keys(e.job.facets),
      ...e.outputs.flatMap((d) => [...Object.keys(d.facets ?? {}), ...Object.keys(d.outputFacets ?? {})]),
    ]));
    // Every facet the recorder emits is exercised: a failed and a skipped model bring errorMessage.
    expect([...facetNames].sort()).toEqual(['columnLineage', 'dataQualityAssertions', 'errorMessage', 'jobType', 'outputStatistics', 'parent', 'schema', 'sql']);
    const schemas = await openLineageSchemas();
    expect(stored.flatMap((event) => violations(event, schemas))).toEqual([]);
  });
});
