/**
 * Settling: recompute the rollup rows of every hour whose rollup is missing or stale,
 * from the raw facts, with the same attribution SQL as unitEconomics (the CTEs of
 * pipelines/kpi/sql over a window of whole hours: attribution is per deployment-hour and
 * a GPU sample's coverage depends only on its neighbours, so a window of several whole
 * hours gives each hour exactly what a one-hour window gives it).
 *
 * Which hours:
 * - hours touched by facts since they were settled (marks of the views of migration 3;
 *   a GPU mark widened by the sample gap), hours settled under another config
 *   fingerprint (a config change recomputes everything), and — on the first settle —
 *   every hour with facts, which may predate the marking views;
 * - the open hours: those ending after the newest fact − `attribution.max_lateness_s`,
 *   recomputed on every settle whether marked or not. Older hours are settled: they are
 *   recomputed only when facts touch them again (late data folds into its hour
 *   whatever its lateness, and is counted as `late_hours`);
 * - when a GPU's series resumes after (or is backfilled before) a silence longer than
 *   the gap, the hour of the sample on the other side of the silence, whose coverage
 *   changes from "since the one before" to the gap.
 *
 * How: per run of consecutive hours (at most `batchHours`), one INSERT … SELECT into each
 * rollup table under a new version, then one `rollup_hours` record per hour; then each
 * day of those hours merged again from its hours into the daily rollup, with a
 * `rollup_days` record naming the newest hour version it holds. Readers use
 * only the recorded version of an hour, so a settle that fails half-way leaves the old
 * version in force (and the hour dirty: reads take it from the facts). A mark counts as
 * covered only if it is `marginS` older than the settle's start: an insert's rows may
 * become visible a moment after its mark was taken.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { inventoryParams } from '../kpi/inventory.js';
import { priceParams } from '../kpi/sql/request-revenue.js';
import { windowParams } from '../kpi/window.js';
import { gapHours, rollupFingerprint } from './fingerprint.js';
import { hourStates } from './hour-state.js';
import { INSERT_DAILY_ROLLUP, INSERT_DAY_RECORD, INSERT_DEPLOYMENT_ROLLUP, INSERT_REQUEST_ROLLUP } from './rollup-sql.js';

export interface SettleOptions {
  /** a mark younger than this (seconds) at the settle's start stays dirty (default 30) */
  marginS?: number;
  /** hours per INSERT … SELECT: bounds memory (default 24) */
  batchHours?: number;
  /** recompute every hour with facts */
  full?: boolean;
  /** after each batch: hours done of the total */
  onProgress?: (done: number, total: number) => void;
}

export interface SettleResult {
  fingerprint: string;
  /** hours recomputed */
  hours: number;
  /** of which settled hours (older than the lateness horizon) touched by late facts */
  late_hours: number;
  /** of which hours settled under another config */
  stale_config_hours: number;
  batches: number;
  /** days merged again into the daily rollup */
  days: number;
  /** newest fact (request start or GPU sample), ISO; null without facts */
  newest: string | null;
  /** hours starting before this are settled (newest − max_lateness_s, floored to the hour) */
  settled_before: string | null;
  duration_ms: number;
}

const iso = (s: number) => new Date(s * 1000).toISOString();
const dt = (s: number) => iso(s).slice(0, 19).replace('T', ' ');

export async function settleRollups(store: Store, config: Config, opts: SettleOptions = {}): Promise<SettleResult> {
  const started = Date.now();
  const marginS = opts.marginS ?? 30;
  const batchHours = Math.max(1, Math.floor(opts.batchHours ?? 24));
  const fingerprint = rollupFingerprint(config);
  const k = gapHours(config);

  const clock = await one<{ now_ms: number; version: number }>(store, 'SELECT toUnixTimestamp64Milli(now64(3)) AS now_ms, toUnixTimestamp64Micro(now64(6)) AS version');
  const version = Number(clock.version);
  const coversUntil = new Date(Number(clock.now_ms) - marginS * 1000).toISOString().replace('T', ' ').replace('Z', '');

  const states = await hourStates(store, config);
  const todo = new Set<number>();
  let staleConfig = 0;
  const dirtyByMarks = new Set<number>();
  for (const s of states) {
    if (s.clean) continue;
    todo.add(s.hour);
    if (s.version > 0 && !s.config_current) staleConfig++;
    else if (!s.marks_covered) dirtyByMarks.add(s.hour);
  }
  if (opts.full || !states.some((s) => s.version > 0)) for (const h of await factHours(store)) todo.add(h);

  const newest = await newestFact(store);
  let settledBefore: number | null = null;
  if (newest !== null) {
    settledBefore = Math.floor((newest - config.attribution.max_lateness_s) / 3600) * 3600;
    const last = Math.floor(newest / 3600) * 3600;
    // open hours: recomputed on every settle, marked or not
    for (let h = settledBefore; h <= last; h += 3600) todo.add(h);
  }
  for (const h of await farNeighbourHours(store, k)) todo.add(h);

  const hours = [...todo].sort((a, b) => a - b);
  const batches = runs(hours, batchHours);
  const params = { ...inventoryParams(config), ...priceParams(config), version };
  let done = 0;
  for (const [from, to] of batches) {
    const window = windowParams({ from: new Date(from * 1000), to: new Date(to * 1000) });
    const settings = { log_comment: 'rollups:settle' };
    await store.client.command({ query: INSERT_REQUEST_ROLLUP, query_params: { ...params, ...window }, clickhouse_settings: settings });
    await store.client.command({ query: INSERT_DEPLOYMENT_ROLLUP, query_params: { ...params, ...window }, clickhouse_settings: settings });
    const records = [];
    for (let h = from; h < to; h += 3600) {
      records.push({ hour: dt(h), version, covers_marks_until: coversUntil, fingerprint, settled_at: new Date().toISOString().replace('T', ' ').replace('Z', '') });
    }
    await store.client.insert({ table: 'rollup_hours', values: records, format: 'JSONEachRow' });
    done += (to - from) / 3600;
    opts.onProgress?.(done, hours.length);
  }
  // the days of the hours recomputed, merged again from their hours' current rows
  const days = [...new Set(hours.map((h) => h - (h % 86_400)))];
  for (const day of days) {
    const p = { day: dt(day), version };
    await store.client.command({ query: INSERT_DAILY_ROLLUP, query_params: p, clickhouse_settings: { log_comment: 'rollups:settle_days' } });
    await store.client.command({ query: INSERT_DAY_RECORD, query_params: p, clickhouse_settings: { log_comment: 'rollups:settle_days' } });
  }

  // late: touched by facts after an earlier settle, in an hour already past the horizon
  const firstSettle = !states.some((s) => s.version > 0);
  const lateHours = settledBefore === null || firstSettle ? 0 : [...dirtyByMarks].filter((h) => h < settledBefore!).length;
  return {
    fingerprint,
    hours: hours.length,
    late_hours: lateHours,
    stale_config_hours: staleConfig,
    batches: batches.length,
    days: days.length,
    newest: newest === null ? null : iso(newest),
    settled_before: settledBefore === null ? null : iso(settledBefore),
    duration_ms: Date.now() - started,
  };
}

