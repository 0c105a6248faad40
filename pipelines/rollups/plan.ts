/**
 * Where a report over a window reads from. Rollups hold whole hours, so the window must
 * be hour-aligned. Hours whose rollup is current are read from the rollups — whole days
 * of them from the daily rollup when the report is not by hour; the hours that are not
 * current (touched by facts since the last settle, settled under another config) are
 * recomputed from the facts in the same query — one range [first, last + 1 h) of them,
 * so that a report is current whether or not a settle has run since the data arrived,
 * and costs a raw query over the unsettled hours only.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { BadRequestError } from '../../core/errors.js';
import { resolveWindow, type Window, type WindowQuery } from '../kpi/window.js';
import { hourStates } from './hour-state.js';

export type RollupSource = 'rollups' | 'mixed' | 'raw';

export interface RollupPlan {
  /** rollups only, rollups plus the unsettled hours from the facts, or the facts only */
  source: RollupSource;
  /** why, in words (for logs and `--explain`) */
  reason: string;
  /** the window is made of whole hours (else the rollups cannot serve it at all) */
  aligned: boolean;
  window: Window;
  /** hours read from the hourly rollup (unix seconds) and their current versions */
  rollup_hours: number[];
  rollup_versions: number[];
  /** days read from the daily rollup (unix seconds) and their current versions */
  rollup_days: number[];
  rollup_day_versions: number[];
  /** the part of the window computed from the facts; null when none */
  raw: Window | null;
}

export interface PlanOptions {
  /** whole settled days may come from the daily rollup (not for reports by hour) */
  days?: boolean;
}

export function hourAligned(d: Date): boolean {
  return d.getTime() % 3_600_000 === 0;
}

const DAY_S = 86_400;

export async function planRollupRead(store: Store, config: Config, q: WindowQuery, opts: PlanOptions = {}): Promise<RollupPlan> {
  const window = await resolveWindow(store, q);
  const aligned = hourAligned(window.from) && hourAligned(window.to);
  const plan = (source: RollupSource, reason: string, raw: Window | null, hours: { hour: number; version: number }[] = [], days: { day: number; version: number }[] = []): RollupPlan => ({
    source,
    reason,
    aligned,
    window,
    rollup_hours: hours.map((h) => h.hour),
    rollup_versions: hours.map((h) => h.version),
    rollup_days: days.map((d) => d.day),
    rollup_day_versions: days.map((d) => d.version),
    raw,
  });
  if (!aligned) return plan('raw', 'the window is not hour-aligned', window);
  if (window.from.getTime() === window.to.getTime()) return plan('rollups', 'empty window', null);
  if (!(await anySettled(store))) return plan('raw', 'the rollups have not been settled yet', window);
  const states = await hourStates(store, config, window);
  const dirty = states.filter((s) => !s.clean);
  const rawFrom = dirty[0]?.hour ?? Infinity;
  const rawTo = (dirty.at(-1)?.hour ?? -Infinity) + 3600;
  let clean = states.filter((s) => s.clean && (s.hour < rawFrom || s.hour >= rawTo));
  const raw = dirty.length ? { from: new Date(rawFrom * 1000), to: new Date(rawTo * 1000) } : null;

  let days: { day: number; version: number }[] = [];
  if (opts.days && clean.length > 0) {
    // a whole day of the window, none of its hours dirty, merged after its newest hour version
    const from = window.from.getTime() / 1000;
    const to = window.to.getTime() / 1000;
    const dirtyDays = new Set(dirty.map((s) => s.hour - (s.hour % DAY_S)));
    const newestHour = new Map<number, number>();
    for (const s of clean) newestHour.set(s.hour - (s.hour % DAY_S), Math.max(newestHour.get(s.hour - (s.hour % DAY_S)) ?? 0, s.version));
    days = (await dayRecords(store, window))
      .filter((d) => d.day >= from && d.day + DAY_S <= to && !dirtyDays.has(d.day) && !(d.day + DAY_S > rawFrom && d.day < rawTo) && d.hours_version === newestHour.get(d.day))
      .map((d) => ({ day: d.day, version: d.version }));
    const used = new Set(days.map((d) => d.day));
    clean = clean.filter((s) => !used.has(s.hour - (s.hour % DAY_S)));
  }

  const settled = clean.length + days.length * 24;
  const what = `${clean.length} settled hours${days.length ? ` and ${days.length} settled days` : ''}`;
  if (!raw) return plan('rollups', what, null, clean, days);
  const why = `${dirty.length} hours not settled${dirty.some((s) => s.version > 0 && !s.config_current) ? ' (config changed)' : ''}`;
  if (settled === 0) return plan('raw', why, raw);
  return plan('mixed', `${what}; ${why}, from the facts`, raw, clean, days);
}

async function anySettled(store: Store): Promise<boolean> {
  const rs = await store.client.query({ query: 'SELECT count() AS n FROM (SELECT 1 FROM rollup_hours LIMIT 1)', format: 'JSONEachRow' });
  const [r] = await rs.json<{ n: number | string }>();
  return Number(r?.n ?? 0) > 0;
}

async function dayRecords(store: Store, w: Window): Promise<{ day: number; version: number; hours_version: number }[]> {
  const dt = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  const rs = await store.client.query({
    query: `SELECT toUnixTimestamp(day) AS day, max(version) AS v, argMax(hours_version, version) AS hv
            FROM rollup_days WHERE day >= {lo:DateTime} AND day < {hi:DateTime} GROUP BY day ORDER BY day`,
    query_params: { lo: dt(w.from), hi: dt(w.to) },
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'rollups:day_states', output_format_json_quote_64bit_integers: 0 },
  });
  return (await rs.json<{ day: number; v: number; hv: number }>()).map((r) => ({ day: Number(r.day), version: Number(r.v), hours_version: Number(r.hv) }));
}

/** Query parameters selecting the plan's rollup rows (rollup-sql.ts currentVersion). */
export function rollupParams(plan: RollupPlan): Record<string, unknown> {
  const dt = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const set = (prefix: string, keys: number[], versions: number[]) => ({
    [`${prefix}_hours`]: keys.map(dt),
    [`${prefix}_versions`]: versions,
    [`${prefix}_lo`]: dt(keys[0] ?? 0),
    [`${prefix}_hi`]: dt(keys.at(-1) ?? 0),
  });
  return { ...set('rv', plan.rollup_hours, plan.rollup_versions), ...set('dv', plan.rollup_days, plan.rollup_day_versions) };
}

/** Rollups hold whole hours: a plan over another window is a bad request for them. */
export function assertAligned(plan: RollupPlan): void {
  if (!plan.aligned) {
    throw new BadRequestError(`the rollups hold whole hours: the window ${plan.window.from.toISOString()} – ${plan.window.to.toISOString()} is not hour-aligned`);
  }
}
