/**
 * The SQL of the rollups, in one place for the uses that must agree: settling (INSERT …
 * SELECT from the attribution CTEs, then hours merged into days), reading (SELECT from
 * the rollup tables) and the raw part of a mixed read (the same aggregation over the
 * attribution CTEs for the hours not settled yet).
 *
 * Intermediate columns are prefixed `r_` so that no aggregate reads an alias of another
 * (ClickHouse alias shadowing: `sum(x) AS x` then `sumIf(x, …)` is ILLEGAL_AGGREGATION).
 */
import { p, UNASSIGNED } from '../kpi/inventory.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES } from '../kpi/sql/gpu-hours.js';
import { REQUEST_COST_CTES } from '../kpi/sql/request-cost.js';
import { REQUEST_REVENUE_CTE } from '../kpi/sql/request-revenue.js';
import { histogramColumns } from './latency-histogram.js';

/** The rollup key besides the hour: the request dimensions a rollup row is grouped by. */
export const ROLLUP_KEY = ['tenant', 'model', 'endpoint', 'deployment', 'gpu_type', 'service'] as const;

/** A stored measure: how settling aggregates it from requests, and how rows of it merge. */
export interface Measure {
  name: string;
  /** aggregate over `req_revenue` (one row per request) */
  fromFacts: string;
  /** aggregate over stored rows of `name` (hours into a day) */
  merge: string;
}

const summed = (name: string, fromFacts: string): Measure => ({ name, fromFacts, merge: `sum(${name})` });

const histogram = (col: string): Measure[] => {
  const [keys, counts] = histogramColumns(col);
  const merged = `sumMap(${col}_keys, ${col}_counts)`;
  return [
    { name: `${col}_keys`, fromFacts: keys, merge: `(${merged}).1` },
    { name: `${col}_counts`, fromFacts: counts, merge: `(${merged}).2` },
  ];
};

/**
 * The measures of the request rollups. Sums are exact integers (counts, tokens,
 * micro-dollars) except the float shares (cost_input/output_micro, gpu_hours,
 * energy_kwh), which unitEconomics also sums as floats; latency as histograms
 * (latency-histogram.ts).
 */
export const REQUEST_MEASURES: readonly Measure[] = [
  summed('requests', 'count()'),
  summed('input_tokens', 'sum(input_tokens)'),
  summed('output_tokens', 'sum(output_tokens)'),
  summed('errors', 'countIf(is_error)'),
  summed('error_input_tokens', 'sumIf(input_tokens, is_error)'),
  summed('error_output_tokens', 'sumIf(output_tokens, is_error)'),
  summed('cost_micro', 'sum(cost_micro)'),
  summed('cost_input_micro', 'sum(cost_input_micro)'),
  summed('cost_output_micro', 'sum(cost_output_micro)'),
  summed('gpu_hours', 'sum(gpu_hours)'),
  summed('energy_kwh', 'sum(energy_kwh)'),
  summed('revenue_micro', 'sum(revenue_micro)'),
  summed('billed_requests', 'countIf(billable = 1 AND priced = 1)'),
  summed('unpriced_requests', 'countIf(priced = 0)'),
  summed('unpriced_tokens', 'sumIf(req_tokens, priced = 0)'),
  summed('ttft_count', 'count(ttft_ms)'),
  summed('tpot_count', 'count(tpot_ms)'),
  ...histogram('e2e_ms'),
  ...histogram('ttft_ms'),
  ...histogram('tpot_ms'),
];

const KEY = ROLLUP_KEY.join(', ');
const NAMES = REQUEST_MEASURES.map((m) => m.name).join(', ');

/**
 * The rows a read may use, of the hourly table (`rv` parameters) or the daily one (`dv`):
 * the plan's hours or days (`{rv_hours}`, within [rv_lo, rv_hi] for the primary key) at
 * their current version (`{rv_versions}`); anything else maps to version 0, which no
 * settle writes.
 */
export function currentVersion(prefix: 'rv' | 'dv'): string {
  return `hour >= {${prefix}_lo:DateTime} AND hour <= {${prefix}_hi:DateTime}
      AND version = transform(hour, {${prefix}_hours:Array(DateTime)}, {${prefix}_versions:Array(UInt64)}, toUInt64(0)) AND version != 0`;
}

/** Every CTE the request rollup reads: attribution, then revenue (`req_revenue`). */
export const REQUEST_ROLLUP_CTES = `${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES}, ${REQUEST_REVENUE_CTE}`;

/** `hour, <key>, r_<measure>…` aggregated from `req_revenue`. Needs REQUEST_ROLLUP_CTES. */
export const REQUEST_PART_FROM_FACTS = `
    SELECT hour, ${KEY}, ${REQUEST_MEASURES.map((m) => `${m.fromFacts} AS r_${m.name}`).join(', ')}
    FROM req_revenue
    GROUP BY hour, ${KEY}`;

/** The same columns read from the hourly rollup, rows of the plan's hours at their current version. */
export const REQUEST_PART_FROM_HOURLY = `
    SELECT hour, ${KEY}, ${REQUEST_MEASURES.map((m) => `${m.name} AS r_${m.name}`).join(', ')}
    FROM rollup_requests_hourly
    WHERE ${currentVersion('rv')}`;

