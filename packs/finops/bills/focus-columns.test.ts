import { describe, expect, it } from 'vitest';
import { columnNames } from '../../../kernel/warehouse/index.ts';
import { BATCH_COLUMNS, BILL_ROW_COLUMNS, PARKED_COLUMNS } from './focus-columns.ts';

describe('the bill tables as the FOCUS mapping writes them', () => {
  it('are the registered tables, column for column, in storage order', () => {
    expect([...BILL_ROW_COLUMNS]).toEqual(columnNames('bill_rows'));
    expect([...PARKED_COLUMNS]).toEqual(columnNames('bill_rows_parked'));
    expect([...BATCH_COLUMNS]).toEqual(columnNames('bill_batches'));
  });
});
