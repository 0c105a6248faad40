/**
 * Workflows (KPIS.md "Workflows"): what a *successful* piece of agent work costs,
 * failed and retried work included.
 *
 * Identity. A workflow is all spans sharing attribute `workflow.id`, or else a trace.
 * - A root span belongs to its own `workflow.id`; without one, to the `workflow.id` the
 *   LLM spans of its trace carry (if any), else to its trace (workflow id = trace id).
 * - An LLM request belongs to its own `workflow.id`; without one, to its trace's
 *   workflow as above (the root's `workflow.id`, else one carried by a sibling LLM
 *   span, else the trace). So retries sharing `workflow.id` — each its own trace —
 *   are one workflow, and every attempt's cost counts.
 *
 * Outcome. Decided by the workflow's latest root span by end time (ties: the greater
 * trace id): its `workflow.outcome` attribute if set (`success`, compared
 * case-insensitively, succeeds; any other value fails), else its status (not ERROR
 * succeeds). A workflow whose root span is not in the store (not exported, sampled
 * out) is decided by its latest request by end time, as if that were the root, and is
 * named `unknown`. The roots considered are all of the workflow's roots in the store,
 * not only those in the window: a workflow's outcome is its final one.
 *
 * Name: `workflow.name` on the deciding root, else that root's span name
 * (trace_roots.workflow_name). Tenant: the latest root's that has one, else the tenant
 * of the workflow's first request.
 *
 * Window [from, to). A workflow is in the window when one of its requests or one of
 * its root spans starts in it. Its requests, tokens and cost are those of its requests
 * in the window, attributed exactly as in unit economics (req_cost of
 * sql/request-cost.ts), so Σ workflow_cost_usd over all workflows of a window equals
 * the window's Σ request cost to the micro-dollar, and a workflow straddling the window
 * edge shows only its in-window part. A workflow with no LLM request (failed before
 * calling a model) counts with 0 tokens and 0 cost.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { inventoryParams } from './inventory.js';
import { DEPLOYMENT_HOURLY_CTE, FROM, GPU_HOURLY_CTES, TO } from './sql/gpu-hours.js';
import { REQUEST_COST_CTES } from './sql/request-cost.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import { checkDimensions, type KpiResult } from './unit-economics.js';
import { resolveWindow, windowParams, type WindowQuery } from './window.js';

/** Name given to a workflow whose root span is not in the store. */
export const UNKNOWN_WORKFLOW = 'unknown';

/**
 * CTEs `wf_window_spans`, `wf_roots_raw`, `wf_trace`, `wf_requests` (req_cost + `wf`),
 * `wf_items`, `wf_agg`, `wf_rows` (one row per workflow). Needs
 * GPU_HOURLY_CTES, DEPLOYMENT_HOURLY_CTE and REQUEST_COST_CTES, and the window parameters.
 *
 * wf_rows columns: workflow_id, workflow (name), tenant, outcome, success (Bool),
 * attempts, wf_requests, wf_input_tokens, wf_output_tokens, wf_tokens, wf_errors,
 * wf_cost_micro, started_at, ended_at (DateTime64(3)).
 *
 * Cost of evaluation: ClickHouse inlines a CTE at every reference, so each expensive one
 * is referenced once on any path: `wf_rows` reads `req_cost` (deduplication, deployment
 * lookup, attribution windows) and `wf_roots_raw` (root selection) once each, through
 * `wf_items`, which derives each trace's workflow (as `wf_trace`) by a window over the
 * trace's requests and roots, and `wf_agg` aggregates both kinds per workflow in one
 * GROUP BY. What only needs the window's trace ids and span workflow ids (which roots to
 * read; `wf_trace`, for the drill-down and the request export) reads them from
 * `wf_window_spans`, a plain scan of llm_requests over the window: the same sets as
 * `reqs` (`IN` and `max` ignore the duplicates `reqs` removes), at a fraction of its cost.
 */
