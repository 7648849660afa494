/**
 * Whether the warehouse refused a statement because of a value in it — a number
 * out of range, text it cannot convert, malformed JSON — rather than because it
 * is down, full or missing a table. Such a refusal is deterministic: retrying
 * cannot help, so the value is parked (ingest) or answered as a bad request (API),
 * never waited out or reported as the warehouse being unavailable.
 */
export function isValueRefusal(error: unknown): boolean {
  for (let e = error, hops = 0; e instanceof Error && hops < 5; e = e.cause, hops++) {
    // A JS value the adapter could not encode (BigInt(NaN), an invalid Date's toISOString()).
    if (e instanceof RangeError) return true;
    if (DUCKDB_VALUE_ERRORS.test(e.message)) return true;
    const code = /\bCode: (\d+)/.exec(e.message)?.[1];
    if (code && CLICKHOUSE_VALUE_ERRORS.has(Number(code))) return true;
  }
  return false;
}

/** DuckDB's error classes for values (https://duckdb.org/docs/stable/dev/internal_errors): not Catalog, IO or Connection errors. */
const DUCKDB_VALUE_ERRORS = /\b(Conversion Error|Invalid Input Error|Out of Range Error):/;

/** ClickHouse error codes (src/Common/ErrorCodes.cpp) raised by a value, not by the server's state. */
const CLICKHOUSE_VALUE_ERRORS = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  43, // ILLEGAL_TYPE_OF_ARGUMENT (a number too large for the type a literal was given)
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  407, // DECIMAL_OVERFLOW
]);
