export { ERASABLE_ARTIFACTS, parseErasureScope, type ErasableArtifact, type ErasureScope } from './erasure-scope.ts';
export { ERASURE_MANIFEST_FORMAT, type ErasureManifest } from './erasure-manifest.ts';
export { countSubject, eraseRecords, finishErasure, tenantExportsDir, type ErasedRecords, type ErasureRequest, type ErasureServices } from './erase-subject.ts';
export { eraseExports, type ErasedExport } from './erase-exports.ts';
