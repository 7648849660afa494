/** Text as an SQL string literal (both engines double a quote inside one). */
export const sqlText = (text: string): string => `'${text.replaceAll("'", "''")}'`;
