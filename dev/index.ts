export { scratchWarehouse, type ScratchWarehouse } from './scratch-warehouse.ts';
export { ensureKcat, startMockKafka, type MockKafkaCluster } from './kafka/mock-cluster.ts';
export { ensureClickHouseServer, findClickHouseServer, startLocalClickHouse, type LocalClickHouse } from './clickhouse/local-server.ts';
export { ensurePostgres, findPostgresBin, startLocalPostgres, type LocalPostgres } from './postgres/local-server.ts';
export { startLocalClickHouseCluster, type ClickHouseNode, type LocalClickHouseCluster } from './clickhouse/local-cluster.ts';
export { ensureZooKeeper, startLocalZooKeeper, type LocalZooKeeper } from './zookeeper/local-server.ts';
export { ensureHaproxy, startLocalBalancer, HAPROXY_CONFIG, type LocalBalancer } from './haproxy/local-balancer.ts';
export { SERVER_NODE_FLAGS } from './server-node-flags.ts';
