/**
 * Metering reconciliation (KPIS.md "Revenue and margin" → Reconciliation): tokens the
 * gateway metered vs tokens the inference servers counted, per deployment and hour.
 *
 * Gateway side: requests of the window (span start in [from, to)), deduplicated on
 * (trace_id, span_id), attributed to a deployment as everywhere (sql/request-cost.ts:
 * server.address among its endpoints, else the deployment serving the model); input +
 * output tokens of all of them — errored ones too, since the server processed them
 * whether or not they are billed.
 *
 * Server side: the token counters of server_samples — `prompt_tokens_total` and
 * `generation_tokens_total` (vLLM `vllm:*`, NIM's vLLM-style names, SGLang `sglang:*`; the
 * same names without `_total`, as OTel's Prometheus name normalisation writes them, are
 * accepted too). Per series (service, instance, model, metric, attributes), deduplicated
 * on time:
 * - the increase of a sample is its value minus the series' previous sample (a drop is a
 *   counter reset: the new value counts), and it counts in the hour of the sample's
 *   timestamp. The previous sample is looked up as far as one hour before the window, so
 *   the interval across an hour boundary is counted once, in the later hour. This is
 *   PromQL's `increase` without extrapolation, except that the first interval of an hour
 *   starts at the last sample of the hour before (not at the hour's first sample), so
 *   hours add up to the whole window's increase.
 * - a series' first sample has no predecessor and adds nothing.
 * - series → deployment: the `instance` host (port stripped) or the whole `instance`, or
 *   the `service` (the scrape job), among a deployment's endpoints; else a deployment
 *   named like the `service`; else the deployment serving the series' `model` label;
 *   else `unassigned`.
 *
 * `metering_drift` = (gateway_tokens − server_tokens) / server_tokens; null when the
 * server counted nothing or there is no server interval (server_tokens null: no counter
 * increase could be measured for that row).
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { inventoryParams, p, UNASSIGNED } from './inventory.js';
import { FROM, TO } from './sql/gpu-hours.js';
import { REQUEST_DEPLOYMENT } from './sql/request-cost.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import { checkDimensions, type KpiResult } from './unit-economics.js';
import { resolveWindow, windowParams, type WindowQuery } from './window.js';

const DIMENSIONS = {
  deployment: 'deployment',
  hour: "formatDateTime(hour, '%Y-%m-%dT%H:00:00Z')",
  day: "formatDateTime(toStartOfDay(hour), '%Y-%m-%d')",
} as const;
export type ReconciliationDimension = keyof typeof DIMENSIONS;
export const RECONCILIATION_DIMENSIONS = Object.keys(DIMENSIONS) as ReconciliationDimension[];

export interface ReconciliationQuery extends WindowQuery {
  /** default: deployment, hour */
  by?: ReconciliationDimension[];
}

export interface ReconciliationRow {
  [key: string]: string | number | null;
  gateway_requests: number;
  gateway_input_tokens: number;
  gateway_output_tokens: number;
  gateway_tokens: number;
  server_prompt_tokens: number | null;
  server_generation_tokens: number | null;
  server_tokens: number | null;
  metering_drift: number | null;
}

/** Server token counters, by name (prefix already stripped by the view). */
const PROMPT_COUNTERS = "('prompt_tokens_total', 'prompt_tokens')";
const GENERATION_COUNTERS = "('generation_tokens_total', 'generation_tokens')";

/** The deployment of a server series. Needs service, instance, model in scope. */
const SERVER_DEPLOYMENT = `coalesce(
      nullIf(transform(replaceRegexpAll(replaceRegexpOne(instance, ':[0-9]+$', ''), '^\\\\[|\\\\]$', ''), ${p('inv_endpoint_keys')}, ${p('inv_endpoint_deps')}, ''), ''),
      nullIf(transform(instance, ${p('inv_endpoint_keys')}, ${p('inv_endpoint_deps')}, ''), ''),
      nullIf(transform(service, ${p('inv_endpoint_keys')}, ${p('inv_endpoint_deps')}, ''), ''),
      nullIf(if(has(${p('inv_dep_names')}, service), service, ''), ''),
      nullIf(transform(model, ${p('inv_model_keys')}, ${p('inv_model_deps')}, ''), ''),
      '${UNASSIGNED}')`;

