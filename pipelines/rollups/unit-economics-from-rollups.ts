/**
 * Unit economics (pipelines/kpi/unit-economics.ts) read from the hourly rollups: the
 * same rows, same names and order. Sums are those of the raw computation (integers and
 * micro-dollars exactly; float shares up to summation order); latency quantiles come
 * from merged log-bucket histograms at quantileExact's rank, within 0.99 % of exact
 * (latency-histogram.ts; KPIS.md allows 2 %).
 *
 * `unitEconomicsAuto` is what reports call: rollups (plus the unsettled hours from the
 * facts) when the window is hour-aligned and every dimension is in the rollup key,
 * else the raw computation.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import {
  buildUnitEconomics,
  checkDimensions,
  REQUEST_DIMENSIONS,
  type KpiResult,
  type RequestDimension,
  type UnitEconomicsQuery,
  type UnitEconomicsRow,
} from '../kpi/unit-economics.js';
import { runKpiSql, type KpiSql } from '../kpi/server-latency.js';
import { assertAligned, planRollupRead, type RollupPlan } from './plan.js';
import { requestParts } from './read-parts.js';
import { ROLLUP_KEY } from './rollup-sql.js';
import { histogramMerge, histogramPrepared, histogramQuantile } from './latency-histogram.js';

/** Dimensions a rollup row can be grouped by: its key, and time buckets of whole hours. */
export const ROLLUP_DIMENSIONS: readonly RequestDimension[] = [...ROLLUP_KEY, 'hour', 'day'];

const LEVELS = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;
const LATENCIES = ['e2e_ms', 'ttft_ms', 'tpot_ms'] as const;

/**
 * UNIT_ECONOMICS_KPIS over `req_parts`, in three steps: per group the sums and the merged
 * latency histograms (`h_*`, and the value counts `n_*`); then each histogram's bucket
 * values, running counts and total (`v_*`, `c_*`, `m_*`); then the quantiles. The helper
 * columns are dropped, so names and order are those of UNIT_ECONOMICS_KPIS.
 */
const GROUP_SUMS = [
  'sum(r_requests) AS requests',
  'sum(r_input_tokens) AS input_tokens',
  'sum(r_output_tokens) AS output_tokens',
  'input_tokens + output_tokens AS tokens',
  'sum(r_errors) AS errors',
  'sum(r_error_input_tokens) + sum(r_error_output_tokens) AS wasted_tokens',
  'if(requests = 0, NULL, errors / requests) AS error_rate',
  'sum(r_cost_micro) / 1e6 AS cost_usd',
  'round(sum(r_cost_input_micro)) / 1e6 AS cost_input_usd',
  'round(sum(r_cost_output_micro)) / 1e6 AS cost_output_usd',
  'sum(r_gpu_hours) AS gpu_hours',
  'sum(r_energy_kwh) AS energy_kwh',
  'if(gpu_hours = 0, NULL, tokens / gpu_hours) AS tokens_per_gpu_hour',
  'if(gpu_hours = 0, NULL, output_tokens / gpu_hours) AS output_tokens_per_gpu_hour',
  'if(tokens = 0, NULL, cost_usd / tokens * 1e6) AS cost_per_mtok_usd',
  'if(input_tokens = 0, NULL, cost_input_usd / input_tokens * 1e6) AS cost_per_mtok_input_usd',
  'if(output_tokens = 0, NULL, cost_output_usd / output_tokens * 1e6) AS cost_per_mtok_output_usd',
  'if(energy_kwh = 0, NULL, tokens / energy_kwh) AS tokens_per_kwh',
  'if(tokens = 0, NULL, energy_kwh / tokens * 1e6) AS energy_kwh_per_mtok',
  ...LATENCIES.map((l) => `${histogramMerge(`r_${l}_keys`, `r_${l}_counts`)} AS h_${l}`),
  'sum(r_ttft_count) AS n_ttft_ms',
  'sum(r_tpot_count) AS n_tpot_ms',
].join(',\n        ');

const PREPARED = LATENCIES.map((l) => {
  const p = histogramPrepared(`h_${l}`);
  return `${p.values} AS v_${l}, ${p.cumulative} AS c_${l}, ${p.total} AS m_${l}`;
}).join(',\n      ');

const HELPERS = [...LATENCIES.flatMap((l) => [`h_${l}`, `v_${l}`, `c_${l}`, `m_${l}`]), 'n_ttft_ms', 'n_tpot_ms'].join(', ');

const QUANTILES = LATENCIES.flatMap((l) =>
  LEVELS.map(([name, q]) => `if(${l === 'e2e_ms' ? `m_${l}` : `n_${l}`} = 0, NULL, ${histogramQuantile(`v_${l}`, `c_${l}`, `m_${l}`, q)}) AS ${l}_${name}`),
).join(',\n    ');

