/**
 * Exact money and quantities for exports: integer micro-units → Decimal(38, 6), so
 * CSV and JSON print the exact decimal (0.006876, never 0.0068759999) and Parquet
 * carries a DECIMAL(38, 6) column finance tools read as such. Decimal128 leaves room for
 * sums far beyond any factory's spend (Decimal64 would stop at 9.2 million USD).
 */

/** SQL: an integer amount of micro-units (an Int64/UInt64 expression) as Decimal(38, 6) units. */
export function micro(expr: string): string {
  return `(toDecimal128(${expr}, 6) / 1000000)`;
}
