import React from 'react';
import { css, injectGlobal } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { locationService, PluginPage } from '@grafana/runtime';
import { Tab, TabsBar, TimeRangePicker, useStyles2 } from '@grafana/ui';
import { PAGE_TITLES, PLUGIN_BASE_URL, ROUTES, type RouteName } from '../constants';
import { useTimeRange } from '../hooks/useTimeRange';
import { testIds } from './testIds';

// Printing (the executive report is made for it): the page flows onto paper instead of
// filling a screen-high scroll container, which would add a blank page.
injectGlobal({
  '@media print': {
    'html, body, #root, #reactRoot': { height: 'auto !important', minHeight: '0 !important', overflow: 'visible !important' },
  },
});

/** Keeps the time range (and nothing else) when moving to another page. */
export function pageHref(route: RouteName, search: Record<string, string | undefined> = {}): string {
  const keep = locationService.getSearchObject();
  const q = new URLSearchParams();
  for (const k of ['from', 'to']) {
    const v = keep[k];
    if (typeof v === 'string' || typeof v === 'number') {
      q.set(k, String(v));
    }
  }
  for (const [k, v] of Object.entries(search)) {
    if (v !== undefined) {
      q.set(k, v);
    }
  }
  const qs = q.toString();
  return `${PLUGIN_BASE_URL}/${ROUTES[route]}${qs ? `?${qs}` : ''}`;
}

/**
 * The frame of every page: Grafana's page (title and navigation from plugin.json in
 * Grafana), tabs between the pages, and Grafana's time picker, whose range (in the URL)
 * drives every query of the page.
 */
export function PageShell({ page, subTitle, children, actions }: { page: RouteName; subTitle: string; children: React.ReactNode; actions?: React.ReactNode }) {
  const s = useStyles2(getStyles);
  const { timeRange, onChange, from, to } = useTimeRange();
  const shift = (dir: -1 | 1) => {
    const span = timeRange.to.valueOf() - timeRange.from.valueOf();
    const f = timeRange.from.valueOf() + dir * span;
    locationService.partial({ from: String(f), to: String(f + span) });
  };
  const zoomOut = () => {
    const span = timeRange.to.valueOf() - timeRange.from.valueOf();
    locationService.partial({ from: String(timeRange.from.valueOf() - span / 2), to: String(timeRange.to.valueOf() + span / 2) });
  };
  return (
    <PluginPage subTitle={subTitle}>
      <div data-testid={testIds.page.container(page)} className={s.page}>
        <div className={s.header}>
          <TabsBar className={s.tabs}>
            {(Object.keys(ROUTES) as RouteName[]).map((r) => (
              <Tab
                key={r}
                label={PAGE_TITLES[r]}
                active={r === page}
                href={pageHref(r)}
                onChangeTab={(e) => {
                  e?.preventDefault();
                  locationService.push(pageHref(r));
                }}
              />
            ))}
          </TabsBar>
          <div className={s.picker} data-testid={testIds.page.timePicker}>
            {actions}
            <TimeRangePicker
              value={timeRange}
              onChange={onChange}
              timeZone="utc"
              onChangeTimeZone={() => undefined}
              onMoveBackward={() => shift(-1)}
              onMoveForward={() => shift(1)}
              onZoom={zoomOut}
            />
          </div>
        </div>
        <h2 className={s.title}>{PAGE_TITLES[page]}</h2>
        <div className={s.window} data-testid={testIds.page.window}>
          {subTitle} · window [{from.replace('.000Z', 'Z')}, {to.replace('.000Z', 'Z')}) UTC
        </div>
        {children}
      </div>
    </PluginPage>
  );
}

/** A titled block of a page. */
export function Section({ title, children, note }: { title: string; children: React.ReactNode; note?: React.ReactNode }) {
  const s = useStyles2(getStyles);
  return (
    <section className={s.section}>
      <h3 className={s.sectionTitle}>{title}</h3>
      {note ? <p className={s.note}>{note}</p> : null}
      {children}
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ padding: theme.spacing(0, 0, 4, 0) }),
  header: css({
    display: 'flex',
    flexWrap: 'wrap',
    justifyContent: 'space-between',
    alignItems: 'flex-end',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(2),
    '@media print': { display: 'none' },
  }),
  tabs: css({ flex: '1 1 auto' }),
  picker: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center' }),
  title: css({ margin: theme.spacing(0, 0, 0.5, 0) }),
  window: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(2) }),
  section: css({ marginBottom: theme.spacing(3), breakInside: 'avoid' }),
  sectionTitle: css({ fontSize: theme.typography.h4.fontSize, margin: theme.spacing(0, 0, 1, 0) }),
  note: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize, marginBottom: theme.spacing(1) }),
});