export const WORKFLOW_CTES = `
  wf_window_spans AS (
    SELECT trace_id, workflow_id
    FROM llm_requests
    WHERE hour >= toStartOfHour(${FROM}) AND hour < ${TO} AND ts >= ${FROM} AND ts < ${TO}
  ),
  wf_roots_raw AS (
    -- the root spans that matter: of the window's traces, starting in the window, and
    -- every other attempt (root) of a workflow.id met that way
    SELECT trace_id, span_id, ts, end_ts, workflow_id, workflow_name, outcome, is_error, tenant
    FROM trace_roots
    WHERE trace_id IN (SELECT trace_id FROM wf_window_spans)
       OR (ts >= ${FROM} AND ts < ${TO})
       OR (workflow_id != '' AND workflow_id IN (
             SELECT workflow_id FROM wf_window_spans WHERE workflow_id != ''
             UNION ALL
             SELECT workflow_id FROM trace_roots
             WHERE workflow_id != '' AND (trace_id IN (SELECT trace_id FROM wf_window_spans) OR (ts >= ${FROM} AND ts < ${TO}))))
    LIMIT 1 BY trace_id, span_id
  ),
  wf_trace AS (
    -- each trace's workflow: its root's workflow.id, else one its LLM spans carry, else the trace
    SELECT trace_id, coalesce(nullIf(max(t_root_wf), ''), nullIf(max(t_span_wf), ''), trace_id) AS trace_wf
    FROM (
      SELECT trace_id, workflow_id AS t_root_wf, '' AS t_span_wf FROM wf_roots_raw
      UNION ALL
      SELECT trace_id, '' AS t_root_wf, workflow_id AS t_span_wf FROM wf_window_spans
    )
    GROUP BY trace_id
  ),
  wf_requests AS (
    -- the drill-down's rows (workflowRequests); the aggregates below do not read it
    SELECT r.*, coalesce(nullIf(r.workflow_id, ''), t.trace_wf) AS wf
    FROM req_cost AS r
    INNER JOIN wf_trace AS t ON t.trace_id = r.trace_id
  ),
  wf_items AS (
    -- requests (req_cost, its one reference) and roots (wf_roots_raw, likewise) in one
    -- stream; each trace's workflow as wf_trace, by a window over the trace's items
    SELECT *,
      coalesce(nullIf(own_wf, ''), nullIf(max(if(is_request, '', own_wf)) OVER tr, ''), nullIf(max(if(is_request, own_wf, '')) OVER tr, ''), trace_id) AS wf
    FROM (
      SELECT toUInt8(1) AS is_request, trace_id, span_id, workflow_id AS own_wf, ts, end_ts, tenant, is_error,
        input_tokens, output_tokens, cost_micro, '' AS workflow_name, '' AS outcome
      FROM req_cost
      UNION ALL
      SELECT toUInt8(0), trace_id, span_id, workflow_id, ts, end_ts, tenant, is_error,
        toUInt64(0), toUInt64(0), toInt64(0), workflow_name, outcome
      FROM wf_roots_raw
    )
    WINDOW tr AS (PARTITION BY trace_id)
  ),
  wf_agg AS (
    SELECT wf,
      countIf(is_request) AS q_requests,
      sumIf(input_tokens, is_request) AS q_input_tokens,
      sumIf(output_tokens, is_request) AS q_output_tokens,
      countIf(is_request AND is_error) AS q_errors,
      sumIf(cost_micro, is_request) AS q_cost_micro,
      argMinIf(tenant, (ts, trace_id, span_id), is_request) AS q_tenant,
      argMaxIf(is_error, (end_ts, trace_id, span_id), is_request) AS q_last_error,
      minIf(ts, is_request) AS q_start,
      maxIf(end_ts, is_request) AS q_end,
      groupUniqArrayIf(trace_id, is_request) AS q_traces,
      countIf(NOT is_request) AS o_roots,
      argMaxIf(workflow_name, (end_ts, trace_id), NOT is_request) AS o_name,
      argMaxIf(outcome, (end_ts, trace_id), NOT is_request) AS o_outcome,
      argMaxIf(is_error, (end_ts, trace_id), NOT is_request) AS o_error,
      argMaxIf(tenant, (end_ts, trace_id), NOT is_request AND tenant != '') AS o_tenant,
      minIf(ts, NOT is_request) AS o_start,
      maxIf(end_ts, NOT is_request) AS o_end,
      groupUniqArrayIf(trace_id, NOT is_request) AS o_traces
    FROM wf_items
    GROUP BY wf
  ),
  wf_rows AS (
    SELECT
      a.wf AS workflow_id,
      a.o_roots > 0 AS has_root,
      a.q_requests > 0 AS has_requests,
      if(has_root, a.o_name, '${UNKNOWN_WORKFLOW}') AS workflow,
      if(has_root AND a.o_tenant != '', a.o_tenant, a.q_tenant) AS tenant,
      if(has_root, a.o_outcome, '') AS outcome_attribute,
      if(has_root, a.o_error, a.q_last_error) AS decided_error,
      toBool(if(outcome_attribute != '', lower(outcome_attribute) = 'success', NOT decided_error)) AS success,
      if(outcome_attribute != '', outcome_attribute, if(decided_error, 'error', 'ok')) AS outcome,
      length(arrayDistinct(arrayConcat(a.q_traces, a.o_traces))) AS attempts,
      a.q_requests AS wf_requests,
      a.q_input_tokens AS wf_input_tokens,
      a.q_output_tokens AS wf_output_tokens,
      a.q_input_tokens + a.q_output_tokens AS wf_tokens,
      a.q_errors AS wf_errors,
      a.q_cost_micro AS wf_cost_micro,
      toDateTime64(multiIf(has_root AND has_requests, least(a.o_start, a.q_start), has_root, a.o_start, a.q_start), 3, 'UTC') AS started_at,
      toDateTime64(multiIf(has_root AND has_requests, greatest(a.o_end, a.q_end), has_root, a.o_end, a.q_end), 3, 'UTC') AS ended_at
    -- a workflow without requests (or without roots) has the -If aggregates' defaults there ('' / 0 / [])
    FROM wf_agg AS a
  )`;

