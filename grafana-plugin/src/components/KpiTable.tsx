import React from 'react';
import { css } from '@emotion/css';
import type { DataFrame, GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { formatKpi } from '../format/format';
import { testIds } from './testIds';

export interface Column {
  /** KPIS.md name of the field */
  name: string;
  /** header text (default: the KPIS.md name) */
  label?: string;
  /** a cell of its own (e.g. a drill-down link); default: the formatted value */
  render?: (value: unknown, row: number) => React.ReactNode;
}

/**
 * A KPI table over a DataFrame: one row per frame row, the columns given, values
 * formatted by their KPIS.md kind (null → "—"). Headers carry the KPIS.md names (as
 * tooltips when relabelled), so what a user reads is what the API and CSV call it. Each
 * cell has `data-testid="kpi <table> <row key> <name>"`, the row key being the values
 * of the `keys` fields joined by "/".
 */
export function KpiTable({ id, frame, keys, columns, caption }: { id: string; frame: DataFrame; keys: string[]; columns: Column[]; caption?: string }) {
  const s = useStyles2(getStyles);
  const byName = new Map(frame.fields.map((f) => [f.name, f]));
  const rowKey = (i: number) => keys.map((k) => String(byName.get(k)?.values[i] ?? '')).join('/');
  const rows = Array.from({ length: frame.length }, (_, i) => i);
  return (
    <div className={s.wrap}>
      <table className={s.table} data-testid={`kpi-table ${id}`}>
        {caption ? <caption className={s.caption}>{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.name} title={c.name} className={s.th}>
                {c.label ?? c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((i) => (
            <tr key={rowKey(i) || i} className={s.tr}>
              {columns.map((c) => {
                const v = byName.get(c.name)?.values[i] ?? null;
                return (
                  <td key={c.name} className={typeof v === 'number' ? s.num : s.td} data-testid={testIds.kpi(id, rowKey(i), c.name)}>
                    {c.render ? c.render(v, i) : formatKpi(c.name, v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrap: css({ overflowX: 'auto', marginBottom: theme.spacing(2), '@media print': { overflow: 'visible' } }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    '@media print': { fontSize: 9, 'th, td': { whiteSpace: 'normal', padding: '2px 4px' } },
  }),
  caption: css({ textAlign: 'left', color: theme.colors.text.secondary, padding: theme.spacing(0.5, 0) }),
  th: css({
    textAlign: 'left',
    padding: theme.spacing(0.5, 1),
    borderBottom: `1px solid ${theme.colors.border.medium}`,
    color: theme.colors.text.secondary,
    fontWeight: theme.typography.fontWeightMedium,
    whiteSpace: 'nowrap',
  }),
  tr: css({ '&:hover': { background: theme.colors.action.hover } }),
  td: css({ padding: theme.spacing(0.5, 1), borderBottom: `1px solid ${theme.colors.border.weak}`, whiteSpace: 'nowrap' }),
  num: css({
    padding: theme.spacing(0.5, 1),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    textAlign: 'right',
    fontVariantNumeric: 'tabular-nums',
    whiteSpace: 'nowrap',
  }),
});
