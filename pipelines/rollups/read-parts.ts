/**
 * The relations a read over a plan groups: `req_parts` (request rollup rows: hour, the
 * rollup key, r_<measure>) and `cost_parts` (hour, deployment, gpu_type and where the
 * GPU cost went, as costTotals' `parts`), each the union of the plan's settled hours
 * (and days) from the rollup tables and its unsettled hours recomputed from the facts.
 */
import type { Config } from '../../core/config/schema.js';
import { inventoryParams } from '../kpi/inventory.js';
import { UNSPREAD_COST_CTE } from '../kpi/sql/request-cost.js';
import { priceParams } from '../kpi/sql/request-revenue.js';
import { windowParams } from '../kpi/window.js';
import { rollupParams, type RollupPlan } from './plan.js';
import { currentVersion, DEPLOYMENT_PART_FROM_ROLLUPS, REQUEST_PART_FROM_DAILY, REQUEST_PART_FROM_FACTS, REQUEST_PART_FROM_HOURLY, REQUEST_ROLLUP_CTES } from './rollup-sql.js';

export interface Parts {
  /** `WITH …` defining the relation */
  with: string;
  params: Record<string, unknown>;
}

function params(config: Config, plan: RollupPlan): Record<string, unknown> {
  return {
    ...inventoryParams(config),
    ...priceParams(config),
    ...windowParams(plan.raw ?? plan.window),
    ...rollupParams(plan),
  };
}

/** `req_parts`: one row per rollup key and hour. */
export function requestParts(config: Config, plan: RollupPlan): Parts {
  const parts = [REQUEST_PART_FROM_HOURLY];
  if (plan.rollup_days.length) parts.push(REQUEST_PART_FROM_DAILY);
  if (plan.raw) parts.push(REQUEST_PART_FROM_FACTS);
  const ctes = plan.raw ? [REQUEST_ROLLUP_CTES] : [];
  return { with: `WITH ${[...ctes, `req_parts AS (${parts.join('\n    UNION ALL')})`].join(',\n')}`, params: params(config, plan) };
}

/**
 * `cost_parts`: attributed request cost per (hour, deployment, gpu_type) and the cost no
 * request carries (idle, unassigned), with their GPU-hours — costTotals' `parts`.
 */
export function costParts(config: Config, plan: RollupPlan): Parts {
  if (plan.rollup_days.length) throw new Error('cost parts read hours: plan without days');
  const fromRollups = `
    SELECT hour, deployment, gpu_type, cost_micro AS request_micro, toInt64(0) AS idle_micro, toInt64(0) AS unassigned_micro, gpu_hours
    FROM rollup_requests_hourly WHERE ${currentVersion('rv')}
    UNION ALL
    SELECT hour, deployment, gpu_type, toInt64(0), idle_cost_micro, unassigned_cost_micro, gpu_hours
    FROM (${DEPLOYMENT_PART_FROM_ROLLUPS}) WHERE served = 0`;
  const fromFacts = `
    SELECT hour, deployment, gpu_type, cost_micro, toInt64(0), toInt64(0), gpu_hours FROM req_cost
    UNION ALL
    SELECT hour, deployment, gpu_type, toInt64(0), idle_cost_micro, unassigned_cost_micro, gpu_hours FROM unspread`;
  const ctes = plan.raw ? [REQUEST_ROLLUP_CTES, UNSPREAD_COST_CTE] : [];
  const union = plan.raw ? `${fromRollups}\n    UNION ALL${fromFacts}` : fromRollups;
  return { with: `WITH ${[...ctes, `cost_parts AS (${union})`].join(',\n')}`, params: params(config, plan) };
}
