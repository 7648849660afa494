/** A query on one ClickHouse server by its HTTP interface (with `settings`), rows as JSON: what one server of a cluster holds or answers. */
export async function onServer(url: string, sql: string, settings: Record<string, string> = {}): Promise<Record<string, string>[]> {
  const query = new URLSearchParams({ default_format: 'JSONEachRow', ...settings });
  const response = await fetch(`${url}/?${query}`, { method: 'POST', body: sql });
  const text = await response.text();
  if (!response.ok) throw new Error(`${sql}: ${text}`);
  return text.trim() ? text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>) : [];
}
