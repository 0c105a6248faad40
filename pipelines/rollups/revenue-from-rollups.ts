/**
 * Revenue and margin (pipelines/kpi/revenue.ts) read from the hourly rollups: revenue
 * is rounded per request when settling and stored as a micro-dollar sum, so the
 * rollups depend on the price book — a price change changes the config fingerprint
 * and the hours are recomputed (read from the facts until then).
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { buildRevenueMargin, type RevenueQuery, type RevenueRow } from '../kpi/revenue.js';
import { checkDimensions, REQUEST_DIMENSIONS, type KpiResult } from '../kpi/unit-economics.js';
import { runKpiSql, type KpiSql } from '../kpi/server-latency.js';
import { assertAligned, planRollupRead, type RollupPlan } from './plan.js';
import { requestParts } from './read-parts.js';
import { buildRequestKpiAuto, ROLLUP_DIMENSIONS } from './unit-economics-from-rollups.js';

/** REVENUE_KPIS over `req_parts`, same names and order. */
const ROLLUP_REVENUE_KPIS = `
    sum(r_requests) AS requests,
    sum(r_input_tokens) AS input_tokens,
    sum(r_output_tokens) AS output_tokens,
    input_tokens + output_tokens AS tokens,
    sum(r_errors) AS errors,
    sum(r_billed_requests) AS billed_requests,
    sum(r_unpriced_requests) AS unpriced_requests,
    sum(r_unpriced_tokens) AS unpriced_tokens,
    sum(r_revenue_micro) AS sum_revenue_micro,
    sum(r_cost_micro) AS sum_cost_micro,
    sum_revenue_micro / 1e6 AS revenue_usd,
    sum_cost_micro / 1e6 AS cost_usd,
    (sum_revenue_micro - sum_cost_micro) / 1e6 AS margin_usd,
    if(sum_revenue_micro = 0, NULL, (sum_revenue_micro - sum_cost_micro) / sum_revenue_micro) AS gross_margin`;

/** The query of revenue and margin from the rollups (with the unsettled hours from the facts). */
export async function buildRevenueMarginFromRollups(store: Store, config: Config, q: RevenueQuery, plan?: RollupPlan): Promise<KpiSql> {
  checkDimensions(q.by, ROLLUP_DIMENSIONS);
  const p = plan ?? (await planRollupRead(store, config, q, { days: !q.by.includes('hour') }));
  assertAligned(p);
  const parts = requestParts(config, p);
  const dims = q.by.map((d) => `${REQUEST_DIMENSIONS[d]} AS ${d}`);
  const query = `
    ${parts.with}
    SELECT * EXCEPT (sum_revenue_micro, sum_cost_micro) FROM (
      SELECT ${[...dims, ROLLUP_REVENUE_KPIS].join(',\n    ')}
      FROM req_parts
      ${q.tenant !== undefined ? 'WHERE tenant = {tenant:String}' : ''}
      ${q.by.length ? `GROUP BY ${q.by.join(', ')}` : 'HAVING requests > 0'}
    )
    ${q.by.length ? `ORDER BY ${q.by.join(', ')}` : ''}`;
  return {
    window: p.window,
    query,
    query_params: { ...parts.params, tenant: q.tenant ?? '' },
    clickhouse_settings: { log_comment: `kpi:revenue_margin:${p.source}` },
  };
}

/** Revenue and margin from the rollups: see buildRevenueMarginFromRollups. */
export async function revenueMarginFromRollups(store: Store, config: Config, q: RevenueQuery, plan?: RollupPlan): Promise<KpiResult<RevenueRow>> {
  return runKpiSql<RevenueRow>(store, await buildRevenueMarginFromRollups(store, config, q, plan));
}

/** Revenue and margin from the rollups when the query allows it, else from the facts. */
export async function revenueMarginAuto(store: Store, config: Config, q: RevenueQuery): Promise<KpiResult<RevenueRow>> {
  return runKpiSql<RevenueRow>(store, await buildRevenueMarginAuto(store, config, q));
}

/**
 * The built query (JSON or Arrow output) of revenue and margin: from the rollups when the
 * query allows it, else `raw` (default: buildRevenueMargin). log_comment
 * `kpi:revenue_margin:rollups|mixed|raw`.
 */
export async function buildRevenueMarginAuto(
  store: Store,
  config: Config,
  q: RevenueQuery,
  raw: (store: Store, config: Config, q: RevenueQuery) => Promise<KpiSql> = buildRevenueMargin,
): Promise<KpiSql> {
  return buildRequestKpiAuto(store, config, q, 'kpi:revenue_margin', raw, buildRevenueMarginFromRollups);
}
