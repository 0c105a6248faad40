/**
 * Requests in the window with their deployment and attributed cost (KPIS.md
 * "Attribution"), as SQL CTEs. Needs GPU_HOURLY_CTES and DEPLOYMENT_HOURLY_CTE.
 *
 * - Request → deployment: span `server.address` among a deployment's endpoints, else the
 *   deployment serving the model (response model, else request model), else 'unassigned'.
 * - A request's weight = input_tokens × w_in + output_tokens × w_out. Its cost is its
 *   deployment-hour's cost × weight / Σ weights of that deployment-hour, in integer
 *   micro-dollars by the largest-remainder method: the floors, plus one micro-dollar to
 *   each of the requests with the largest fractional parts until the deployment-hour's
 *   cost is met exactly. So Σ request cost + idle cost + unassigned cost = Σ GPU cost
 *   to the micro-dollar, for any window and any grouping.
 * - GPU-hours and energy are attributed the same way (as floats).
 * - Requests are deduplicated on (trace_id, span_id).
 */
import { p, UNASSIGNED } from '../inventory.js';
import { FROM, TO } from './gpu-hours.js';

export const REQUEST_DEPLOYMENT = `coalesce(
      nullIf(transform(server_address, ${p('inv_endpoint_keys')}, ${p('inv_endpoint_deps')}, ''), ''),
      nullIf(transform(model, ${p('inv_model_keys')}, ${p('inv_model_deps')}, ''), ''),
      nullIf(transform(request_model, ${p('inv_model_keys')}, ${p('inv_model_deps')}, ''), ''),
      '${UNASSIGNED}')`;

/** CTEs `reqs`, `req_weighted`, `req_ranked`, `req_cost` (one row per request). */
export const REQUEST_COST_CTES = `
  reqs AS (
    SELECT ts, hour, end_ts, trace_id, span_id, parent_span_id, service, tenant, model, request_model, endpoint, server_address,
      input_tokens, output_tokens, e2e_ms, ttft_ms, is_error, error_type, workflow_id,
      ${REQUEST_DEPLOYMENT} AS deployment,
      input_tokens + output_tokens AS req_tokens,
      input_tokens * ${p('w_in')} AS w_input,
      output_tokens * ${p('w_out')} AS w_output,
      w_input + w_output AS weight
    FROM llm_requests
    WHERE hour >= toStartOfHour(${FROM}) AND hour < ${TO} AND ts >= ${FROM} AND ts < ${TO}
    LIMIT 1 BY trace_id, span_id
  ),
  req_weighted AS (
    SELECT r.*,
      d.dep_cost_micro AS dep_cost_micro, d.dep_gpu_hours AS dep_gpu_hours, d.dep_energy_kwh AS dep_energy_kwh,
      if(d.dep_gpu_type = '', '${UNASSIGNED}', d.dep_gpu_type) AS gpu_type,
      sum(weight) OVER (PARTITION BY r.hour, r.deployment) AS dep_weight,
      if(dep_weight > 0, dep_cost_micro * weight / dep_weight, 0) AS exact_micro,
      toInt64(floor(exact_micro)) AS floor_micro
    FROM reqs AS r
    -- unassigned GPUs' cost is reported as such, never spread over unassigned requests
    LEFT JOIN (SELECT * FROM dep_hourly WHERE deployment != '${UNASSIGNED}') AS d ON r.hour = d.hour AND r.deployment = d.deployment
  ),
  req_ranked AS (
    SELECT *,
      if(dep_weight > 0, dep_cost_micro - sum(floor_micro) OVER (PARTITION BY hour, deployment), 0) AS remainder_micro,
      row_number() OVER (PARTITION BY hour, deployment ORDER BY exact_micro - floor_micro DESC, trace_id, span_id) AS remainder_rank
    FROM req_weighted
  ),
  req_cost AS (
    SELECT *,
      floor_micro + if(remainder_rank <= remainder_micro, 1, 0) AS cost_micro,
      if(weight > 0, cost_micro * w_input / weight, 0) AS cost_input_micro,
      if(weight > 0, cost_micro * w_output / weight, 0) AS cost_output_micro,
      if(dep_weight > 0, dep_gpu_hours * weight / dep_weight, 0) AS gpu_hours,
      if(dep_weight > 0, dep_energy_kwh * weight / dep_weight, 0) AS energy_kwh,
      if(output_tokens > 1 AND ttft_ms IS NOT NULL, (e2e_ms - assumeNotNull(ttft_ms)) / (output_tokens - 1), NULL) AS tpot_ms
    FROM req_ranked
  ),
  dep_served AS (
    SELECT hour, deployment FROM reqs WHERE deployment != '${UNASSIGNED}' GROUP BY hour, deployment HAVING sum(weight) > 0
  )`;

/**
 * Cost that is not spread over requests: deployment-hours with GPU cost and no weighted
 * tokens (idle), and GPUs of no deployment (unassigned). Needs the CTEs above.
 */
export const UNSPREAD_COST_CTE = `
  unspread AS (
    SELECT d.hour AS hour, d.deployment AS deployment, d.dep_gpu_type AS gpu_type,
      if(d.deployment = '${UNASSIGNED}', 0, d.dep_cost_micro) AS idle_cost_micro,
      if(d.deployment = '${UNASSIGNED}', d.dep_cost_micro, 0) AS unassigned_cost_micro,
      d.dep_gpu_hours AS gpu_hours
    FROM dep_hourly AS d
    LEFT ANTI JOIN dep_served AS s ON d.hour = s.hour AND d.deployment = s.deployment
  )`;
