import type { TokenKeyFile } from '../../platform/identity/index.ts';
import type { WorkflowType } from '../../platform/workflows/index.ts';
import { parseOverlap, SECRET_ROTATION_GOVERNANCE, type OverlapParams } from './secret-rotation-governance.ts';

const MINUTE = 60 * 1000;

export type TokenSecretRotationParams = OverlapParams;

/**
 * Rotates the secret API tokens are signed with. The new secret signs from execution on; the old one
 * keeps verifying for the overlap, so tokens already handed out (connectors, scheduled jobs) keep
 * working until their holders get new ones, and after it nothing it signed does. Preflight names the
 * signing key; execute rotates unless that key no longer signs (a retry finds its work done); verify
 * mints and checks a probe token. Refused at preflight where the secret comes from
 * COMPANYOS_JWT_SECRET: that is rotated where it is set.
 */
export function tokenSecretRotation({ tokenKeys }: { tokenKeys?: TokenKeyFile }): WorkflowType<TokenSecretRotationParams> {
  const keys = () => {
    if (!tokenKeys) throw new Error('the token-signing secret comes from COMPANYOS_JWT_SECRET here: rotate it where it is set, then restart');
    return tokenKeys;
  };
  return {
    name: 'token-secret-rotation',
    pack: 'high-risk-ops',
    description: 'Rotate the secret API tokens are signed with; tokens signed with the old one keep working for an overlap window.',
    parseParams: (input) => parseOverlap('token-secret-rotation', input),
    ...SECRET_ROTATION_GOVERNANCE,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          const { authority } = keys();
          context.log(`tokens are signed with key ${authority.keyId}; ${authority.overlapping.length} retired key(s) still verify`);
          return { signing_kid: authority.keyId, overlapping: authority.overlapping.map((k) => ({ kid: k.kid, until: k.until.toISOString() })) };
        },
      },
      execute: {
        onInterrupt: 'retry',
        async run(context) {
          const file = keys();
          const before = (context.outputs.preflight as { signing_kid: string }).signing_kid;
          if (file.authority.keyId !== before) {
            context.log(`key ${before} no longer signs (${file.authority.keyId} does): nothing to do`);
            return { retired_kid: before, signing_kid: file.authority.keyId, rotated: false };
          }
          const rotation = await file.rotate(context.params.overlap_minutes * MINUTE);
          context.log(`key ${rotation.signing_kid} signs from now on; ${rotation.retired_kid} verifies until ${rotation.overlap_until}`);
          return { ...rotation, rotated: true };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const { authority } = keys();
          const probe = await authority.mint({ tenant: context.tenant, roles: ['reader'], subject: 'token-rotation-probe', expiresIn: '1m' });
          await authority.verify(`Bearer ${probe}`);
          context.log(`a probe token signed with ${authority.keyId} verifies`);
          return { signing_kid: authority.keyId };
        },
      },
    },
  };
}
