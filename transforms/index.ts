export { compileProject, CompileError, type CompiledProject, type Sources } from './compile-project.ts';
export { parseModelFile, MATERIALIZATIONS, GENERIC_TESTS, type ModelFile, type ModelConfig, type ColumnTest, type Materialization } from './model-file.ts';
export { selectModels } from './select-models.ts';
export { runProject, type ModelResult, type ModelStatus, type RunOptions } from './run-project.ts';
export { renderModel } from './render-model.ts';
export { manifest, runResults, writeArtifacts } from './artifacts.ts';
export { RAW_SOURCES, PROJECT_NAME } from './raw-sources.ts';
export { buildProject, type BuildRequest, type BuildReport } from './build-project.ts';
export { parseMeters, meterModel, meterModelName, AGGREGATIONS, DECIMAL_AGGREGATIONS, type Meter, type Aggregation } from './meters.ts';
