/**
 * OpenLineage RunEvents (spec 2-0-2) and the facets the runner emits, as plain
 * objects: https://openlineage.io/spec/2-0-2/OpenLineage.json. Each facet names
 * its current versioned schema (OpenLineage spec/facets at 8f02abfb, the schemas
 * in test/data/openlineage/ that openlineage-conformance.test.ts validates against).
 */
export const PRODUCER = 'https://github.com/companyos/companyos/tree/main/transforms';
const RUN_EVENT_SCHEMA = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

export type RunEventType = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';

export interface Dataset {
  namespace: string;
  name: string;
  facets?: Record<string, object>;
  outputFacets?: Record<string, object>;
}

export interface JobRef {
  namespace: string;
  name: string;
}

export interface RunEvent {
  eventType: RunEventType;
  eventTime: string;
  run: { runId: string; facets: Record<string, object> };
  job: JobRef & { facets: Record<string, object> };
  inputs: Dataset[];
  outputs: Dataset[];
  producer: string;
  schemaURL: string;
}

export function runEvent(parts: {
  eventType: RunEventType;
  eventTime: Date;
  runId: string;
  job: JobRef;
  runFacets?: Record<string, object>;
  jobFacets?: Record<string, object>;
  inputs?: Dataset[];
  outputs?: Dataset[];
}): RunEvent {
  return {
    eventType: parts.eventType,
    eventTime: parts.eventTime.toISOString(),
    run: { runId: parts.runId, facets: parts.runFacets ?? {} },
    job: { ...parts.job, facets: parts.jobFacets ?? {} },
    inputs: parts.inputs ?? [],
    outputs: parts.outputs ?? [],
    producer: PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA,
  };
}

const facet = (schema: string, body: object) => ({
  _producer: PRODUCER,
  _schemaURL: `https://openlineage.io/spec/facets/${schema}`,
  ...body,
});

export const facets = {
  /** The build is both the parent and the root of a model's run. */
  parent: (runId: string, job: JobRef) =>
    facet('1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet', { run: { runId }, job, root: { run: { runId }, job } }),
  jobType: (jobType: 'MODEL' | 'JOB') =>
    facet('2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', { processingType: 'BATCH', integration: 'COMPANYOS', jobType }),
  sql: (query: string) => facet('1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet', { query }),
  schema: (fields: { name: string; type: string }[]) => facet('1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet', { fields }),
  columnLineage: (fields: ColumnLineage) => facet('1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet', { fields }),
  dataQualityAssertions: (assertions: { assertion: string; success: boolean; column?: string }[]) =>
    facet('1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet', { assertions }),
  outputStatistics: (rowCount: number) =>
    facet('1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet', { rowCount }),
  errorMessage: (message: string) =>
    facet('1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet', { message, programmingLanguage: 'SQL' }),
};

export interface InputField {
  namespace: string;
  name: string;
  field: string;
  transformations: { type: 'DIRECT'; subtype: 'IDENTITY' | 'TRANSFORMATION' | 'AGGREGATION' }[];
}

/** columnLineage `fields`: output column → the input columns it is computed from. */
export type ColumnLineage = Record<string, { inputFields: InputField[] }>;
