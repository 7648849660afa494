import { DuckDBTypeId, type DuckDBDecimalType, type DuckDBType } from '@duckdb/node-api';
import { WarehouseError } from '../errors.ts';
import { assertIdentifier } from '../identifier.ts';
import { CSV_FILE, type ParquetRowNumbers } from '../warehouse.ts';
import { decimalFromText } from './duckdb-dialect.ts';

export interface ParquetLoadOptions {
  keep?: string;
  numberRows?: ParquetRowNumbers;
}

const fileLiteral = (path: string) => `'${path.replaceAll("'", "''")}'`;

/** The statement `insertCsv` runs: the file read with `CSV_FILE`'s conventions, each column typed as the table's. */
export function csvLoadSql(table: string, columns: readonly string[], types: ReadonlyMap<string, DuckDBType>, path: string): string {
  const read = columns.map((name) => {
    const type = types.get(name);
    if (!type) throw new WarehouseError(`insertCsv into ${table}: there is no column ${name}`);
    assertIdentifier(name);
    // Wide decimals are read as text and parsed by `decimalFromText` (the reader's own parse is the slow one).
    const wide = type.typeId === DuckDBTypeId.DECIMAL && (type as DuckDBDecimalType).width > 18;
    return wide ? { declared: `'${name}': 'VARCHAR'`, selected: `${decimalFromText(name, 'CAST')} AS ${name}` } : { declared: `'${name}': '${type.toString()}'`, selected: name };
  });
  return `INSERT INTO ${assertIdentifier(table)} (${columns.join(', ')}) SELECT ${read.map((r) => r.selected).join(', ')} FROM read_csv(${fileLiteral(path)},
     header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', nullstr = '${CSV_FILE.nullText}',
     timestampformat = '${CSV_FILE.timestampFormat}', columns = {${read.map((r) => r.declared).join(', ')}})`;
}

/** The statement `insertParquet` runs: every file in one, `keep`'s rows only, `numberRows` from each row's position in its file. */
export function parquetLoadSql(table: string, columns: readonly string[], paths: readonly string[], { keep, numberRows }: ParquetLoadOptions): string {
  columns.forEach(assertIdentifier);
  if (numberRows && (!columns.includes(numberRows.column) || !Number.isSafeInteger(numberRows.first))) {
    throw new WarehouseError(`insertParquet into ${table}: numberRows needs one of the columns and a whole first number`);
  }
  const selected = columns.map((name) => (name === numberRows?.column ? `file_row_number + ${numberRows.first} AS ${name}` : name));
  return `INSERT INTO ${assertIdentifier(table)} (${columns.join(', ')}) SELECT ${selected.join(', ')}
     FROM read_parquet([${paths.map(fileLiteral).join(', ')}], hive_partitioning = false${numberRows ? ', file_row_number = true' : ''})` +
    (keep ? ` WHERE ${assertIdentifier(keep)}` : '');
}