/** Workflow dimensions → columns of wf_rows. A fixed map: never SQL from input. */
export const WORKFLOW_DIMENSIONS = {
  workflow: 'workflow',
  tenant: 'tenant',
} as const;
export type WorkflowDimension = keyof typeof WORKFLOW_DIMENSIONS;
export const WORKFLOW_DIMENSION_NAMES = Object.keys(WORKFLOW_DIMENSIONS) as WorkflowDimension[];

/** KPI columns of a workflow report row, KPIS.md names. Money in USD, exact to the micro-dollar. */
export const WORKFLOW_KPIS = `
    count() AS workflows,
    countIf(success) AS successful_workflows,
    successful_workflows / workflows AS success_rate,
    sum(wf_cost_micro) / 1e6 AS workflow_cost_usd,
    if(successful_workflows = 0, NULL, round(sum(wf_cost_micro) / successful_workflows) / 1e6) AS cost_per_successful_workflow_usd,
    sumIf(wf_cost_micro, NOT success) / 1e6 AS wasted_cost_usd,
    quantileExact(0.5)(wf_tokens) AS tokens_per_workflow_p50,
    quantileExact(0.95)(wf_tokens) AS tokens_per_workflow_p95,
    sum(wf_requests) AS requests,
    sum(wf_tokens) AS tokens`;

export interface WorkflowKpiQuery extends WindowQuery {
  by: WorkflowDimension[];
  /** only this tenant's workflows (tenant-scoped API keys) */
  tenant?: string | undefined;
}

export interface WorkflowKpiRow {
  [key: string]: string | number | null;
}

const SETTINGS = { output_format_json_quote_64bit_integers: 0, date_time_output_format: 'iso' } as const;

function withCtes(select: string): string {
  return `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES}, ${WORKFLOW_CTES}
    ${select}`;
}

/**
 * Per group of workflows: workflows, successful_workflows, success_rate,
 * workflow_cost_usd, cost_per_successful_workflow_usd (Σ cost of all workflows, failed
 * too, / successful ones; null when none succeeded), wasted_cost_usd (cost of failed
 * workflows), tokens_per_workflow_p50/p95 (exact: the element at ⌊level × n⌋ of the
 * sorted token counts), requests, tokens. One SQL query (for JSON and Arrow); ungrouped
 * over a window with no workflow it returns no row (`HAVING workflows > 0`: without it
 * ClickHouse returns one row of zeros).
 */
export async function buildWorkflowKpis(store: Store, config: Config, q: WorkflowKpiQuery): Promise<KpiSql> {
  checkDimensions(q.by, WORKFLOW_DIMENSION_NAMES);
  const window = await resolveWindow(store, q);
  const dims = q.by.map((d) => `${WORKFLOW_DIMENSIONS[d]} AS ${d}`);
  const query = withCtes(`
    SELECT ${[...dims, WORKFLOW_KPIS].join(',\n    ')}
    FROM wf_rows
    ${q.tenant !== undefined ? 'WHERE tenant = {tenant:String}' : ''}
    ${q.by.length ? `GROUP BY ${q.by.join(', ')} ORDER BY ${q.by.join(', ')}` : 'HAVING workflows > 0'}`);
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window), tenant: q.tenant ?? '' },
    clickhouse_settings: { log_comment: 'kpi:workflows', ...SETTINGS },
  };
}

