/**
 * How figures are shown. One formatter per kind of KPI (by its KPIS.md name), used by
 * every page and by the browser test to predict what a page must show for a value the
 * API returned. Deterministic (en-US, no locale of the browser): the page reads the same
 * on every machine. A value the API left undefined (null) shows as an em dash.
 */

export type KpiKind = 'usd' | 'ratio' | 'ms' | 'kwh' | 'count' | 'number' | 'text' | 'time';

export const NULL_TEXT = '—';

/** The kind of a KPI from its KPIS.md name. */
export function kpiKind(name: string): KpiKind {
  if (/_usd$|_usd_per_mtok$|^cost_per_mtok|_usd_per_hour$/.test(name) || name === 'break_even_usd_per_mtok') {
    return 'usd';
  }
  if (
    /(_ratio|_rate|utilization|gross_margin|success_rate|slo_attainment|error_budget_remaining|metering_drift)$/.test(name) &&
    !/^slo_burn_rate/.test(name)
  ) {
    return 'ratio';
  }
  if (/_ms(_p\d\d)?$/.test(name) || /^(e2e|ttft|tpot)_ms/.test(name)) {
    return 'ms';
  }
  if (/^energy_kwh$|_kwh_per_mtok$/.test(name)) {
    return 'kwh';
  }
  if (/^(hour|day|ts|started_at|ended_at|from|to|quota_exhaustion_eta)$/.test(name)) {
    return 'time';
  }
  if (
    /^(requests|errors|tokens|input_tokens|output_tokens|wasted_tokens|gpus|workflows|successful_workflows|attempts|events|bad_events|billed_requests|unpriced_requests|unpriced_tokens|tokens_used|tokens_last_24h|monthly_token_quota|quota_remaining)$/.test(
      name
    )
  ) {
    return 'count';
  }
  return 'number';
}

const usd2 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const usd6 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 });
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Money: cents from one dollar up; below it, down to the micro-dollar the API rounds to. */
export function formatUsd(v: number): string {
  return Math.abs(v) >= 1 ? usd2.format(v) : usd6.format(v);
}

/** A plain number: no decimals from 100 up, 2 from 1, else 3 significant digits. */
export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 100 || v === 0) {
    return int.format(v);
  }
  if (a >= 1) {
    return new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(v);
  }
  return new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 }).format(v);
}

/** A ratio (0–1) as a percentage. */
export function formatRatio(v: number): string {
  const pct = v * 100;
  const a = Math.abs(pct);
  const digits = a >= 10 || pct === 0 ? { maximumFractionDigits: 1 } : { maximumSignificantDigits: 3 };
  return `${new Intl.NumberFormat('en-US', digits).format(pct)} %`;
}

/** ISO time as the API writes it, shown in UTC without seconds. */
export function formatTime(v: string | number): string {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) {
    return String(v);
  }
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function formatKpi(name: string, v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
    return NULL_TEXT;
  }
  if (typeof v === 'boolean') {
    return v ? 'yes' : 'no';
  }
  const kind = kpiKind(name);
  if (kind === 'time') {
    return typeof v === 'string' || typeof v === 'number' ? formatTime(v) : String(v);
  }
  if (typeof v !== 'number') {
    return String(v);
  }
  switch (kind) {
    case 'usd':
      return formatUsd(v);
    case 'ratio':
      return formatRatio(v);
    case 'ms':
      return `${formatNumber(v)} ms`;
    case 'kwh':
      return `${formatNumber(v)} kWh`;
    case 'count':
      return int.format(v);
    default:
      return formatNumber(v);
  }
}

/** Grafana unit ids of the same kinds, for field config of charts. */
export function grafanaUnit(name: string): string {
  switch (kpiKind(name)) {
    case 'usd':
      return 'currencyUSD';
    case 'ratio':
      return 'percentunit';
    case 'ms':
      return 'ms';
    case 'kwh':
      return 'kwatth';
    default:
      return 'short';
  }
}
