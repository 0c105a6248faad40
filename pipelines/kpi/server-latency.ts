/**
 * Latency quantiles from the inference servers' own histograms (KPIS.md "Latency and
 * reliability": PromQL `histogram_quantile` semantics over bucket increases in the
 * window), computed in ClickHouse over `server_histograms`.
 *
 * Rows of `server_histograms` are scrapes of cumulative histograms (Prometheus
 * counters): per-bucket counts (not cumulative across buckets), `bounds` without +Inf,
 * `bucket_counts` one longer (the last is the +Inf bucket). For a window [from, to):
 *
 * 1. Increase per series (service, instance, server_kind, metric, model, attributes):
 *    the scrapes in the window in time order (one per series and second); the first is
 *    the baseline, each later one adds its per-bucket difference to the one before.
 *    Reset-aware: when the count or any bucket went down, or the bucket layout changed
 *    (a restarted server), the scrape's own counts are the increase (the whole
 *    histogram is treated as one counter, as Prometheus does for native histograms).
 *    So increase = last − first scrape in the window when there is no reset; no
 *    extrapolation to the window edges (unlike PromQL's `increase()`); a series with one
 *    scrape in the window adds nothing. Each step counts in the hour of the scrape that
 *    closes it (the `hour` dimension).
 * 2. Per group (the dimensions asked for), the increases are made cumulative per series
 *    and summed per upper bound `le` (+Inf included) across the group's series — PromQL's
 *    `sum by (…, le) (increase(x_bucket[w]))`; equal bounds coalesce, series with
 *    different layouts merge by `le`, and the cumulative counts are then forced
 *    monotonic (running maximum), as Prometheus does.
 * 3. Quantile q (Prometheus `BucketQuantile`,
 *    https://github.com/prometheus/prometheus/blob/main/promql/quantile.go; its tolerance
 *    for float noise between buckets is not needed on integer counts): observations = the
 *    +Inf count; none (or fewer than two buckets) → null. rank = q × observations; b =
 *    the first finite bucket whose cumulative count ≥ rank. None → the +Inf bucket: the
 *    upper bound of the last finite bucket. b the lowest bucket with an upper bound ≤ 0
 *    → that bound. Otherwise linear interpolation inside b, from the previous upper
 *    bound (0 for the lowest bucket): start + (end − start) × (rank − cum[b−1]) /
 *    (cum[b] − cum[b−1]).
 *
 * Metrics (name without the exporter prefix — `vllm:`, `sglang:`; NIM serves vLLM
 * names): `time_to_first_token_seconds` → ttft_ms, `inter_token_latency_seconds` →
 * itl_ms (older vLLM: `time_per_output_token_seconds`, used for a group only when it has
 * no observations of the newer name, so a server exposing both is not counted twice),
 * `e2e_request_latency_seconds` → e2e_ms; seconds × 1000. `requests` is the increase of
 * the e2e histogram's observations (requests the servers finished).
 */
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { BadRequestError } from '../../core/errors.js';
import { FROM, TO } from './sql/gpu-hours.js';
import { checkDimensions, type KpiResult } from './unit-economics.js';
import { windowJson, windowParams, type Window, type WindowQuery } from './window.js';

/**
 * A KPI query ready to run: the same SQL serves JSON (`runKpiSql`) and Apache Arrow
 * (`FORMAT ArrowStream` in the API). Shared by the KPI modules of pipelines/kpi.
 */
export interface KpiSql {
  window: Window;
  query: string;
  query_params: Record<string, unknown>;
  clickhouse_settings: ClickHouseSettings;
}

/** Runs a built KPI query and returns KPIS.md's `{ window, rows }`. */
export async function runKpiSql<R>(store: Store, k: KpiSql): Promise<KpiResult<R>> {
  const rs = await store.client.query({
    query: k.query,
    query_params: k.query_params,
    format: 'JSONEachRow',
    clickhouse_settings: { ...k.clickhouse_settings, output_format_json_quote_64bit_integers: 0 },
  });
  return { window: windowJson(k.window), rows: await rs.json<R>() };
}

/** Dimensions of server histograms → SQL over `hist_increases`. A fixed map: never SQL from input. */
export const SERVER_LATENCY_DIMENSIONS = {
  model: 'model',
  server_kind: 'server_kind',
  service: 'service',
  instance: 'instance',
  /** the hour of the scrape that closes an increase step */
  hour: "formatDateTime(toStartOfHour(ts), '%Y-%m-%dT%H:00:00Z')",
} as const;
export type ServerLatencyDimension = keyof typeof SERVER_LATENCY_DIMENSIONS;
export const SERVER_LATENCY_DIMENSION_NAMES = Object.keys(SERVER_LATENCY_DIMENSIONS) as ServerLatencyDimension[];

