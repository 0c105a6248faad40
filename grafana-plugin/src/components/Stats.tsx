import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { formatKpi } from '../format/format';
import { testIds } from './testIds';

export interface StatItem {
  /** KPIS.md name */
  name: string;
  label: string;
  value: unknown;
  /** a line under the value (e.g. the trend) */
  note?: React.ReactNode;
}

/** Headline figures, each a KPIS.md name with its formatted value. */
export function Stats({ items }: { items: StatItem[] }) {
  const s = useStyles2(getStyles);
  return (
    <div className={s.row}>
      {items.map((it) => (
        <div key={it.name} className={s.card} title={it.name}>
          <div className={s.label}>{it.label}</div>
          <div className={s.value} data-testid={testIds.stat(it.name)}>
            {formatKpi(it.name, it.value)}
          </div>
          {it.note ? <div className={s.note}>{it.note}</div> : null}
        </div>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(2), marginBottom: theme.spacing(2) }),
  card: css({
    flex: '1 1 180px',
    padding: theme.spacing(1.5, 2),
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  label: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  value: css({ fontSize: theme.typography.h3.fontSize, fontWeight: theme.typography.fontWeightMedium, fontVariantNumeric: 'tabular-nums' }),
  note: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
