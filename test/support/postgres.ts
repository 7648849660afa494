import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database of its own on the test run's PostgreSQL cluster (`inject('postgresUrl')`), and how to drop it. */
export async function freshPostgresDatabase(server: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `state_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
