/**
 * Unit economics (pipelines/kpi/unit-economics.ts) read from the hourly rollups: the
 * same rows, same names and order. Sums are those of the raw computation (integers and
 * micro-dollars exactly; float shares up to summation order); latency quantiles come
 * from merged DDSketch states, within 1 % of the value at the sketch's rank (DDSketch's
 * guarantee), which is within 2 % of quantileExact's wherever neighbouring values are
 * within 1 % of each other — every group of more than a handful of requests.
 *
 * `unitEconomicsAuto` is what reports call: rollups (plus the unsettled hours from the
 * facts) when the window is hour-aligned and every dimension is in the rollup key,
 * else the raw computation.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { ROLLUP_SKETCH_PARAMS } from '../../core/schema/migrations.js';
import {
  checkDimensions,
  REQUEST_DIMENSIONS,
  unitEconomics,
  type KpiResult,
  type RequestDimension,
  type UnitEconomicsQuery,
  type UnitEconomicsRow,
} from '../kpi/unit-economics.js';
import { windowJson } from '../kpi/window.js';
import { assertAligned, planRollupRead, type RollupPlan } from './plan.js';
import { requestParts } from './read-parts.js';
import { ROLLUP_KEY } from './rollup-sql.js';

/** Dimensions a rollup row can be grouped by: its key, and time buckets of whole hours. */
export const ROLLUP_DIMENSIONS: readonly RequestDimension[] = [...ROLLUP_KEY, 'hour', 'day'];

const merged = (col: string, i: number) => `quantilesDDMerge(${ROLLUP_SKETCH_PARAMS})(r_${col})[${i}]`;
const LEVELS = [
  ['p50', 1],
  ['p90', 2],
  ['p95', 3],
  ['p99', 4],
] as const;

/** UNIT_ECONOMICS_KPIS over `req_parts`, in the same order with the same names. */
const ROLLUP_UNIT_ECONOMICS_KPIS = [
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
  ...LEVELS.map(([name, i]) => `if(requests = 0, NULL, ${merged('e2e_ms', i)}) AS e2e_ms_${name}`),
  ...LEVELS.map(([name, i]) => `if(sum(r_ttft_count) = 0, NULL, ${merged('ttft_ms', i)}) AS ttft_ms_${name}`),
  ...LEVELS.map(([name, i]) => `if(sum(r_tpot_count) = 0, NULL, ${merged('tpot_ms', i)}) AS tpot_ms_${name}`),
].join(',\n    ');

/** Whether a query can be read from the rollups at all (the data decides the rest: plan.ts). */
export function rollupDimensions(by: readonly string[]): boolean {
  return by.every((d) => (ROLLUP_DIMENSIONS as readonly string[]).includes(d));
}

/**
 * Unit economics from the rollups (with the unsettled hours of the window from the
 * facts). A window that is not hour-aligned or a dimension outside the rollup key is a
 * BadRequestError: use unitEconomicsAuto to fall back to the raw computation.
 */
export async function unitEconomicsFromRollups(store: Store, config: Config, q: UnitEconomicsQuery, plan?: RollupPlan): Promise<KpiResult<UnitEconomicsRow>> {
  checkDimensions(q.by, ROLLUP_DIMENSIONS);
  const p = plan ?? (await planRollupRead(store, config, q));
  assertAligned(p);
  const parts = requestParts(config, p);
  const dims = q.by.map((d) => `${REQUEST_DIMENSIONS[d]} AS ${d}`);
  const query = `
    ${parts.with}
    SELECT ${[...dims, ROLLUP_UNIT_ECONOMICS_KPIS].join(',\n    ')}
    FROM req_parts
    ${q.tenant !== undefined ? 'WHERE tenant = {tenant:String}' : ''}
    ${q.by.length ? `GROUP BY ${q.by.join(', ')} ORDER BY ${q.by.join(', ')}` : ''}`;
  const rs = await store.client.query({
    query,
    query_params: { ...parts.params, tenant: q.tenant ?? '' },
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: `kpi:unit_economics:${p.source}`, output_format_json_quote_64bit_integers: 0 },
  });
  let rows = await rs.json<UnitEconomicsRow>();
  if (q.by.length === 0 && rows.length === 1 && rows[0]!.requests === 0) rows = [];
  return { window: windowJson(p.window), rows };
}

/** Unit economics from the rollups when the query allows it, else from the facts. */
export async function unitEconomicsAuto(store: Store, config: Config, q: UnitEconomicsQuery): Promise<KpiResult<UnitEconomicsRow>> {
  checkDimensions(q.by, Object.keys(REQUEST_DIMENSIONS));
  if (!rollupDimensions(q.by)) return unitEconomics(store, config, q);
  const plan = await planRollupRead(store, config, q);
  if (plan.source === 'raw') return unitEconomics(store, config, { ...q, from: plan.window.from, to: plan.window.to });
  return unitEconomicsFromRollups(store, config, q, plan);
}
