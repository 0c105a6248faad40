import { useCallback, useMemo } from 'react';
import { dateMath, dateTime, type TimeRange } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { useLocation } from './useLocation';

export const DEFAULT_FROM = 'now-24h';
export const DEFAULT_TO = 'now';

/** `from`/`to` of the URL as Grafana writes them: epoch ms, or relative (`now-6h`). */
function parseRaw(raw: string, roundUp: boolean) {
  if (/^\d+$/.test(raw)) {
    return dateTime(Number(raw));
  }
  const d = dateMath.parse(raw, roundUp, 'utc');
  return d && d.isValid() ? d : undefined;
}

export interface PageTimeRange {
  timeRange: TimeRange;
  /** the window the API is asked for: [from, to) as ISO */
  from: string;
  to: string;
  onChange: (tr: TimeRange) => void;
  /** the same length of time just before (for trends against the previous period) */
  previous: { from: string; to: string };
}

/**
 * The time range of Grafana's time picker, kept in the URL (`from`, `to`) like every
 * Grafana page, so the page's links and the browser's history carry it.
 */
export function useTimeRange(): PageTimeRange {
  const { search } = useLocation();
  const rawFrom = search.from ?? DEFAULT_FROM;
  const rawTo = search.to ?? DEFAULT_TO;
  const timeRange = useMemo<TimeRange>(() => {
    const from = parseRaw(rawFrom, false) ?? dateMath.parse(DEFAULT_FROM, false, 'utc')!;
    const to = parseRaw(rawTo, true) ?? dateMath.parse(DEFAULT_TO, true, 'utc')!;
    return { from, to, raw: { from: rawFrom, to: rawTo } };
  }, [rawFrom, rawTo]);
  const onChange = useCallback((tr: TimeRange) => {
    const enc = (v: TimeRange['raw']['from']) => (typeof v === 'string' ? v : String(v.valueOf()));
    locationService.partial({ from: enc(tr.raw.from), to: enc(tr.raw.to) });
  }, []);
  const fromMs = timeRange.from.valueOf();
  const toMs = timeRange.to.valueOf();
  return {
    timeRange,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    onChange,
    previous: { from: new Date(fromMs - (toMs - fromMs)).toISOString(), to: new Date(fromMs).toISOString() },
  };
}
