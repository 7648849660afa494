import { secretId, type RotatingSecret } from '../../platform/identity/index.ts';
import type { WorkflowType } from '../../platform/workflows/index.ts';
import { parseOverlap, SECRET_ROTATION_GOVERNANCE, type OverlapParams } from './secret-rotation-governance.ts';

const MINUTE = 60 * 1000;

export type WebhookSecretRotationParams = OverlapParams;

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
    parseParams: (input) => parseOverlap('webhook-secret-rotation', input),
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