/** The same columns read from the daily rollup (`hour` = start of the day). */
export const REQUEST_PART_FROM_DAILY = `
    SELECT hour, ${KEY}, ${REQUEST_MEASURES.map((m) => `${m.name} AS r_${m.name}`).join(', ')}
    FROM rollup_requests_daily
    WHERE ${currentVersion('dv')}`;

/** Settling: the request rollup rows of the window [from, to) under `{version:UInt64}`. */
export const INSERT_REQUEST_ROLLUP = `
  INSERT INTO rollup_requests_hourly (hour, version, ${KEY}, ${NAMES})
  WITH ${REQUEST_ROLLUP_CTES}
  SELECT hour, {version:UInt64}, ${KEY}, ${REQUEST_MEASURES.map((m) => `r_${m.name}`).join(', ')}
  FROM (${REQUEST_PART_FROM_FACTS})`;

/** The current version of every settled hour of the day `{day:DateTime}`. */
const DAY_HOURS = `
    SELECT hour, max(version) AS cur_version FROM rollup_hours
    WHERE hour >= {day:DateTime} AND hour < {day:DateTime} + INTERVAL 1 DAY
    GROUP BY hour`;

/** Settling: the day `{day:DateTime}` merged from its hours' current rows, under `{version:UInt64}`. */
export const INSERT_DAILY_ROLLUP = `
  INSERT INTO rollup_requests_daily (hour, version, ${KEY}, ${NAMES})
  SELECT {day:DateTime}, {version:UInt64}, ${KEY}, ${REQUEST_MEASURES.map((m) => `${m.merge} AS d_${m.name}`).join(', ')}
  FROM rollup_requests_hourly
  WHERE hour >= {day:DateTime} AND hour < {day:DateTime} + INTERVAL 1 DAY
    AND (hour, version) GLOBAL IN (${DAY_HOURS})
  GROUP BY ${KEY}`;

/** Settling: the record of the day, with the newest hour version it was built from. */
export const INSERT_DAY_RECORD = `
  INSERT INTO rollup_days (day, version, hours_version, settled_at)
  SELECT {day:DateTime}, {version:UInt64}, max(cur_version), now64(3) FROM (${DAY_HOURS})`;

/**
 * Per deployment-hour: its GPU time and cost, whether requests carried the cost
 * (`served`: weighted tokens > 0, as dep_served of REQUEST_COST_CTES), and otherwise
 * where it goes — idle (a deployment's GPUs without tokens) or unassigned (GPUs of no
 * deployment), as UNSPREAD_COST_CTE. Needs GPU_HOURLY_CTES, DEPLOYMENT_HOURLY_CTE and a
 * relation `served` (hour, deployment) of the deployment-hours requests carried.
 */
export const DEPLOYMENT_ROLLUP_SELECT = `
    SELECT d.hour AS hour, d.deployment AS deployment, d.dep_gpu_type AS gpu_type,
      d.dep_gpus AS gpus, d.dep_gpu_hours AS gpu_hours, d.dep_energy_kwh AS energy_kwh,
      d.dep_busy_s AS busy_s, d.dep_activity_s AS activity_s, d.dep_cost_micro AS cost_micro,
      toUInt8(ifNull(s.is_served, 0)) AS served,
      if(d.deployment = '${UNASSIGNED}' OR served = 1, 0, d.dep_cost_micro) AS idle_cost_micro,
      if(d.deployment = '${UNASSIGNED}', d.dep_cost_micro, 0) AS unassigned_cost_micro
    FROM dep_hourly AS d
    LEFT JOIN (SELECT hour, deployment, 1 AS is_served FROM served) AS s ON d.hour = s.hour AND d.deployment = s.deployment`;

const DEPLOYMENT_COLUMNS = 'hour, deployment, gpu_type, gpus, gpu_hours, energy_kwh, busy_s, activity_s, cost_micro, served, idle_cost_micro, unassigned_cost_micro';

/**
 * Settling, after INSERT_REQUEST_ROLLUP of the same window and version: the deployment
 * rows. Which deployment-hours requests served comes from the request rows just written
 * (Σ weight = w_in × Σ input + w_out × Σ output, all terms ≥ 0), not from the requests
 * again.
 */
export const INSERT_DEPLOYMENT_ROLLUP = `
  INSERT INTO rollup_deployments_hourly (version, ${DEPLOYMENT_COLUMNS})
  WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE},
  served AS (
    SELECT hour, deployment FROM rollup_requests_hourly
    WHERE hour >= toStartOfHour({from:DateTime64(3)}) AND hour < {to:DateTime64(3)} AND version = {version:UInt64} AND deployment != '${UNASSIGNED}'
    GROUP BY hour, deployment
    HAVING sum(input_tokens) * ${p('w_in')} + sum(output_tokens) * ${p('w_out')} > 0
  )
  SELECT {version:UInt64}, ${DEPLOYMENT_COLUMNS} FROM (${DEPLOYMENT_ROLLUP_SELECT})`;

/** The deployment-hour rows of the current version of each hour. */
export const DEPLOYMENT_PART_FROM_ROLLUPS = `
    SELECT ${DEPLOYMENT_COLUMNS}
    FROM rollup_deployments_hourly
    WHERE ${currentVersion('rv')}`;
