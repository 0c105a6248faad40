/**
 * Where every GPU dollar went (costTotals, pipelines/kpi/unit-economics.ts) read from
 * the hourly rollups: request cost from `rollup_requests_hourly`, idle and unassigned
 * cost from the deployment-hours no request carried (`rollup_deployments_hourly`,
 * served = 0). Integer micro-dollars, so the totals equal the raw ones exactly and
 * gpu_cost_usd = request_cost_usd + idle_cost_usd + unassigned_cost_usd still holds.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { buildCostTotals, checkDimensions, type CostTotals, type KpiResult } from '../kpi/unit-economics.js';
import type { WindowQuery } from '../kpi/window.js';
import { runKpiSql, type KpiSql } from '../kpi/server-latency.js';
import { assertAligned, planRollupRead, type RollupPlan } from './plan.js';
import { costParts } from './read-parts.js';
import { fromFacts } from './unit-economics-from-rollups.js';

export type CostDimension = 'deployment' | 'hour' | 'day' | 'gpu_type';
export const COST_DIMENSIONS: readonly CostDimension[] = ['deployment', 'hour', 'day', 'gpu_type'];

export interface CostTotalsQuery extends WindowQuery {
  by?: CostDimension[];
}

const DIMENSION_SQL: Record<CostDimension, string> = {
  deployment: 'deployment',
  gpu_type: 'gpu_type',
  hour: "formatDateTime(hour, '%Y-%m-%dT%H:00:00Z')",
  day: "formatDateTime(toStartOfDay(hour), '%Y-%m-%d')",
};

/** The query of cost totals from the rollups (with the unsettled hours from the facts). */
export async function buildCostTotalsFromRollups(store: Store, config: Config, q: CostTotalsQuery, plan?: RollupPlan): Promise<KpiSql> {
  const by = q.by ?? [];
  checkDimensions(by, COST_DIMENSIONS);
  const p = plan ?? (await planRollupRead(store, config, q));
  assertAligned(p);
  const parts = costParts(config, p);
  const dims = by.map((d) => `${DIMENSION_SQL[d]} AS ${d}`);
  const query = `
    ${parts.with}
    SELECT ${[
      ...dims,
      'sum(gpu_hours) AS gpu_hours',
      '(sum(request_micro) + sum(idle_micro) + sum(unassigned_micro)) / 1e6 AS gpu_cost_usd',
      'sum(request_micro) / 1e6 AS request_cost_usd',
      'sum(idle_micro) / 1e6 AS idle_cost_usd',
      'sum(unassigned_micro) / 1e6 AS unassigned_cost_usd',
    ].join(',\n      ')}
    FROM cost_parts
    ${by.length ? `GROUP BY ${by.join(', ')} ORDER BY ${by.join(', ')}` : ''}`;
  return { window: p.window, query, query_params: parts.params, clickhouse_settings: { log_comment: `kpi:cost_totals:${p.source}` } };
}

/** Cost totals from the rollups: see buildCostTotalsFromRollups. */
export async function costTotalsFromRollups(
  store: Store,
  config: Config,
  q: CostTotalsQuery,
  plan?: RollupPlan,
): Promise<KpiResult<CostTotals & Record<string, string | number>>> {
  return runKpiSql(store, await buildCostTotalsFromRollups(store, config, q, plan));
}

/** Cost totals from the rollups when the window is hour-aligned, else from the facts. */
export async function costTotalsAuto(store: Store, config: Config, q: CostTotalsQuery): Promise<KpiResult<CostTotals & Record<string, string | number>>> {
  return runKpiSql(store, await buildCostTotalsAuto(store, config, q));
}

/**
 * The built query of cost totals: from the rollups when the window allows it, else
 * `raw` (default: buildCostTotals). log_comment `kpi:cost_totals:rollups|mixed|raw`.
 */
export async function buildCostTotalsAuto(
  store: Store,
  config: Config,
  q: CostTotalsQuery,
  raw: (store: Store, config: Config, q: CostTotalsQuery) => Promise<KpiSql> = buildCostTotals,
): Promise<KpiSql> {
  checkDimensions(q.by ?? [], COST_DIMENSIONS);
  const plan = await planRollupRead(store, config, q);
  if (plan.source === 'raw') return fromFacts(await raw(store, config, { ...q, from: plan.window.from, to: plan.window.to }), 'kpi:cost_totals');
  return buildCostTotalsFromRollups(store, config, q, plan);
}
