/**
 * Output of every CLI command: a table a person can read, or `--format json|csv` for
 * machines. JSON has KPIS.md's shape `{ "window": {"from","to"}, "rows": [...] }`.
 */
import Table from 'cli-table3';

export const FORMATS = ['table', 'json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface Column {
  key: string;
  /** header shown in the table (defaults to the key); CSV and JSON always use the key */
  header?: string;
  /** how a number shows in the table: money with units, counts with separators */
  kind?: 'text' | 'int' | 'usd' | 'float' | 'ratio';
}

export interface Window {
  from: string;
  to: string;
}

export function render(rows: readonly Row[], columns: readonly Column[], format: Format, window?: Window): string {
  switch (format) {
    case 'json':
      return JSON.stringify(window ? { window, rows } : { rows }, null, 2) + '\n';
    case 'csv':
      return toCsv(rows, columns);
    case 'table':
      return toTable(rows, columns, window);
  }
}

function toCsv(rows: readonly Row[], columns: readonly Column[]): string {
  const esc = (v: Cell): string => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map((c) => c.key).join(','), ...rows.map((r) => columns.map((c) => esc(r[c.key] ?? null)).join(','))].join('\n') + '\n';
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const floatFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

export function formatCell(v: Cell, kind: Column['kind'] = 'text'): string {
  if (v === null) return '—';
  if (typeof v !== 'number') return String(v);
  switch (kind) {
    case 'int':
      return intFmt.format(v);
    case 'usd':
      return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: Math.abs(v) < 1 ? 6 : 2 })}`;
    case 'ratio':
      return `${(v * 100).toFixed(2)} %`;
    default:
      return floatFmt.format(v);
  }
}

function toTable(rows: readonly Row[], columns: readonly Column[], window?: Window): string {
  const table = new Table({
    head: columns.map((c) => c.header ?? c.key),
    colAligns: columns.map((c) => (c.kind && c.kind !== 'text' ? 'right' : 'left')),
    style: { head: [], border: [] },
  });
  for (const r of rows) table.push(columns.map((c) => formatCell(r[c.key] ?? null, c.kind)));
  const head = window ? `window [${window.from}, ${window.to})\n` : '';
  return `${head}${table.toString()}\n${rows.length === 0 ? '(no rows)\n' : ''}`;
}
