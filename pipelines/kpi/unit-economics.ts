/**
 * Tokens, unit economics, latency and reliability per any grouping of the request
 * dimensions (KPIS.md), computed from the raw facts in ClickHouse: the reference
 * computation that the rollups must agree with.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { BadRequestError } from '../../core/errors.js';
import { inventoryParams } from './inventory.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES } from './sql/gpu-hours.js';
import { REQUEST_COST_CTES, UNSPREAD_COST_CTE } from './sql/request-cost.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import { resolveWindow, windowParams, type WindowQuery } from './window.js';

/** Request dimensions → SQL over `req_cost`. A fixed map: never SQL from input. */
export const REQUEST_DIMENSIONS = {
  tenant: 'tenant',
  model: 'model',
  endpoint: 'endpoint',
  deployment: 'deployment',
  gpu_type: 'gpu_type',
  service: 'service',
  hour: "formatDateTime(hour, '%Y-%m-%dT%H:00:00Z')",
  day: "formatDateTime(toStartOfDay(hour), '%Y-%m-%d')",
} as const;
export type RequestDimension = keyof typeof REQUEST_DIMENSIONS;
export const REQUEST_DIMENSION_NAMES = Object.keys(REQUEST_DIMENSIONS) as RequestDimension[];

export interface UnitEconomicsQuery extends WindowQuery {
  by: RequestDimension[];
  /** only this tenant's requests (tenant-scoped API keys) */
  tenant?: string | undefined;
}

/** The KPI columns of a report row, KPIS.md names. */
export const UNIT_ECONOMICS_KPIS = `
    count() AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    input_tokens + output_tokens AS tokens,
    countIf(is_error) AS errors,
    sumIf(req_tokens, is_error) AS wasted_tokens,
    if(requests = 0, NULL, errors / requests) AS error_rate,
    sum(cost_micro) / 1e6 AS cost_usd,
    round(sum(cost_input_micro)) / 1e6 AS cost_input_usd,
    round(sum(cost_output_micro)) / 1e6 AS cost_output_usd,
    sum(gpu_hours) AS gpu_hours,
    sum(energy_kwh) AS energy_kwh,
    if(gpu_hours = 0, NULL, tokens / gpu_hours) AS tokens_per_gpu_hour,
    if(gpu_hours = 0, NULL, output_tokens / gpu_hours) AS output_tokens_per_gpu_hour,
    if(tokens = 0, NULL, cost_usd / tokens * 1e6) AS cost_per_mtok_usd,
    if(input_tokens = 0, NULL, cost_input_usd / input_tokens * 1e6) AS cost_per_mtok_input_usd,
    if(output_tokens = 0, NULL, cost_output_usd / output_tokens * 1e6) AS cost_per_mtok_output_usd,
    if(energy_kwh = 0, NULL, tokens / energy_kwh) AS tokens_per_kwh,
    if(tokens = 0, NULL, energy_kwh / tokens * 1e6) AS energy_kwh_per_mtok,
    if(requests = 0, NULL, quantileExact(0.5)(e2e_ms)) AS e2e_ms_p50,
    if(requests = 0, NULL, quantileExact(0.9)(e2e_ms)) AS e2e_ms_p90,
    if(requests = 0, NULL, quantileExact(0.95)(e2e_ms)) AS e2e_ms_p95,
    if(requests = 0, NULL, quantileExact(0.99)(e2e_ms)) AS e2e_ms_p99,
    if(count(ttft_ms) = 0, NULL, quantileExact(0.5)(ttft_ms)) AS ttft_ms_p50,
    if(count(ttft_ms) = 0, NULL, quantileExact(0.9)(ttft_ms)) AS ttft_ms_p90,
    if(count(ttft_ms) = 0, NULL, quantileExact(0.95)(ttft_ms)) AS ttft_ms_p95,
    if(count(ttft_ms) = 0, NULL, quantileExact(0.99)(ttft_ms)) AS ttft_ms_p99,
    if(count(tpot_ms) = 0, NULL, quantileExact(0.5)(tpot_ms)) AS tpot_ms_p50,
    if(count(tpot_ms) = 0, NULL, quantileExact(0.9)(tpot_ms)) AS tpot_ms_p90,
    if(count(tpot_ms) = 0, NULL, quantileExact(0.95)(tpot_ms)) AS tpot_ms_p95,
    if(count(tpot_ms) = 0, NULL, quantileExact(0.99)(tpot_ms)) AS tpot_ms_p99`;

export interface UnitEconomicsRow {
  [key: string]: string | number | null;
}

export interface KpiResult<R> {
  window: { from: string; to: string };
  rows: R[];
}

export function checkDimensions(by: readonly string[], allowed: readonly string[]): void {
  for (const d of by) if (!allowed.includes(d)) throw new BadRequestError(`unknown dimension "${d}": expected one of ${allowed.join(', ')}`);
  const seen = new Set<string>();
  for (const d of by) {
    if (seen.has(d)) throw new BadRequestError(`dimension "${d}" given twice`);
    seen.add(d);
  }
}

