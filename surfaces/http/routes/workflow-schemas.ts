const RUN_STATUSES = ['requested', 'preflight-failed', 'awaiting-approval', 'approved', 'denied', 'expired', 'cancelled', 'executing', 'succeeded', 'failed', 'rolled-back', 'active', 'revoked'];

export const runStatusSchema = { type: 'string', enum: RUN_STATUSES } as const;

const rationaleOut = { type: 'object', required: ['category', 'text'], properties: { category: { type: 'string' }, text: { type: 'string' } } } as const;

export const runSchema = {
  type: 'object',
  description: 'A workflow run: its request, where it stands, and everything that happened to it, in order.',
  required: ['run_id', 'workflow_type', 'status', 'requested_by', 'requested_at', 'rationale', 'approval_expires_at', 'outstanding', 'transitions', 'approvals', 'steps'],
  properties: {
    run_id: { type: 'string' },
    workflow_type: { type: 'string' },
    status: runStatusSchema,
    requested_by: { type: 'string', description: '`<tenant>/<subject>`' },
    requested_at: { type: 'string', format: 'date-time' },
    rationale: rationaleOut,
    params: { description: 'The parameters, as the type checked them.' },
    approval_expires_at: { type: 'string', format: 'date-time', description: 'Approvals, and the execution they allow, must come before this.' },
    outstanding: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Approvers each role group still needs.' },
    transitions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['seq', 'status', 'actor', 'at', 'detail', 'receipt_id'],
        properties: {
          seq: { type: 'integer' },
          status: runStatusSchema,
          actor: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          detail: { type: 'object', additionalProperties: true },
          receipt_id: { type: 'string', description: 'The signed receipt of this transition in the tenant\'s ledger.' },
        },
      },
    },
    approvals: {
      type: 'array',
      items: {
        type: 'object',
        required: ['approver', 'roles', 'decision', 'rationale', 'at'],
        properties: {
          approver: { type: 'string' },
          roles: { type: 'array', items: { type: 'string' } },
          decision: { type: 'string', enum: ['approve', 'deny'] },
          rationale: rationaleOut,
          at: { type: 'string', format: 'date-time' },
        },
      },
    },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['step', 'phase', 'attempt', 'executor', 'at'],
        properties: {
          step: { type: 'string', enum: ['preflight', 'execute', 'verify', 'rollback', 'revoke'] },
          phase: { type: 'string', enum: ['started', 'completed', 'failed'] },
          attempt: { type: 'integer' },
          executor: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          output: { description: 'What the step answered, with the executor\'s transcript (or its error).' },
        },
      },
    },
  },
} as const;

export const runListSchema = { type: 'object', required: ['runs'], properties: { runs: { type: 'array', items: runSchema } } } as const;

export const typesSchema = {
  type: 'object',
  required: ['types'],
  properties: {
    types: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'pack', 'description', 'approval', 'scope', 'separate_duties', 'rationale', 'approval_expiry_seconds', 'approval_sla_seconds', 'steps'],
        properties: {
          name: { type: 'string' },
          pack: { type: 'string' },
          description: { type: 'string' },
          approval: {
            type: 'object',
            required: ['combine', 'groups'],
            properties: {
              combine: { type: 'string', enum: ['all', 'any'] },
              groups: { type: 'array', items: { type: 'object', required: ['role', 'count'], properties: { role: { type: 'string' }, count: { type: 'integer' } } } },
            },
          },
          scope: { type: 'string', enum: ['tenant', 'platform'], description: '`platform`: it changes the platform itself; only the platform operator\'s tenant may request it.' },
          separate_duties: { type: 'boolean' },
          rationale: {
            type: 'object',
            required: ['categories', 'min_length'],
            properties: { categories: { type: 'array', items: { type: 'string' } }, min_length: { type: 'integer' } },
          },
          approval_expiry_seconds: { type: 'integer' },
          approval_sla_seconds: { type: 'integer' },
          steps: { type: 'array', items: { type: 'string', enum: ['preflight', 'execute', 'verify', 'rollback', 'revoke'] } },
        },
      },
    },
  },
} as const;
