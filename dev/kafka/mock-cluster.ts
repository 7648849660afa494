import { spawn, type ChildProcess } from 'node:child_process';
import { ensureDebianPackage, onPath, type Binary } from '../debian-package.ts';

/**
 * librdkafka's Kafka-protocol mock cluster, run through Debian's `kcat`: it
 * serves on loopback for as long as kcat's stdin stays open. Topics are
 * created on first produce (4 partitions); each partition keeps about 5 MB.
 * Its controller is reported as a broker that does not exist, so kafkajs'
 * admin createTopics, idempotent producer and transactions fail against it.
 */
export interface MockKafkaCluster {
  brokers: string;
  stop(): Promise<void>;
}

export type KcatBinary = Binary;

export function findKcat(): string | undefined {
  return onPath('kcat', 'kafkacat');
}

/** The kcat binary; Debian's `kcat` is installed first when missing and root. */
export function ensureKcat(log?: (line: string) => void): KcatBinary {
  return ensureDebianPackage('kcat', findKcat, log);
}

/** `brokers` mock brokers (the scale-out profile's tests use 3). */
export async function startMockKafka(binary: string, timeoutMs = 20_000, { brokers: count = 1 } = {}): Promise<MockKafkaCluster> {
  const child: ChildProcess = spawn(
    binary,
    ['-P', '-b', '127.0.0.1:1', '-t', '__companyos_boot', '-X', `test.mock.num.brokers=${count}`, '-X', 'debug=mock'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const brokers = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`kcat's mock cluster did not start within ${timeoutMs / 1000} s:\n${stderr.slice(-1000)}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /bootstrap\.servers=(\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited (${code}) before the mock cluster served:\n${stderr.slice(-1000)}`));
    });
  });
  child.stderr!.removeAllListeners('data');
  child.stderr!.resume();
  return {
    brokers,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