/** Consecutive hours grouped into [from, to) windows of at most `max` hours (unix seconds). */
export function runs(hours: readonly number[], max: number): [number, number][] {
  const out: [number, number][] = [];
  for (const h of hours) {
    const last = out.at(-1);
    if (last && last[1] === h && (last[1] - last[0]) / 3600 < max) last[1] = h + 3600;
    else out.push([h, h + 3600]);
  }
  return out;
}

async function one<T>(store: Store, query: string, params: Record<string, unknown> = {}): Promise<T> {
  const rs = await store.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  const [row] = await rs.json<T>();
  if (!row) throw new Error(`no row from ${query}`);
  return row;
}

/** Every hour with a request or a GPU sample (unix seconds). */
async function factHours(store: Store): Promise<number[]> {
  const rs = await store.client.query({
    query: `SELECT DISTINCT toUnixTimestamp(h) AS h FROM (
              SELECT DISTINCT hour AS h FROM llm_requests UNION ALL SELECT DISTINCT toStartOfHour(ts) FROM gpu_samples)
            ORDER BY h`,
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'rollups:fact_hours' },
  });
  return (await rs.json<{ h: number }>()).map((r) => Number(r.h));
}

/** The newest request start or GPU sample, unix seconds; null without facts. */
async function newestFact(store: Store): Promise<number | null> {
  // max(hour) and max(ts) come from part metadata (both are in the partition key); the
  // request's own second is read from the newest hour only.
  const r = await one<{ newest: number; n: number }>(
    store,
    `SELECT greatest(
        ifNull((SELECT toUnixTimestamp(max(ts)) FROM llm_requests WHERE hour = (SELECT max(hour) FROM llm_requests)), 0),
        ifNull((SELECT toUnixTimestamp(max(ts)) FROM gpu_samples), 0)) AS newest,
      (SELECT count() FROM (SELECT 1 FROM llm_requests LIMIT 1)) + (SELECT count() FROM (SELECT 1 FROM gpu_samples LIMIT 1)) AS n`,
  );
  return Number(r.n) === 0 ? null : Number(r.newest);
}

/**
 * Hours beyond a GPU's silence from an hour with fresh GPU marks: for each GPU with
 * samples in such an hour, the nearest earlier and later hour with its samples, when
 * more than `k` hours away (nearer ones are already within the widened marks).
 */
async function farNeighbourHours(store: Store, k: number): Promise<number[]> {
  const rs = await store.client.query({
    query: `
      WITH
        rec AS (SELECT hour, argMax(covers_marks_until, version) AS covers_until FROM rollup_hours GROUP BY hour),
        fresh AS (
          SELECT m.hour AS hour
          FROM (SELECT hour, max(marked_at) AS last_mark FROM rollup_dirty_hours WHERE source = 'gpu' GROUP BY hour) AS m
          LEFT JOIN rec ON m.hour = rec.hour
          WHERE m.last_mark > rec.covers_until
        ),
        touched AS (SELECT DISTINCT uuid, toStartOfHour(ts) AS h FROM gpu_samples WHERE toStartOfHour(ts) GLOBAL IN (SELECT hour FROM fresh)),
        series AS (
          SELECT uuid, toStartOfHour(ts) AS h FROM gpu_samples WHERE uuid GLOBAL IN (SELECT uuid FROM touched) GROUP BY uuid, h
        )
      SELECT DISTINCT toUnixTimestamp(nb) AS h FROM (
        SELECT p.h AS nb, t.h AS th FROM touched AS t ASOF INNER JOIN series AS p ON t.uuid = p.uuid AND p.h < t.h
        WHERE nb < th - toIntervalHour({k:UInt32})
        UNION ALL
        SELECT n.h, t.h FROM touched AS t ASOF INNER JOIN series AS n ON t.uuid = n.uuid AND n.h > t.h
        WHERE n.h > t.h + toIntervalHour({k:UInt32})
      )
      SETTINGS join_use_nulls = 0`,
    query_params: { k },
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'rollups:far_neighbours' },
  });
  return (await rs.json<{ h: number }>()).map((r) => Number(r.h));
}
