/**
 * Finance export (a): one row per request in the window — usage, attributed cost and
 * revenue (KPIS.md "Exports").
 *
 * - cost_usd: the request's attributed GPU cost (req_cost.cost_micro of
 *   ../kpi/sql/request-cost.ts), exact to the micro-dollar; Σ cost_usd of the export =
 *   Σ request cost of the window (idle and unassigned GPU cost are not requests').
 * - revenue_usd: price book × tokens (../kpi/sql/request-revenue.ts), 0 for errored
 *   requests unless bill_errors; margin_usd = revenue_usd − cost_usd.
 * - workflow_id: the workflow the request belongs to, as in ../kpi/workflows.ts: its
 *   `workflow.id`, else its trace's (root's) one, else the trace id — the key
 *   `token-factory workflows --id` takes.
 * - ts: span start, UTC, millisecond precision.
 */
import { WORKFLOW_CTES } from '../kpi/workflows.js';
import { micro } from './money.js';

export const REQUEST_USAGE_COLUMNS = [
  'trace_id', 'span_id', 'ts', 'tenant', 'model', 'endpoint', 'deployment', 'gpu_type', 'input_tokens', 'output_tokens',
  'tokens', 'cost_usd', 'revenue_usd', 'margin_usd', 'is_error', 'workflow_id',
] as const;

/** The SELECT (after the shared CTEs and REQUEST_REVENUE_CTE). Parameters: `{tenant:String}` when filtered. */
export function requestUsageSelect(filterTenant: boolean): string {
  return `,${WORKFLOW_CTES}
    SELECT
      r.trace_id AS trace_id,
      r.span_id AS span_id,
      toDateTime64(r.ts, 3, 'UTC') AS ts,
      r.tenant AS tenant,
      r.model AS model,
      r.endpoint AS endpoint,
      r.deployment AS deployment,
      r.gpu_type AS gpu_type,
      r.input_tokens AS input_tokens,
      r.output_tokens AS output_tokens,
      r.req_tokens AS tokens,
      ${micro('r.cost_micro')} AS cost_usd,
      ${micro('r.revenue_micro')} AS revenue_usd,
      ${micro('r.revenue_micro - r.cost_micro')} AS margin_usd,
      toBool(r.is_error) AS is_error,
      coalesce(nullIf(r.workflow_id, ''), t.trace_wf) AS workflow_id
    FROM req_revenue AS r
    INNER JOIN wf_trace AS t ON t.trace_id = r.trace_id
    ${filterTenant ? 'WHERE r.tenant = {tenant:String}' : ''}
    ORDER BY r.ts, r.trace_id, r.span_id`;
}
