import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../../../kernel/errors/index.ts';
import type { ResourceAttributes } from '../../../kernel/policies/index.ts';
import type { WorkflowEngine } from '../../../platform/workflows/index.ts';
import { errorResponses } from '../../../surfaces/http/kit/index.ts';
import { exportFile } from '../index.ts';

const runResource = (request: FastifyRequest): ResourceAttributes => ({
  id: (request.params as { id: string }).id, tenant: request.principal!.tenant, kind: 'WorkflowRun', data_class: 'internal', region: request.principal!.region,
});

/** The file a succeeded `tenant-export` run wrote, to whoever requested it; its SHA-256 (also in the run's receipted evidence) as `Repr-Digest`. */
export function exportRoutes(app: FastifyInstance, deps: { workflows: WorkflowEngine; exportsDir: string }): void {
  app.get<{ Params: { id: string } }>('/v1/workflows/runs/:id/export', {
    schema: {
      operationId: 'downloadWorkflowExport',
      summary: 'Download the file a tenant-export run wrote',
      description:
        'NDJSON CloudEvents, one per line, as the run exported them; `Repr-Digest` carries the SHA-256 its receipted evidence holds. ' +
        'Only the principal who requested the export may download it, and only once the run has succeeded.',
      tags: ['workflows'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: {
        200: { description: 'The export, `application/x-ndjson`.', type: 'string' },
        ...errorResponses(403, 404, 409),
      },
    },
    config: { gate: { action: 'read', resource: runResource } },
  }, async (request, reply) => {
    const tenant = request.principal!.tenant;
    const run = await deps.workflows.get(tenant, request.params.id);
    if (run.type !== 'tenant-export' || run.status !== 'succeeded') throw new DomainError('WORKFLOW_EXPORT_UNAVAILABLE', `Run ${run.runId} is a ${run.type} run, ${run.status}.`);
    if (run.requestedBy !== request.gate!.principalId) throw new DomainError('WORKFLOW_EXPORT_NOT_YOURS', `${run.requestedBy} requested it.`);
    const written = run.steps.find((s) => s.step === 'execute' && s.phase === 'completed')!.output as { result: { sha256: string } };
    return reply
      .type('application/x-ndjson')
      .header('repr-digest', `sha-256=:${Buffer.from(written.result.sha256, 'hex').toString('base64')}:`)
      .header('content-disposition', `attachment; filename="${run.runId}.ndjson"`)
      .send(createReadStream(exportFile(deps.exportsDir, tenant, run.runId)));
  });
}
