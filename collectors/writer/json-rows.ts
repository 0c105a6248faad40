/**
 * Rows → JSONEachRow text. ClickHouse reads quoted "inf", "-inf" and "nan" into
 * Float64; JSON.stringify would write null for them (and null would silently
 * become 0). Our row types have no nullable field, so a `null` in the output can
 * only come from a non-finite number: only those rows take the slow path.
 */
export function toJsonEachRow(rows: readonly object[]): string {
  let out = '';
  for (const row of rows) {
    let line = JSON.stringify(row);
    if (line.includes('null')) line = JSON.stringify(row, nonFinite);
    out += line + '\n';
  }
  return out;
}

function nonFinite(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return v;
}
