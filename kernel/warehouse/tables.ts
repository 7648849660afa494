import { columnNames } from './table-registry.ts';

/** Columns of the raw tables, in table order (from the table registry). */
export const EVENT_COLUMNS = columnNames('events');

export const QUARANTINE_COLUMNS = columnNames('events_quarantine');
