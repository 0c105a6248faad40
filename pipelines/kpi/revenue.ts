/**
 * Revenue and margin per any grouping of the request dimensions (KPIS.md "Revenue and
 * margin"): billed revenue from the price book (sql/request-revenue.ts) against the
 * attributed cost (sql/request-cost.ts), both integer micro-dollars summed in SQL.
 *
 * - `margin_usd` = revenue_usd − cost_usd; `gross_margin` = margin / revenue (null when
 *   there is no revenue).
 * - The cost is the attributed request cost: idle deployment-hours and unassigned GPUs
 *   are not in any request's cost (KPIS.md "Attribution") and so not in these margins;
 *   costTotals (unit-economics.ts) reports them, and revenue-per-gpu.ts charges the whole
 *   GPU.
 * - `unpriced_requests` / `unpriced_tokens`: requests of a model with no price, earning 0
 *   — shown so missing prices are visible, not silently zero.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { inventoryParams } from './inventory.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES } from './sql/gpu-hours.js';
import { REQUEST_COST_CTES } from './sql/request-cost.js';
import { priceParams, REQUEST_REVENUE_CTE } from './sql/request-revenue.js';
import { checkDimensions, REQUEST_DIMENSION_NAMES, REQUEST_DIMENSIONS, type KpiResult, type RequestDimension } from './unit-economics.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import { resolveWindow, windowParams, type WindowQuery } from './window.js';

export interface RevenueQuery extends WindowQuery {
  by: RequestDimension[];
  /** only this tenant's requests (tenant-scoped API keys) */
  tenant?: string | undefined;
}

export interface RevenueRow {
  [key: string]: string | number | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  tokens: number;
  errors: number;
  billed_requests: number;
  unpriced_requests: number;
  unpriced_tokens: number;
  revenue_usd: number;
  cost_usd: number;
  margin_usd: number;
  gross_margin: number | null;
}

/** KPI columns over `req_revenue`. Intermediate sums are named apart from the outputs (alias shadowing). */
const REVENUE_KPIS = `
    count() AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    input_tokens + output_tokens AS tokens,
    countIf(is_error) AS errors,
    countIf(billable = 1 AND priced = 1) AS billed_requests,
    countIf(priced = 0) AS unpriced_requests,
    sumIf(req_tokens, priced = 0) AS unpriced_tokens,
    sum(revenue_micro) AS sum_revenue_micro,
    sum(cost_micro) AS sum_cost_micro,
    sum_revenue_micro / 1e6 AS revenue_usd,
    sum_cost_micro / 1e6 AS cost_usd,
    (sum_revenue_micro - sum_cost_micro) / 1e6 AS margin_usd,
    if(sum_revenue_micro = 0, NULL, (sum_revenue_micro - sum_cost_micro) / sum_revenue_micro) AS gross_margin`;

/**
 * The SQL of revenueMargin, for the JSON and Arrow outputs alike. Ungrouped, a window
 * without any request gives no row (`HAVING requests > 0`; ClickHouse would return one
 * row of zeros).
 */
export async function buildRevenueMargin(store: Store, config: Config, q: RevenueQuery): Promise<KpiSql> {
  checkDimensions(q.by, REQUEST_DIMENSION_NAMES);
  const window = await resolveWindow(store, q);
  const dims = q.by.map((d) => `${REQUEST_DIMENSIONS[d]} AS ${d}`);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES}, ${REQUEST_REVENUE_CTE}
    SELECT * EXCEPT (sum_revenue_micro, sum_cost_micro) FROM (
      SELECT ${[...dims, REVENUE_KPIS].join(',\n    ')}
      FROM req_revenue
      ${q.tenant !== undefined ? 'WHERE tenant = {tenant:String}' : ''}
      ${q.by.length ? `GROUP BY ${q.by.join(', ')}` : 'HAVING requests > 0'}
    )
    ${q.by.length ? `ORDER BY ${q.by.join(', ')}` : ''}`;
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...priceParams(config), ...windowParams(window), tenant: q.tenant ?? '' },
    clickhouse_settings: { log_comment: 'kpi:revenue_margin' },
  };
}

/** Revenue and margin from the raw facts (reports read revenueMarginAuto, pipelines/rollups). */
export async function revenueMargin(store: Store, config: Config, q: RevenueQuery): Promise<KpiResult<RevenueRow>> {
  return runKpiSql<RevenueRow>(store, await buildRevenueMargin(store, config, q));
}
