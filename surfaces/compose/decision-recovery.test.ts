import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import type { Principal } from '../../platform/identity/index.ts';
import { engineHarness, engineUnavailable } from '../../test/support/engines.ts';
import { freshPostgresDatabase } from '../../test/support/postgres.ts';
import { runUntilKilled } from '../../test/support/until-killed.ts';
import { createPlatform, type Platform } from './create-platform.ts';

/** Longer than a start's own recovery looks back: a minute before the newest decision stored. */
const OTHERS_GO_ON_MS = 70_000;

/**
 * Replicas on one PostgreSQL state store write one ClickHouse decision log. A replica killed with decisions queued
 * leaves receipts citing them; the others go on deciding, so the newest stored decision soon lies past the lost ones.
 */
describe.runIf(inject('postgresUrl') && !engineUnavailable('clickhouse'))('decisions a killed replica had queued', () => {
  it('are restored however long after the kill, while other replicas write the same log: each once, in its own tenant', { timeout: 180_000 }, async () => {
    const harness = await engineHarness('clickhouse');
    const database = await freshPostgresDatabase(inject('postgresUrl')!);
    const warehouse = await harness.open();
    const platforms: Platform[] = [];
    onTestFinished(async () => {
      await Promise.all(platforms.map((platform) => platform.close()));
      await warehouse.close();
      await Promise.all([harness.cleanup(), database.drop()]);
    });
    const start = async () => {
      const platform = await createPlatform({ warehouse, state: { url: database.url }, ledger: { keysDir: join(harness.dataDir, 'keys') } });
      platforms.push(platform);
      return platform;
    };
    const live = await start();
    await runUntilKilled('surfaces/compose/testdata/killed-with-queued-decisions.ts', [JSON.stringify(harness.config), database.url, join(harness.dataDir, 'keys')]);
    const killedAt = Date.now();
    // The live replica goes on deciding, as a busy cluster does.
    for (let n = 0; Date.now() - killedAt < OTHERS_GO_ON_MS; n++) {
      const tenant = n % 2 === 0 ? 'acme' : 'globex';
      const principal: Principal = { tenant, subject: 'bo', roles: ['writer'], env: live.env, region: live.region };
      await live.gate.runPrivileged(principal, 'create', { id: `asset-${n}`, kind: 'Asset', tenant, data_class: 'internal', region: live.region }, {}, 'test create', () => Promise.resolve());
      await live.decisions.flush();
      await sleep(5_000);
    }
    // The killed replica comes back. Whichever looks first restores its decisions: the live replica, once the dead
    // one's mark is a minute old, or the start (each path on its own: platform/workflows/queue-marks.test.ts).
    await start();

    // Every decision a committed receipt cites is in the log, stored once, in the tenant of the receipt's actor.
    const cited = (await live.state.query<{ tenant_id: string; entry: string }>('SELECT tenant_id, entry FROM ledger_entries')).map((row) => {
      const statement = JSON.parse(Buffer.from((JSON.parse(row.entry) as { payload: string }).payload, 'base64').toString('utf8')) as
        { predicate: { decisionId: string; actor: string } };
      return { tenant: row.tenant_id, decisionId: statement.predicate.decisionId, actor: statement.predicate.actor };
    });
    const lost = cited.filter((receipt) => receipt.actor.endsWith('/ana'));
    expect(lost.map((receipt) => receipt.tenant).sort()).toEqual(['acme', 'globex']);
    const stored = async () => new Map((await warehouse.query<{ decision_id: string; tenant_id: string; n: number }>(
      'SELECT decision_id, any(tenant_id) AS tenant_id, count() AS n FROM policy_decisions GROUP BY decision_id',
    )).map((row) => [row.decision_id, { tenant: row.tenant_id, copies: Number(row.n) }]));
    await vi.waitFor(async () => {
      const log = await stored();
      expect(cited.filter((receipt) => !log.has(receipt.decisionId))).toEqual([]);
    }, { timeout: 30_000, interval: 1_000 });
    await Promise.all(platforms.splice(0).map((platform) => platform.close()));
    const log = await stored();
    expect(cited.map((receipt) => log.get(receipt.decisionId))).toEqual(cited.map((receipt) => ({ tenant: receipt.tenant, copies: 1 })));
    // As the decision log serves a tenant: its own lost decision, never the other tenant's.
    const reader = await start();
    for (const [tenant, other] of [['acme', 'globex'], ['globex', 'acme']] as const) {
      const ids = (await reader.decisions.query(tenant, { limit: 1000 })).map((decision) => decision.decision_id);
      expect(ids).toContain(lost.find((receipt) => receipt.tenant === tenant)!.decisionId);
      expect(ids).not.toContain(lost.find((receipt) => receipt.tenant === other)!.decisionId);
    }
  });
});
