/**
 * Where a report over a window reads from. Rollups hold whole hours, so the window must
 * be hour-aligned. Hours whose rollup is current are read from the rollups; the hours
 * that are not (touched by facts since the last settle, settled under another config)
 * are recomputed from the facts in the same query — one range [first, last + 1 h) of
 * them, so that a report is current whether or not a settle has run since the data
 * arrived, and costs a raw query over the unsettled hours only.
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
  /** hours read from the rollups (unix seconds) and their current versions */
  rollup_hours: number[];
  rollup_versions: number[];
  /** the part of the window computed from the facts; null when none */
  raw: Window | null;
}

export function hourAligned(d: Date): boolean {
  return d.getTime() % 3_600_000 === 0;
}

export async function planRollupRead(store: Store, config: Config, q: WindowQuery): Promise<RollupPlan> {
  const window = await resolveWindow(store, q);
  const plan = (source: RollupSource, reason: string, hours: { hour: number; version: number }[], raw: Window | null): RollupPlan => ({
    source,
    reason,
    aligned: hourAligned(window.from) && hourAligned(window.to),
    window,
    rollup_hours: hours.map((h) => h.hour),
    rollup_versions: hours.map((h) => h.version),
    raw,
  });
  if (!hourAligned(window.from) || !hourAligned(window.to)) return plan('raw', 'the window is not hour-aligned', [], window);
  if (window.from.getTime() === window.to.getTime()) return plan('rollups', 'empty window', [], null);
  if (!(await anySettled(store))) return plan('raw', 'the rollups have not been settled yet', [], window);
  const states = await hourStates(store, config, window);
  const dirty = states.filter((s) => !s.clean);
  if (dirty.length === 0) return plan('rollups', `${states.length} settled hours`, states, null);
  const rawFrom = dirty[0]!.hour;
  const rawTo = dirty.at(-1)!.hour + 3600;
  const clean = states.filter((s) => s.clean && (s.hour < rawFrom || s.hour >= rawTo));
  const raw = { from: new Date(rawFrom * 1000), to: new Date(rawTo * 1000) };
  const why = `${dirty.length} hours not settled${dirty.some((s) => s.version > 0 && !s.config_current) ? ' (config changed)' : ''}`;
  if (clean.length === 0) return plan('raw', why, [], raw);
  return plan('mixed', `${clean.length} settled hours; ${why}, from the facts`, clean, raw);
}

async function anySettled(store: Store): Promise<boolean> {
  const rs = await store.client.query({ query: 'SELECT count() AS n FROM (SELECT 1 FROM rollup_hours LIMIT 1)', format: 'JSONEachRow' });
  const [r] = await rs.json<{ n: number | string }>();
  return Number(r?.n ?? 0) > 0;
}

/** Query parameters selecting the plan's rollup rows (see rollup-sql.ts currentVersion). */
export function rollupParams(plan: RollupPlan): Record<string, unknown> {
  const dt = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const hours = plan.rollup_hours;
  return {
    rv_hours: hours.map(dt),
    rv_versions: plan.rollup_versions,
    rv_lo: dt(hours[0] ?? 0),
    rv_hi: dt(hours.at(-1) ?? 0),
  };
}

/** Rollups hold whole hours: a plan over another window is a bad request for them. */
export function assertAligned(plan: RollupPlan): void {
  if (!plan.aligned) {
    throw new BadRequestError(`the rollups hold whole hours: the window ${plan.window.from.toISOString()} – ${plan.window.to.toISOString()} is not hour-aligned`);
  }
}
