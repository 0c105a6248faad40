/**
 * Whether the rollup of each hour is current. An hour is clean when it has been settled
 * (a `rollup_hours` record), with the config fingerprint in force, and no facts touched
 * it after the settle that wrote it: its last mark is no later than the marks that
 * settle covered. A GPU sample's coverage reaches its neighbours up to max_sample_gap_s
 * away: with a gap of at most ROLLUP_GPU_EDGE_S, a sample near the start (end) of its
 * hour touches the previous (next) hour too (`gpu_start` / `gpu_end` marks); with a
 * longer gap, a GPU mark on hour H touches H ± ⌈gap / 3600⌉.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { ROLLUP_GPU_EDGE_S } from '../../core/schema/migrations.js';
import { gapHours, rollupFingerprint } from './fingerprint.js';

export interface HourState {
  /** start of the hour, unix seconds */
  hour: number;
  /** the current version; 0 when never settled */
  version: number;
  /** settled with the config in force */
  config_current: boolean;
  /** no facts touched it since it was settled */
  marks_covered: boolean;
  clean: boolean;
}

const HOUR_STATES_SQL = `
  WITH
    rec AS (
      SELECT hour, max(version) AS cur_version, argMax(covers_marks_until, version) AS covers_until, argMax(fingerprint, version) AS fp
      FROM rollup_hours
      WHERE hour >= {lo:DateTime} AND hour < {hi:DateTime}
      GROUP BY hour
    ),
    marks AS (
      SELECT affected AS hour, max(marked_at) AS last_mark
      FROM rollup_dirty_hours
      ARRAY JOIN multiIf(
        source = 'requests', [hour],
        {near:UInt8} = 1, multiIf(source = 'gpu', [hour], source = 'gpu_start', [hour - INTERVAL 1 HOUR], source = 'gpu_end', [hour + INTERVAL 1 HOUR], [hour]),
        arrayMap(i -> hour + toIntervalHour(toInt64(i) - {k:UInt32}), range(2 * {k:UInt32} + 1))) AS affected
      WHERE hour >= {mark_lo:DateTime} AND hour < {mark_hi:DateTime}
      GROUP BY affected
      HAVING affected >= {lo:DateTime} AND affected < {hi:DateTime}
    )
  SELECT toUnixTimestamp(if(rec.hour != 0, rec.hour, marks.hour)) AS hour_s,
    rec.cur_version AS version,
    rec.fp = {fp:String} AS config_current,
    marks.last_mark <= rec.covers_until AS marks_covered
  FROM rec FULL OUTER JOIN marks ON rec.hour = marks.hour
  ORDER BY hour_s
  SETTINGS join_use_nulls = 0`;

/** Lower and upper bounds of time that any hour state can have. */
export const ALL_TIME = { from: new Date(Date.UTC(1970, 0, 1)), to: new Date(Date.UTC(2106, 0, 1)) };

const fmt = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** The state of every hour in [from, to) that was settled or touched by facts. */
export async function hourStates(store: Store, config: Config, range: { from: Date; to: Date } = ALL_TIME): Promise<HourState[]> {
  const k = gapHours(config);
  const lo = range.from.getTime();
  const hi = range.to.getTime();
  const rs = await store.client.query({
    query: HOUR_STATES_SQL,
    query_params: {
      lo: fmt(lo),
      hi: fmt(hi),
      mark_lo: fmt(Math.max(0, lo - k * 3_600_000)),
      mark_hi: fmt(Math.min(ALL_TIME.to.getTime(), hi + k * 3_600_000)),
      k,
      near: config.attribution.max_sample_gap_s <= ROLLUP_GPU_EDGE_S ? 1 : 0,
      fp: rollupFingerprint(config),
    },
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'rollups:hour_states', output_format_json_quote_64bit_integers: 0 },
  });
  const rows = await rs.json<{ hour_s: number; version: number; config_current: number; marks_covered: number }>();
  return rows.map((r) => {
    const version = Number(r.version);
    const config_current = Number(r.config_current) === 1;
    const marks_covered = Number(r.marks_covered) === 1;
    return { hour: Number(r.hour_s), version, config_current, marks_covered, clean: version > 0 && config_current && marks_covered };
  });
}