export async function workflowKpis(store: Store, config: Config, q: WorkflowKpiQuery): Promise<KpiResult<WorkflowKpiRow>> {
  return runKpiSql<WorkflowKpiRow>(store, await buildWorkflowKpis(store, config, q));
}

export interface WorkflowListQuery extends WindowQuery {
  /** only this tenant's workflows */
  tenant?: string | undefined;
  /** only workflows of this name */
  workflow?: string | undefined;
  /** only this workflow */
  workflow_id?: string | undefined;
  /** at most this many rows (default 50) */
  limit?: number | undefined;
}

export interface WorkflowListRow {
  [key: string]: string | number | boolean | null;
}

export const WORKFLOW_LIST_COLUMNS = [
  'workflow_id', 'workflow', 'tenant', 'outcome', 'success', 'attempts', 'requests', 'input_tokens', 'output_tokens',
  'tokens', 'errors', 'workflow_cost_usd', 'started_at', 'ended_at',
] as const;

/** The query of workflowList (JSON and Arrow). */
export async function buildWorkflowList(store: Store, config: Config, q: WorkflowListQuery): Promise<KpiSql> {
  const window = await resolveWindow(store, q);
  const where = [
    q.tenant !== undefined ? 'tenant = {tenant:String}' : '',
    q.workflow !== undefined ? 'workflow = {workflow:String}' : '',
    q.workflow_id !== undefined ? 'workflow_id = {workflow_id:String}' : '',
  ].filter(Boolean);
  const query = withCtes(`
    SELECT workflow_id, workflow, tenant, outcome, success, attempts,
      wf_requests AS requests, wf_input_tokens AS input_tokens, wf_output_tokens AS output_tokens, wf_tokens AS tokens,
      wf_errors AS errors, wf_cost_micro / 1e6 AS workflow_cost_usd, started_at, ended_at
    FROM wf_rows
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY wf_cost_micro DESC, workflow_id
    LIMIT {limit:UInt32}`);
  return {
    window,
    query,
    query_params: {
      ...inventoryParams(config),
      ...windowParams(window),
      tenant: q.tenant ?? '',
      workflow: q.workflow ?? '',
      workflow_id: q.workflow_id ?? '',
      limit: q.limit ?? 50,
    },
    clickhouse_settings: { log_comment: 'kpi:workflow_list', ...SETTINGS },
  };
}

/** One row per workflow in the window, the most expensive first (ties: by workflow_id). */
export async function workflowList(store: Store, config: Config, q: WorkflowListQuery): Promise<KpiResult<WorkflowListRow>> {
  return runKpiSql<WorkflowListRow>(store, await buildWorkflowList(store, config, q));
}

export interface WorkflowRequestsQuery extends WindowQuery {
  workflow_id: string;
  /** only if the request is this tenant's */
  tenant?: string | undefined;
}

export const WORKFLOW_REQUEST_COLUMNS = [
  'trace_id', 'span_id', 'ts', 'tenant', 'model', 'endpoint', 'deployment', 'gpu_type', 'input_tokens', 'output_tokens',
  'tokens', 'cost_usd', 'e2e_ms', 'ttft_ms', 'is_error', 'error_type',
] as const;

/**
 * The drill-down "why did this workflow cost so much": its requests in the window,
 * in start order, each with its attributed cost, tokens, latency, model, deployment
 * and status.
 */
export async function workflowRequests(store: Store, config: Config, q: WorkflowRequestsQuery): Promise<KpiResult<WorkflowListRow>> {
  return runKpiSql<WorkflowListRow>(store, await buildWorkflowRequests(store, config, q));
}

/** The query of workflowRequests (JSON and Arrow). */
export async function buildWorkflowRequests(store: Store, config: Config, q: WorkflowRequestsQuery): Promise<KpiSql> {
  const window = await resolveWindow(store, q);
  const query = withCtes(`
    SELECT trace_id, span_id, toDateTime64(ts, 3, 'UTC') AS ts, tenant, model, endpoint, deployment, gpu_type,
      input_tokens, output_tokens, req_tokens AS tokens, cost_micro / 1e6 AS cost_usd, e2e_ms, ttft_ms,
      toBool(is_error) AS is_error, error_type
    FROM wf_requests
    WHERE wf = {workflow_id:String} ${q.tenant !== undefined ? 'AND tenant = {tenant:String}' : ''}
    ORDER BY ts, trace_id, span_id`);
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window), workflow_id: q.workflow_id, tenant: q.tenant ?? '' },
    clickhouse_settings: { log_comment: 'kpi:workflow_requests', ...SETTINGS },
  };
}
