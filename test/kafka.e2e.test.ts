import { once } from 'node:events';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { openWarehouse } from '../kernel/warehouse/index.ts';
import { expectCleanStop, killAllCliProcesses, runCli, spawnCli, startPlatform } from './support/cli.ts';
import { engineHarness, engineUnavailable, TEST_ENGINES } from './support/engines.ts';
import { cloudEvent } from './support/events.ts';
import { kafkaBrokers, produce, uniqueTopic } from './support/kafka.ts';
import { waitFor } from './support/wait-for.ts';
import { migratePlatform } from '../surfaces/compose/index.ts';

/** Kafka ingest through the real `companyos` processes, killed and restarted for real. */
describe.runIf(inject('kafkaBrokers'))('Kafka ingest, end to end', () => {
  afterEach(killAllCliProcesses);

  const events = (n: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify(cloudEvent({ id: `k-${i}`, tenantid: 'summit-internal' })));

  for (const engine of TEST_ENGINES) {
    it.runIf(!engineUnavailable(engine))(
      `on ${engine}: SIGKILL mid-stream and a restart land every event exactly once`,
      { timeout: 120_000 },
      async () => {
        const harness = await engineHarness(engine);
        onTestFinished(() => harness.cleanup());
        const topic = uniqueTopic();
        const total = 30_000;
        await produce(topic, events(total), null);
        const env = { ...harness.env, COMPANYOS_KAFKA_BROKERS: kafkaBrokers(), COMPANYOS_KAFKA_TOPICS: topic, COMPANYOS_KAFKA_GROUP: `g-${topic}` };
        const stored = async (url: string, token: string) => {
          const response = await fetch(`${url}/v1/events/stats`, { headers: { authorization: `Bearer ${token}` } });
          return ((await response.json()) as { total: number }).total;
        };

        const first = await startPlatform(harness.dataDir, ['--no-seed'], { env });
        let atKill = 0;
        await waitFor(async () => (atKill = await stored(first.url, first.token)) > 0, 'the first events', 60_000);
        expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');

        const second = await startPlatform(harness.dataDir, ['--no-seed'], { env });
        await waitFor(async () => (await stored(second.url, second.token)) >= total, `all ${total} events`, 90_000);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(await stored(second.url, second.token)).toBe(total);
        const metrics = await (await fetch(`${second.url}/metrics`)).text();
        expect(metrics).toMatch(new RegExp(`companyos_kafka_consumer_lag\\{topic="${topic}",partition="\\d"\\} 0`));
        expect(metrics).toContain('companyos_kafka_batches_total');
        expect(metrics).toMatch(/companyos_kafka_consumer_events_per_second [\d.]+/);
        await expectCleanStop(second);
        // The kill fell mid-stream (in practice 1,000-2,000 of 30,000 were stored).
        expect(atKill).toBeLessThan(total);
      },
    );

    it.runIf(!engineUnavailable(engine))(
      `on ${engine}: replay re-reads from an offset or a time and counts every event once`,
      { timeout: 90_000 },
      async () => {
        const harness = await engineHarness(engine);
        onTestFinished(() => harness.cleanup());
        const topic = uniqueTopic();
        await produce(topic, events(20)); // one key: one partition, offsets 0-19
        const env = { ...harness.env, COMPANYOS_KAFKA_BROKERS: kafkaBrokers(), COMPANYOS_KAFKA_TOPICS: topic, COMPANYOS_KAFKA_GROUP: `g-${topic}` };
        const replay = async (...args: string[]) => {
          const result = await runCli(['kafka', 'replay', ...args], { dataDir: harness.dataDir, env, timeoutMs: 60_000 });
          expect(result.code, result.stderr).toBe(0);
          return /accepted (\d+), duplicates (\d+)/.exec(result.stdout.trim().split('\n').at(-1)!)!.slice(1).map(Number);
        };
        expect(await replay('--from-offset', '0')).toEqual([20, 0]);
        expect(await replay('--from-offset', '0')).toEqual([0, 20]);
        expect(await replay('--from-offset', '15')).toEqual([0, 5]);
        expect(await replay('--from-time', '2000-01-01T00:00:00Z')).toEqual([0, 20]);
        expect(await replay('--from-time', '2999-01-01T00:00:00Z')).toEqual([0, 0]);
        const both = await runCli(['kafka', 'replay'], { dataDir: harness.dataDir, env });
        expect(both.code).toBe(1);
        expect(both.stderr).toContain('exactly one of --from-offset N or --from-time T');
      },
    );

    it.runIf(!engineUnavailable(engine))(
      `on ${engine}: the standalone consumer drains a topic and exits 0 on SIGTERM`,
      { timeout: 60_000 },
      async () => {
        const harness = await engineHarness(engine);
        onTestFinished(() => harness.cleanup());
        const topic = uniqueTopic();
        await produce(topic, [...events(100), '{poison']);
        const worker = spawnCli(['kafka', 'consume'], harness.dataDir, {
          ...harness.env,
          COMPANYOS_KAFKA_BROKERS: kafkaBrokers(),
          COMPANYOS_KAFKA_TOPICS: topic,
          COMPANYOS_KAFKA_GROUP: `g-${topic}`,
        });
        let stdout = '';
        worker.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        await waitFor(async () => /accepted 100, duplicates 0, rejected 1/.test(stdout), 'the worker to report 100 events', 45_000);
        const exited = once(worker, 'exit');
        worker.kill('SIGTERM');
        expect(await exited).toEqual([0, null]);
        const warehouse = await openWarehouse({ ...harness.env, engine, dataDir: harness.dataDir, clickhouse: harness.env.COMPANYOS_CLICKHOUSE_URL ? { url: harness.env.COMPANYOS_CLICKHOUSE_URL, database: harness.env.COMPANYOS_CLICKHOUSE_DATABASE! } : undefined });
        await migratePlatform(warehouse);
        const [row] = await warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM ${warehouse.dialect.deduplicated('events')}`);
        await warehouse.close();
        expect(row!.n).toBe(100);
      },
    );
  }
});
