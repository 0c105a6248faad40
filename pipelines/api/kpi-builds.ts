/**
 * The SQL of unitEconomics and costTotals (pipelines/kpi/unit-economics.ts) as built
 * queries, for the Arrow output of the API. They assemble the same exported pieces
 * (CTEs, dimension map, KPI columns) in the same way; test/integration/api.test.ts
 * checks that the Arrow rows equal the JSON function's rows. They belong next to the
 * JSON functions (`buildUnitEconomics` / `buildCostTotals` in unit-economics.ts, the
 * JSON functions running them) and move there when that module takes them.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { inventoryParams } from '../kpi/inventory.js';
import type { KpiSql } from '../kpi/server-latency.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES } from '../kpi/sql/gpu-hours.js';
import { REQUEST_COST_CTES, UNSPREAD_COST_CTE } from '../kpi/sql/request-cost.js';
import { checkDimensions, REQUEST_DIMENSION_NAMES, REQUEST_DIMENSIONS, UNIT_ECONOMICS_KPIS, type UnitEconomicsQuery } from '../kpi/unit-economics.js';
import { resolveWindow, windowParams, type WindowQuery } from '../kpi/window.js';

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

export type CostTotalsDimension = 'deployment' | 'hour' | 'day' | 'gpu_type';

export async function buildCostTotals(store: Store, config: Config, q: WindowQuery & { by?: CostTotalsDimension[] }): Promise<KpiSql> {
  const by = q.by ?? [];
  checkDimensions(by, ['deployment', 'hour', 'day', 'gpu_type']);
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
