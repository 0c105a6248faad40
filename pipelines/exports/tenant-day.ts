/**
 * Finance export (b): usage, cost, revenue and margin per tenant, UTC day and model
 * (KPIS.md "Exports"). Sums of the per-request integer micro-dollars, so each row is
 * exact and the rows add up to the per-request export.
 */
import { micro } from './money.js';

export const TENANT_DAY_COLUMNS = [
  'tenant', 'day', 'model', 'requests', 'input_tokens', 'output_tokens', 'tokens', 'cost_usd', 'revenue_usd', 'margin_usd',
] as const;

/** The SELECT (after the shared CTEs and REQUEST_REVENUE_CTE). Parameters: `{tenant:String}` when filtered. */
export function tenantDaySelect(filterTenant: boolean): string {
  return `
    SELECT
      tenant,
      toDate(hour) AS day,
      model,
      count() AS requests,
      sum(input_tokens) AS input_tokens,
      sum(output_tokens) AS output_tokens,
      input_tokens + output_tokens AS tokens,
      ${micro('sum(cost_micro)')} AS cost_usd,
      ${micro('sum(revenue_micro)')} AS revenue_usd,
      ${micro('sum(revenue_micro) - sum(cost_micro)')} AS margin_usd
    FROM req_revenue
    ${filterTenant ? 'WHERE tenant = {tenant:String}' : ''}
    GROUP BY tenant, day, model
    ORDER BY tenant, day, model`;
}
