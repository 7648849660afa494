import { describe, expect, it } from 'vitest';
import { useApi } from '../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../test/support/engines.ts';
import { DomainError } from '../../kernel/errors/index.ts';
import { errorBody } from './to-domain-error.ts';
import { takeLedgerOffline } from '../../test/support/faults.ts';

/** What no response body may show: where the server keeps things, its code, its stack. */
function expectNothingInternal(body: string, dataDir: string): void {
  for (const secret of [dataDir, '/tmp/', '/work/', '/var/', 'node_modules', process.cwd(), '.ts:', '.js:']) expect(body).not.toContain(secret);
  expect(body).not.toMatch(/\n\s+at /);
  expect(body).not.toMatch(/\b(?:SELECT|DESCRIBE|INSERT INTO) |LINE \d+:/);
}

describe.each(TEST_ENGINES)('error responses on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  const upload = async (fileName: string, body: Buffer | string, contentType = 'application/octet-stream') =>
    server.api.app.inject({
      method: 'POST',
      url: `/v1/finops/bills?file_name=${fileName}`,
      headers: { authorization: `Bearer ${await server.api.token('acme', 'admin')}`, 'content-type': contentType },
      payload: body,
    });

  it('name an unreadable bill by the name it was sent as, never by where the server put it', async () => {
    const responses = [
      await upload('broken.parquet', Buffer.from('PAR1 this is not parquet at all PAR1')),
      await upload('empty.csv', '', 'text/csv'),
      await upload('ragged.csv', 'a,b\n"unterminated\n', 'text/csv'),
    ];
    for (const response of responses) {
      expect(response.statusCode).toBeGreaterThanOrEqual(200);
      expect(response.statusCode).toBeLessThan(500);
      expectNothingInternal(response.body, db.harness.dataDir);
    }
    expect(responses[0]!.json()).toMatchObject({ code: 'BILL_FILE_INVALID', message: expect.stringMatching(/^The bill file cannot be imported\. broken\.parquet: /) });
  });

  it('say only the catalogue sentence when the warehouse fails under a request', async () => {
    const token = await server.api.token('acme', 'admin');
    await takeLedgerOffline(server.api.app.platform.state);
    const write = await server.api.app.inject({
      method: 'POST', url: '/v1/entities', headers: { authorization: `Bearer ${token}` }, payload: { type: 'Asset', name: 'rack-7' },
    });
    expect([write.statusCode, write.json().code]).toEqual([503, 'RECEIPT_WRITE_FAILED']);
    expectNothingInternal(write.body, db.harness.dataDir);

    await db.warehouse.close();
    for (const url of ['/readyz', '/v1/events', '/v1/events/stats', '/v1/quarantine']) {
      const response = await server.api.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
      expect([url, response.statusCode, response.json().code]).toEqual([url, 503, 'WAREHOUSE_UNAVAILABLE']);
      expect(response.json().message).toBe(new DomainError('WAREHOUSE_UNAVAILABLE').message);
      expectNothingInternal(response.body, db.harness.dataDir);
    }
  });
});

describe('errorBody', () => {
  it('cuts server paths, engine SQL and stacks out of any message and field', () => {
    const locked = new DomainError('WAREHOUSE_UNAVAILABLE', 'IO Error: Could not set lock on file "/work/main/.companyos/warehouse.duckdb"');
    expect(errorBody(locked).message).toBe('The warehouse is not answering or refuses writes; try again shortly. IO Error: Could not set lock on file "warehouse.duckdb"');
    const bill = new DomainError('BILL_FILE_INVALID', '/tmp/companyos-uploads/companyos-upload-1.parquet: No magic bytes found at end of file "/tmp/companyos-uploads/companyos-upload-1.parquet"\n    at read (/work/main/ingest/bills/bill-file.ts:80:13)');
    const body = errorBody(bill);
    expect(body.message).toBe('The bill file cannot be imported. companyos-upload-1.parquet: No magic bytes found at end of file "companyos-upload-1.parquet"');
    const engine = new DomainError('RECEIPT_WRITE_FAILED', "Nothing was done (DuckDB failed (INSERT INTO ledger_entries SELECT * FROM (VALUES (?))): Catalog Error: Table with name ledger_entries does not exist!\n\nLINE 1: INSERT INTO ledger_entries SELECT\n        ^).");
    expect(errorBody(engine).message).toBe('The action was rolled back: its receipt could not be written to the ledger. Nothing was done (Catalog Error: Table with name ledger_entries does not exist!).');
    const denied = new DomainError('POLICY_DENIED', undefined, { decision_id: 'd1', reasons: ['see /var/lib/companyos/policies/x.cedar'] });
    expect(errorBody(denied)).toMatchObject({ decision_id: 'd1', reasons: ['see x.cedar'] });
  });
});
