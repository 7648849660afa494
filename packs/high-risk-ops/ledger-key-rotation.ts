import { DomainError } from '../../kernel/errors/index.ts';
import { signEnvelope, verifyEnvelope } from '../../kernel/ledger/index.ts';
import type { LedgerStore } from '../../platform/governance/index.ts';
import type { WorkflowType } from '../../platform/workflows/index.ts';
import { SECRET_ROTATION_GOVERNANCE } from './secret-rotation-governance.ts';

const PROBE_TYPE = 'application/vnd.companyos.key-probe+json';

/**
 * Rotates the receipt ledger's signing key: the old key is retired (its public half stays, so
 * every receipt it signed still verifies), a new one signs from then on. Preflight names the
 * active key; execute rotates unless that key is no longer active (a retry after a kill, or a
 * rotation by someone else, finds the work done: exactly one rotation per run); verify signs and
 * checks a probe with the new key and checks the old one is retired, not gone. A rotation cannot
 * be undone (the old private key is deleted), so the type declares no rollback.
 */
export function ledgerKeyRotation(ledger: LedgerStore): WorkflowType<Record<string, never>> {
  return {
    name: 'ledger-key-rotation',
    pack: 'high-risk-ops',
    description: 'Rotate the receipt ledger\'s signing key (the old key retires and keeps verifying what it signed).',
    parseParams(input) {
      if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input) || Object.keys(input).length > 0)) {
        throw new DomainError('WORKFLOW_PARAMS_INVALID', 'ledger-key-rotation takes no parameters.');
      }
      return {};
    },
    ...SECRET_ROTATION_GOVERNANCE,
    steps: {
      preflight: {
        onInterrupt: 'retry',
        async run(context) {
          const active = ledger.keyring.active;
          context.log(`active key ${active.name}+${active.keyId}; ${ledger.keyring.all().length} keys in the ring`);
          return { active_key_id: active.keyId, keys: ledger.keyring.all().length };
        },
      },
      execute: {
        onInterrupt: 'retry',
        async run(context) {
          const before = String((context.outputs.preflight as { active_key_id: string }).active_key_id);
          if (ledger.keyring.active.keyId !== before) {
            context.log(`key ${before} is already retired; ${ledger.keyring.active.keyId} is active (nothing to do)`);
            return { retired_key_id: before, active_key_id: ledger.keyring.active.keyId, rotated: false };
          }
          const fresh = await ledger.keyring.rotate();
          context.log(`retired ${before}; ${fresh.keyId} signs from now on`);
          return { retired_key_id: before, active_key_id: fresh.keyId, rotated: true };
        },
      },
      verify: {
        onInterrupt: 'retry',
        async run(context) {
          const { retired_key_id: retired, active_key_id: active } = context.outputs.execute as { retired_key_id: string; active_key_id: string };
          const probe = signEnvelope(PROBE_TYPE, Buffer.from(JSON.stringify({ run: context.runId })), ledger.keyring.active);
          verifyEnvelope(probe, [ledger.keyring.get(active)!]);
          const old = ledger.keyring.get(retired);
          if (!old?.retiredAt) throw new Error(`key ${retired} is not retired`);
          context.log(`a probe signed with ${active} verifies; ${retired} is retired and still verifies what it signed`);
          return { verified: true };
        },
      },
    },
  };
}