/** Histogram families: KPI prefix → metric names (prefix stripped), preferred first. */
export const LATENCY_METRICS = {
  ttft: ['time_to_first_token_seconds'],
  itl: ['inter_token_latency_seconds', 'time_per_output_token_seconds'],
  e2e: ['e2e_request_latency_seconds'],
} as const;
const ALL_METRICS: string[] = Object.values(LATENCY_METRICS).flat();

/** The quantiles reported, with their KPIS.md suffix. Constants of the code, not input. */
export const QUANTILES = [
  { q: 0.5, suffix: 'p50' },
  { q: 0.9, suffix: 'p90' },
  { q: 0.95, suffix: 'p95' },
  { q: 0.99, suffix: 'p99' },
] as const;

export interface ServerLatencyQuery extends WindowQuery {
  by: ServerLatencyDimension[];
}

export interface ServerLatencyRow {
  [key: string]: string | number | null;
}

/** CTEs `hist_points`, `hist_steps`, `hist_increases`: one row per scrape after a series' first in the window. */
export const HIST_INCREASE_CTES = `
  hist_points AS (
    SELECT ts, service, instance, server_kind, model, metric, attributes, bounds, bucket_counts, count
    FROM server_histograms
    WHERE ts >= ${FROM} AND ts < ${TO} AND has({hist_metrics:Array(String)}, metric)
      AND length(bucket_counts) = length(bounds) + 1
    LIMIT 1 BY service, instance, server_kind, metric, model, attributes, ts
  ),
  hist_steps AS (
    SELECT *,
      row_number() OVER w AS step_no,
      lagInFrame(bounds) OVER w AS prev_bounds,
      lagInFrame(bucket_counts) OVER w AS prev_counts,
      lagInFrame(count) OVER w AS prev_count
    FROM hist_points
    WINDOW w AS (PARTITION BY service, instance, server_kind, metric, model, attributes ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  ),
  hist_increases AS (
    SELECT ts, service, instance, server_kind, model, metric,
      arrayMap(c -> toFloat64(c), bucket_counts) AS cur_f,
      arrayMap(c -> toFloat64(c), arrayResize(prev_counts, length(bucket_counts), 0)) AS prev_f,
      bounds != prev_bounds OR count < prev_count OR arrayExists((c, p) -> c < p, cur_f, prev_f) AS is_reset,
      if(is_reset, cur_f, arrayMap((c, p) -> c - p, cur_f, prev_f)) AS step_increase,
      arrayConcat(bounds, [inf]) AS les,
      arrayCumSum(step_increase) AS cum_increase
    FROM hist_steps
    WHERE step_no > 1
  )`;

/** Running maximum of an array expression: Prometheus forces bucket counts monotonic. */
function envelope(arr: string): string {
  return `arrayFold((acc, x) -> arrayPushBack(acc, if(length(acc) = 0, x, greatest(x, acc[-1]))), ${arr}, CAST([], 'Array(Float64)'))`;
}

/**
 * `histogram_quantile(q)` over the columns `<f>_les` (sorted upper bounds, +Inf last)
 * and `<f>_cum` (cumulative counts), in seconds; helper columns are named per family
 * and quantile so none shadows another.
 */
export function bucketQuantileSql(f: string, q: number, suffix: string): string {
  const les = `${f}_les`;
  const cum = `${f}_cum`;
  const rank = `${f}_rank_${suffix}`;
  const b = `${f}_b_${suffix}`;
  const lo = `${f}_lo_${suffix}`;
  const cumLo = `${f}_cum_lo_${suffix}`;
  return `
      ${q} * ${cum}[-1] AS ${rank},
      arrayFirstIndex(c -> c >= ${rank}, arrayPopBack(${cum})) AS ${b},
      if(${b} <= 1, 0, ${les}[${b} - 1]) AS ${lo},
      if(${b} <= 1, 0, ${cum}[${b} - 1]) AS ${cumLo},
      multiIf(length(${les}) < 2 OR ${les}[-1] != inf OR ${cum}[-1] <= 0, NULL,
              ${b} = 0, ${les}[-2],
              ${b} = 1 AND ${les}[1] <= 0, ${les}[1],
              ${lo} + (${les}[${b}] - ${lo}) * (${rank} - ${cumLo}) / (${cum}[${b}] - ${cumLo})) AS ${f}_s_${suffix}`;
}