/** Whether a query can be read from the rollups at all (the data decides the rest: plan.ts). */
export function rollupDimensions(by: readonly string[]): boolean {
  return by.every((d) => (ROLLUP_DIMENSIONS as readonly string[]).includes(d));
}

/**
 * The query of unit economics from the rollups (with the unsettled hours of the window
 * from the facts), for the JSON and Arrow outputs alike. A window that is not
 * hour-aligned or a dimension outside the rollup key is a BadRequestError: use
 * unitEconomicsAuto to fall back to the raw computation.
 */
export async function buildUnitEconomicsFromRollups(store: Store, config: Config, q: UnitEconomicsQuery, plan?: RollupPlan): Promise<KpiSql> {
  checkDimensions(q.by, ROLLUP_DIMENSIONS);
  const p = plan ?? (await planRollupRead(store, config, q, { days: !q.by.includes('hour') }));
  assertAligned(p);
  const parts = requestParts(config, p);
  const dims = q.by.map((d) => `${REQUEST_DIMENSIONS[d]} AS ${d}`);
  const query = `
    ${parts.with}
    SELECT * EXCEPT (${HELPERS}),
    ${QUANTILES}
    FROM (
      SELECT *,
      ${PREPARED}
      FROM (
        SELECT ${[...dims, GROUP_SUMS].join(',\n        ')}
        FROM req_parts
        ${q.tenant !== undefined ? 'WHERE tenant = {tenant:String}' : ''}
        ${q.by.length ? `GROUP BY ${q.by.join(', ')}` : 'HAVING requests > 0'}
      )
    )
    ${q.by.length ? `ORDER BY ${q.by.join(', ')}` : ''}`;
  return {
    window: p.window,
    query,
    query_params: { ...parts.params, tenant: q.tenant ?? '' },
    clickhouse_settings: { log_comment: `kpi:unit_economics:${p.source}` },
  };
}

/** Unit economics from the rollups: see buildUnitEconomicsFromRollups. */
export async function unitEconomicsFromRollups(store: Store, config: Config, q: UnitEconomicsQuery, plan?: RollupPlan): Promise<KpiResult<UnitEconomicsRow>> {
  return runKpiSql<UnitEconomicsRow>(store, await buildUnitEconomicsFromRollups(store, config, q, plan));
}

/** Unit economics from the rollups when the query allows it, else from the facts. */
export async function unitEconomicsAuto(store: Store, config: Config, q: UnitEconomicsQuery): Promise<KpiResult<UnitEconomicsRow>> {
  return runKpiSql<UnitEconomicsRow>(store, await buildUnitEconomicsAuto(store, config, q));
}

/**
 * The built query (JSON or Arrow output) of unit economics: from the rollups when the
 * query allows it, else `raw` (default: the raw builder, buildUnitEconomics). The
 * query's log_comment names where it reads: `kpi:unit_economics:rollups|mixed|raw`.
 */
export async function buildUnitEconomicsAuto(
  store: Store,
  config: Config,
  q: UnitEconomicsQuery,
  raw: (store: Store, config: Config, q: UnitEconomicsQuery) => Promise<KpiSql> = buildUnitEconomics,
): Promise<KpiSql> {
  return buildRequestKpiAuto(store, config, q, 'kpi:unit_economics', raw, buildUnitEconomicsFromRollups);
}

type Builder<Q> = (store: Store, config: Config, q: Q) => Promise<KpiSql>;

/**
 * The choice of every request-side KPI with a rollup reading (unit economics, revenue):
 * the rollups (and the facts for unsettled hours) when every dimension is in the rollup
 * key and the window is hour-aligned, else the raw builder over the same window.
 */
export async function buildRequestKpiAuto<Q extends UnitEconomicsQuery>(
  store: Store,
  config: Config,
  q: Q,
  kpi: string,
  raw: Builder<Q>,
  fromRollups: (store: Store, config: Config, q: Q, plan: RollupPlan) => Promise<KpiSql>,
): Promise<KpiSql> {
  checkDimensions(q.by, Object.keys(REQUEST_DIMENSIONS));
  if (!rollupDimensions(q.by)) return fromFacts(await raw(store, config, q), kpi);
  const plan = await planRollupRead(store, config, q, { days: !q.by.includes('hour') });
  if (plan.source === 'raw') return fromFacts(await raw(store, config, { ...q, from: plan.window.from, to: plan.window.to }), kpi);
  return fromRollups(store, config, q, plan);
}

/** A raw builder's query, its log_comment saying that the auto path read the facts. */
export function fromFacts(k: KpiSql, kpi: string): KpiSql {
  return { ...k, clickhouse_settings: { ...k.clickhouse_settings, log_comment: `${kpi}:raw` } };
}
