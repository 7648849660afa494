import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatReport, verifyBundle } from '../../../kernel/ledger/index.ts';
import { connectPlatform, loadConfig, readVerifierKeys } from '../kit/index.ts';

export function registerLedger(program: Command): void {
  const ledger = program.command('ledger').description('The signed receipt ledger: verify exported evidence bundles offline, manage signing keys.');
  ledger
    .command('verify')
    .description(
      'Verify an evidence bundle (GET /v1/provenance/bundles/:id) offline: every envelope signature, the disclosed fields against their digests, ' +
        'each receipt\'s inclusion under the signed checkpoint, consistency with older checkpoints, and the evidence hashes. Names what failed; exit 1 if anything did.',
    )
    .argument('<bundle>', 'the bundle JSON file')
    .requiredOption('--key <pubkey...>', 'a verifier key (name+keyid+base64, as in $COMPANYOS_DATA_DIR/keys/<keyid>.pub), or a file of them, one per line; repeatable')
    .option('--json', 'print the report as JSON')
    .action(async (bundlePath: string, options: { key: string[]; json?: boolean }) => {
      const keys = await readVerifierKeys(options.key);
      let bundle: unknown;
      try {
        bundle = JSON.parse(await readFile(bundlePath, 'utf8'));
      } catch (error) {
        throw new Error(`${bundlePath} is not a readable JSON bundle: ${(error as Error).message}`, { cause: error });
      }
      const report = verifyBundle(bundle, keys);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (!report.ok) process.exitCode = 1;
    });

  ledger
    .command('rotate-key')
    .description(
      'Refused: rotating the signing key is governed. Request a `ledger-key-rotation` run instead (`companyos workflow request ledger-key-rotation`), ' +
        'have it approved, and execute it. The attempt is recorded as a policy violation in summit-internal.',
    )
    .action(async () => {
      const client = await connectPlatform(loadConfig());
      try {
        await client.rotateLedgerKeyDirectly();
      } finally {
        await client.close();
      }
    });
}