const RECONCILIATION_CTES = `
  gateway_rows AS (
    SELECT hour, ${REQUEST_DEPLOYMENT} AS deployment, input_tokens, output_tokens
    FROM llm_requests
    WHERE hour >= toStartOfHour(${FROM}) AND hour < ${TO} AND ts >= ${FROM} AND ts < ${TO}
    LIMIT 1 BY trace_id, span_id
  ),
  server_points AS (
    SELECT service, instance, model, metric, cityHash64(attributes) AS series_attrs, ts, any(value) AS counter_value
    FROM server_samples
    WHERE (metric IN ${PROMPT_COUNTERS} OR metric IN ${GENERATION_COUNTERS})
      AND ts >= ${FROM} - INTERVAL 1 HOUR AND ts < ${TO}
    GROUP BY service, instance, model, metric, series_attrs, ts
  ),
  server_intervals AS (
    SELECT *,
      lagInFrame(toNullable(counter_value)) OVER (
        PARTITION BY service, instance, model, metric, series_attrs ORDER BY ts
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS prev_value
    FROM server_points
  ),
  server_rows AS (
    SELECT toStartOfHour(ts) AS hour, ${SERVER_DEPLOYMENT} AS deployment,
      metric IN ${PROMPT_COUNTERS} AS is_prompt,
      if(counter_value >= assumeNotNull(prev_value), counter_value - assumeNotNull(prev_value), counter_value) AS increase
    FROM server_intervals
    WHERE ts >= ${FROM} AND prev_value IS NOT NULL
  ),
  parts AS (
    SELECT hour, deployment, 1 AS is_request, input_tokens AS gw_in, output_tokens AS gw_out,
      0 AS is_interval, toFloat64(0) AS srv_prompt, toFloat64(0) AS srv_generation
    FROM gateway_rows
    UNION ALL
    SELECT hour, deployment, 0, 0, 0, 1, if(is_prompt, increase, 0), if(is_prompt, 0, increase)
    FROM server_rows
  )`;

const RECONCILIATION_KPIS = `
    sum(is_request) AS gateway_requests,
    sum(gw_in) AS gateway_input_tokens,
    sum(gw_out) AS gateway_output_tokens,
    gateway_input_tokens + gateway_output_tokens AS gateway_tokens,
    sum(is_interval) AS server_intervals,
    if(server_intervals = 0, NULL, sum(srv_prompt)) AS server_prompt_tokens,
    if(server_intervals = 0, NULL, sum(srv_generation)) AS server_generation_tokens,
    server_prompt_tokens + server_generation_tokens AS server_tokens,
    if(server_tokens > 0, (gateway_tokens - server_tokens) / server_tokens, NULL) AS metering_drift`;

/**
 * The SQL of the reconciliation (for JSON and Arrow). Ungrouped, a window with neither a
 * gateway request nor a server interval gives no row (not a row of zeros and nulls).
 */
export async function buildReconciliation(store: Store, config: Config, q: ReconciliationQuery): Promise<KpiSql> {
  const by = q.by ?? ['deployment', 'hour'];
  checkDimensions(by, RECONCILIATION_DIMENSIONS);
  const window = await resolveWindow(store, q);
  const dims = by.map((d) => `${DIMENSIONS[d]} AS ${d}`);
  const query = `
    WITH ${RECONCILIATION_CTES}
    SELECT * EXCEPT (server_intervals) FROM (
      SELECT ${[...dims, RECONCILIATION_KPIS].join(',\n    ')}
      FROM parts
      ${by.length ? `GROUP BY ${by.join(', ')}` : 'HAVING gateway_requests > 0 OR server_intervals > 0'}
    )
    ${by.length ? `ORDER BY ${by.join(', ')}` : ''}`;
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window) },
    clickhouse_settings: { log_comment: 'kpi:metering_reconciliation' },
  };
}

/** Gateway vs server tokens and metering_drift, by deployment, hour and/or day. */
export async function meteringReconciliation(store: Store, config: Config, q: ReconciliationQuery): Promise<KpiResult<ReconciliationRow>> {
  return runKpiSql<ReconciliationRow>(store, await buildReconciliation(store, config, q));
}