function resolveHistWindow(store: Store, q: WindowQuery): Promise<Window> {
  return (async () => {
    let { from, to } = q;
    if (!from || !to) {
      const rs = await store.client.query({
        query: `SELECT toUnixTimestamp(toStartOfHour(min(ts))) AS lo, toUnixTimestamp(toStartOfHour(max(ts))) + 3600 AS hi, count() AS n
                FROM server_histograms WHERE has({hist_metrics:Array(String)}, metric)`,
        query_params: { hist_metrics: ALL_METRICS },
        format: 'JSONEachRow',
      });
      const [r] = await rs.json<{ lo: number; hi: number; n: number }>();
      const empty = !r || Number(r.n) === 0;
      from ??= new Date(empty ? 0 : Number(r.lo) * 1000);
      to ??= new Date(empty ? 0 : Number(r.hi) * 1000);
    }
    if (from > to) throw new BadRequestError(`empty window: from ${from.toISOString()} is after to ${to.toISOString()}`);
    return { from, to };
  })();
}

/**
 * The SQL of the server-latency KPI (for JSON and Arrow). Default window: the hours the
 * histograms cover. Ungrouped, a window without any increase gives no row (not a row of nulls).
 */
export async function buildServerLatency(store: Store, _config: Config, q: ServerLatencyQuery): Promise<KpiSql> {
  checkDimensions(q.by, SERVER_LATENCY_DIMENSION_NAMES);
  const window = await resolveHistWindow(store, q);
  const dims = q.by.map((d) => `${SERVER_LATENCY_DIMENSIONS[d]} AS ${d}`);
  const [itlNew, itlOld] = LATENCY_METRICS.itl;
  const families = ['ttft', 'itl', 'e2e'] as const;
  // sumMap drops keys whose values sum to 0 (a bucket nothing fell into): the third
  // array (a count of contributions per le) keeps them; only .1 (le) and .2 (counts) are read.
  const hist = (name: string, alias: string) => `sumMapIf(les, cum_increase, arrayMap(x -> toUInt64(1), les), metric = '${name}') AS ${alias}`;
  const quantileCols = families.flatMap((f) => QUANTILES.map(({ suffix }) => `if(isNull(${f}_s_${suffix}), NULL, ${f}_s_${suffix} * 1000) AS ${f}_ms_${suffix}`));
  const query = `
    WITH ${HIST_INCREASE_CTES}
    SELECT ${[...q.by, 'requests', ...quantileCols].join(',\n      ')}
    FROM (
      SELECT *,
        ${families.map((f) => `${f}_hist.1 AS ${f}_les, ${envelope(`${f}_hist.2`)} AS ${f}_cum`).join(',\n        ')},
        if(length(e2e_cum) = 0, NULL, e2e_cum[-1]) AS requests,
        ${families.flatMap((f) => QUANTILES.map(({ q: level, suffix }) => bucketQuantileSql(f, level, suffix))).join(',')}
      FROM (
        SELECT ${[
          ...dims,
          hist(LATENCY_METRICS.ttft[0], 'ttft_hist'),
          hist(itlNew, 'itl_new_hist'),
          hist(itlOld, 'itl_old_hist'),
          // prefer the current name; the older one only where the group has none of it
          `if(arraySum(itl_new_hist.2) > 0, itl_new_hist, itl_old_hist) AS itl_hist`,
          hist(LATENCY_METRICS.e2e[0], 'e2e_hist'),
        ].join(',\n          ')}
        FROM hist_increases
        ${q.by.length ? `GROUP BY ${q.by.join(', ')}` : 'HAVING count() > 0'}
      )
    )
    ${q.by.length ? `ORDER BY ${q.by.join(', ')}` : ''}`;
  return {
    window,
    query,
    query_params: { ...windowParams(window), hist_metrics: ALL_METRICS },
    clickhouse_settings: { log_comment: 'kpi:server_latency' },
  };
}

/**
 * ttft_ms, itl_ms, e2e_ms at p50/p90/p95/p99 from server histograms, grouped by model,
 * server_kind, service, instance and/or hour. A quantile without observations is null.
 */
export async function serverLatency(store: Store, config: Config, q: ServerLatencyQuery): Promise<KpiResult<ServerLatencyRow>> {
  return runKpiSql<ServerLatencyRow>(store, await buildServerLatency(store, config, q));
}
