import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's fixed credentials: it checks request signatures against them. */
export const OBJECT_STORE_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface ObjectStore {
  endpoint: string;
  bucket: string;
  /** The environment a CLI child needs to reach it. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** An S3-compatible server (s3rver) on loopback, on a free port, its data in a temporary folder. */
export async function startObjectStore(bucket = 'backups'): Promise<ObjectStore> {
  const directory = await mkdtemp(join(tmpdir(), 'companyos-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: { COMPANYOS_S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: OBJECT_STORE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: OBJECT_STORE_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' },
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
