import { freePorts } from '../free-ports.ts';
import { launchClickHouse, type LocalClickHouse } from './local-server.ts';

/** One server of a local cluster: its shard and replica (1-based) and its own outage controls. */
export interface ClickHouseNode extends LocalClickHouse {
  shard: number;
  replica: number;
  tcpPort: number;
}

/**
 * `shards` × `replicas` ClickHouse servers on loopback forming cluster `name` (`<remote_servers>`,
 * `internal_replication`: a Distributed table writes one replica per shard and replication copies it),
 * coordinated by one ZooKeeper; `{shard}` and `{replica}` macros for Replicated…MergeTree paths and
 * a distributed-DDL queue for `ON CLUSTER`.
 */
export interface LocalClickHouseCluster {
  name: string;
  nodes: ClickHouseNode[];
  /** Stops every server and removes their data (ZooKeeper is the caller's). */
  stop(): Promise<void>;
}

export interface ClusterShape {
  name?: string;
  shards?: number;
  replicas?: number;
}

export async function startLocalClickHouseCluster(
  binary: string,
  zookeeper: { host: string; port: number },
  { name = 'companyos', shards = 2, replicas = 2 }: ClusterShape = {},
  timeoutMs = 60_000,
): Promise<LocalClickHouseCluster> {
  const layout = Array.from({ length: shards * replicas }, (_, i) => ({ shard: Math.floor(i / replicas) + 1, replica: (i % replicas) + 1 }));
  const ports = await freePorts(layout.length * 3);
  const planned = layout.map((at, i) => ({ ...at, httpPort: ports[3 * i]!, tcpPort: ports[3 * i + 1]!, interserverPort: ports[3 * i + 2]! }));
  const remoteServers = `  <remote_servers><${name}>
${Array.from({ length: shards }, (_, s) => `    <shard><internal_replication>true</internal_replication>
${planned.filter((n) => n.shard === s + 1).map((n) => `      <replica><host>127.0.0.1</host><port>${n.tcpPort}</port></replica>`).join('\n')}
    </shard>`).join('\n')}
  </${name}></remote_servers>
  <zookeeper><node><host>${zookeeper.host}</host><port>${zookeeper.port}</port></node><session_timeout_ms>10000</session_timeout_ms></zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
`;
  const started = await Promise.allSettled(planned.map(async (n) => {
    const node = await launchClickHouse(binary, n, `${remoteServers}  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>${n.interserverPort}</interserver_http_port>
  <macros><shard>${n.shard}</shard><replica>s${n.shard}r${n.replica}</replica></macros>
`, timeoutMs);
    return { ...node, shard: n.shard, replica: n.replica, tcpPort: n.tcpPort };
  }));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => void (await Promise.all(nodes.map((node) => node.stop())));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { name, nodes, stop };
}
