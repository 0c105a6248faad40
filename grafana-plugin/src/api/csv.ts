/**
 * CSV of a KPI frame as finance reads it: a header row of the KPIS.md names, raw values
 * (numbers as the API sent them, time as ISO 8601, null as an empty cell), RFC 4180
 * quoting. For the tables a page shows (a handful of rows per tenant or model); bulk
 * exports are the API's and the CLI's (`token-factory export`).
 */
import { FieldType, type DataFrame } from '@grafana/data';

function cell(v: unknown, type: FieldType): string {
  if (v === null || v === undefined) {
    return '';
  }
  const s = type === FieldType.time && typeof v === 'number' ? new Date(v).toISOString() : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function frameToCsv(frame: DataFrame, names?: string[]): string {
  const fields = names ? names.map((n) => frame.fields.find((f) => f.name === n)).filter((f) => f !== undefined) : frame.fields;
  const lines = [fields.map((f) => cell(f.name, FieldType.string)).join(',')];
  for (let i = 0; i < frame.length; i++) {
    lines.push(fields.map((f) => cell(f.values[i], f.type)).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Offers `csv` as a file download. */
export function downloadCsv(csv: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