/**
 * The SQL of unitEconomics, for the JSON and Arrow outputs alike. Ungrouped, a window
 * without any request gives no row (ClickHouse would return one row of zeros):
 * `HAVING requests > 0`, in SQL so that Arrow holds the same rows as JSON.
 */
export async function buildUnitEconomics(store: Store, config: Config, q: UnitEconomicsQuery): Promise<KpiSql> {
  checkDimensions(q.by, REQUEST_DIMENSION_NAMES);
  const window = await resolveWindow(store, q);
  const dims = q.by.map((d) => `${REQUEST_DIMENSIONS[d]} AS ${d}`);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES}
    SELECT ${[...dims, UNIT_ECONOMICS_KPIS].join(',\n    ')}
    FROM req_cost
    ${q.tenant !== undefined ? 'WHERE tenant = {tenant:String}' : ''}
    ${q.by.length ? `GROUP BY ${q.by.join(', ')} ORDER BY ${q.by.join(', ')}` : 'HAVING requests > 0'}`;
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window), tenant: q.tenant ?? '' },
    clickhouse_settings: { log_comment: 'kpi:unit_economics' },
  };
}

/** Unit economics from the raw facts (reports read unitEconomicsAuto, pipelines/rollups). */
export async function unitEconomics(store: Store, config: Config, q: UnitEconomicsQuery): Promise<KpiResult<UnitEconomicsRow>> {
  return runKpiSql<UnitEconomicsRow>(store, await buildUnitEconomics(store, config, q));
}

export interface CostTotals {
  gpu_hours: number;
  gpu_cost_usd: number;
  request_cost_usd: number;
  idle_cost_usd: number;
  unassigned_cost_usd: number;
}

export type CostTotalsDimension = 'deployment' | 'hour' | 'day' | 'gpu_type';
export const COST_TOTALS_DIMENSIONS: readonly CostTotalsDimension[] = ['deployment', 'hour', 'day', 'gpu_type'];

/**
 * The SQL of costTotals, for the JSON and Arrow outputs alike: where every GPU dollar
 * went in the window — attributed to requests, idle (deployment-hours without tokens) or
 * unassigned (GPUs of no deployment). gpu_cost_usd = request_cost_usd + idle_cost_usd +
 * unassigned_cost_usd exactly.
 */
export async function buildCostTotals(store: Store, config: Config, q: WindowQuery & { by?: CostTotalsDimension[] }): Promise<KpiSql> {
  const by = q.by ?? [];
  checkDimensions(by, COST_TOTALS_DIMENSIONS);
  const window = await resolveWindow(store, q);
  const dimSql = (d: string) => (d === 'hour' ? "formatDateTime(hour, '%Y-%m-%dT%H:00:00Z')" : d === 'day' ? "formatDateTime(toStartOfDay(hour), '%Y-%m-%d')" : d);
  const dims = by.map((d) => `${dimSql(d)} AS ${d}`);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES}, ${UNSPREAD_COST_CTE},
    parts AS (
      SELECT hour, deployment, gpu_type, cost_micro AS request_micro, 0 AS idle_micro, 0 AS unassigned_micro, gpu_hours FROM req_cost
      UNION ALL
      SELECT hour, deployment, gpu_type, 0, idle_cost_micro, unassigned_cost_micro, gpu_hours FROM unspread
    )
    SELECT ${[...dims,
      'sum(gpu_hours) AS gpu_hours',
      '(sum(request_micro) + sum(idle_micro) + sum(unassigned_micro)) / 1e6 AS gpu_cost_usd',
      'sum(request_micro) / 1e6 AS request_cost_usd',
      'sum(idle_micro) / 1e6 AS idle_cost_usd',
      'sum(unassigned_micro) / 1e6 AS unassigned_cost_usd'].join(',\n      ')}
    FROM parts
    ${by.length ? `GROUP BY ${by.join(', ')} ORDER BY ${by.join(', ')}` : ''}`;
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window) },
    clickhouse_settings: { log_comment: 'kpi:cost_totals' },
  };
}

/** Cost totals from the raw facts (reports read costTotalsAuto, pipelines/rollups). */
export async function costTotals(store: Store, config: Config, q: WindowQuery & { by?: CostTotalsDimension[] }): Promise<KpiResult<CostTotals & Record<string, string | number>>> {
  return runKpiSql(store, await buildCostTotals(store, config, q));
}

/** Σ GPU cost straight from the GPU side (no attribution), for the identity check. */
export async function gpuCostMicro(store: Store, config: Config, q: WindowQuery): Promise<number> {
  const window = await resolveWindow(store, q);
  const rs = await store.client.query({
    query: `WITH ${GPU_HOURLY_CTES} SELECT sum(cost_micro) AS c FROM gpu_hourly`,
    query_params: { ...inventoryParams(config), ...windowParams(window) },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ c: number }>())[0]?.c ?? 0);
}
