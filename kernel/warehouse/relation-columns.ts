/** A relation's column as `Warehouse.columns` gives it. */
export type RelationColumn = {
  name: string;
  type: string;
};

/** Catalog rows (one per column, each relation's in order) as the columns of each relation. */
export function byRelation(rows: readonly (RelationColumn & { relation: string })[]): Map<string, RelationColumn[]> {
  const found = new Map<string, RelationColumn[]>();
  for (const { relation, name, type } of rows) {
    let columns = found.get(relation);
    if (!columns) found.set(relation, (columns = []));
    columns.push({ name, type });
  }
  return found;
}
