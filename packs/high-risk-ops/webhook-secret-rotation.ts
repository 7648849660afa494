import { DomainError } from '../../kernel/errors/index.ts';
import { secretId, type RotatingSecret } from '../../platform/identity/index.ts';
import type { WorkflowType } from '../../platform/workflows/index.ts';
import { SECRET_ROTATION_GOVERNANCE } from './secret-rotation-governance.ts';

const MINUTE = 60 * 1000;

export interface WebhookSecretRotationParams {
  /** How long deliveries are also signed with the old secret, so the receiver can switch (default 24 h). */
  overlap_minutes: number;
}

/**
 * Rotates the secret invoice deliveries are signed with. From execution on, each delivery carries a
 * signature with the new secret and, for the overlap, one with the old (`t=…,v1=<new>,v1=<old>`), so
 * the receiver keeps verifying while it switches; then only the new. The new secret is never in the
 * run's output or evidence: the operator hands it over from `$COMPANYOS_DATA_DIR/invoice-webhook-secret`.
 */
export function webhookSecretRotation({ webhookSecret }: { webhookSecret?: RotatingSecret }): WorkflowType<WebhookSecretRotationParams> {
  const secret = () => {
    if (!webhookSecret) throw new Error('no invoice webhook is configured here (COMPANYOS_INVOICE_WEBHOOK_URL): there is no secret to rotate');
    return webhookSecret;
  };
  return {
    name: 'webhook-secret-rotation',
    pack: 'high-risk-ops',
    description: 'Rotate the invoice webhook\'s signing secret; deliveries carry both signatures for an overlap window.',
    parseParams(input) {
      const { overlap_minutes: minutes = 24 * 60, ...rest } = (input ?? {}) as Record<string, unknown>;
      if (typeof (input ?? {}) !== 'object' || Array.isArray(input) || Object.keys(rest).length > 0 || !Number.isInteger(minutes) || (minutes as number) < 0 || (minutes as number) > 7 * 24 * 60) {
        throw new DomainError('WORKFLOW_PARAMS_INVALID', 'webhook-secret-rotation: params is {"overlap_minutes": 0…10080} (default 1440).');
      }
      return { overlap_minutes: minutes as number };
    },
    ...SECRET_ROTATION_GOVERNANCE,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          const current = secretId(secret().current);
          context.log(`deliveries are signed with secret ${current}; ${secret().overlapping().length} older secret(s) still sign during their overlap`);
          return { current_id: current };
        },
      },
      execute: {
        onInterrupt: 'retry',
        async run(context) {
          const before = (context.outputs.preflight as { current_id: string }).current_id;
          if (secretId(secret().current) !== before) {
            context.log(`secret ${before} is no longer current: nothing to do`);
            return { retired_id: before, current_id: secretId(secret().current), rotated: false };
          }
          const rotation = await secret().rotate(context.params.overlap_minutes * MINUTE);
          context.log(`deliveries are signed with ${rotation.current_id}, and also with ${rotation.retired_id} until ${rotation.overlap_until}`);
          return { ...rotation, rotated: true };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const { current_id: current } = context.outputs.execute as { current_id: string };
          const signing = secret().inUse().map(secretId);
          if (signing[0] !== current) throw new Error(`deliveries are signed with ${signing[0]}, not ${current}`);
          context.log(`deliveries sign with ${signing.join(', ')}`);
          return { signing_ids: signing };
        },
      },
    },
  };
}
