import { describe, expect, it } from 'vitest';
import { columnsOf } from '../../../kernel/warehouse/index.ts';
import { FINOPS_TABLES } from '../tables.ts';

const tableOf = (name: string) => FINOPS_TABLES.find((table) => table.name === name)!;
import { BATCH_COLUMNS, BILL_ROW_COLUMNS, PARKED_COLUMNS } from './focus-columns.ts';

describe('the bill tables as the FOCUS mapping writes them', () => {
  it('are the registered tables, column for column, in storage order', () => {
    expect([...BILL_ROW_COLUMNS]).toEqual(columnsOf(tableOf('bill_rows')));
    expect([...PARKED_COLUMNS]).toEqual(columnsOf(tableOf('bill_rows_parked')));
    expect([...BATCH_COLUMNS]).toEqual(columnsOf(tableOf('bill_batches')));
  });
});
