/**
 * GPU time, energy and cost per GPU and hour (KPIS.md "GPU time, energy, cost"), as
 * SQL common table expressions over `gpu_samples`. Parameters: `{from:DateTime64(3)}`,
 * `{to:DateTime64(3)}` (the window [from, to)) and the inventory parameters.
 *
 * - A sample covers the time until its GPU's next sample, capped at max_sample_gap_s;
 *   the last sample of a series covers the time since the one before it (capped);
 *   a lone sample covers nothing. Covered seconds count in the sample's hour.
 *   Neighbours are looked up within max_sample_gap_s of the window; whether a series
 *   continues beyond that (then the cap applies) comes from its first/last sample time.
 * - activity = DCGM_FI_PROF_GR_ENGINE_ACTIVE (0–1), else DCGM_FI_DEV_GPU_UTIL / 100;
 *   busy_ratio = Σ covered × activity / Σ covered over samples that have one.
 * - energy: DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION (mJ counter) increase over the
 *   interval a sample covers (a drop is a reset: the new value counts), scaled by
 *   covered / interval when the cap cut it; without the counter on both ends,
 *   DCGM_FI_DEV_POWER_USAGE (W) × covered seconds. kWh = mJ / 3.6e9 = W·s / 3.6e6.
 * - cost_micro = round(1e6 × (gpu_hours × hourly_usd + energy_kwh × pue × kwh_usd))
 *   for the GPU's gpu_type — integer micro-dollars, so every sum is exact.
 * - deployment: by UUID, else node + GPU index, else pod regex, else 'unassigned'.
 */
import { p, UNASSIGNED } from '../inventory.js';

const ACTIVE = "'DCGM_FI_PROF_GR_ENGINE_ACTIVE'";
const UTIL = "'DCGM_FI_DEV_GPU_UTIL'";
const POWER = "'DCGM_FI_DEV_POWER_USAGE'";
const ENERGY = "'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION'";

/** Window bounds as typed parameters, shared by every KPI query. */
export const FROM = '{from:DateTime64(3)}';
export const TO = '{to:DateTime64(3)}';

/** The deployment a GPU belongs to. Needs uuid, node, gpu_index, pod in scope. */
export const GPU_DEPLOYMENT = `coalesce(
      nullIf(transform(uuid, ${p('inv_uuid_keys')}, ${p('inv_uuid_deps')}, ''), ''),
      nullIf(transform(concat(node, '#', toString(gpu_index)), ${p('inv_node_keys')}, ${p('inv_node_deps')}, ''), ''),
      nullIf(if(pod = '', '', ${p('inv_pod_deps')}[arrayFirstIndex(re -> match(pod, re), ${p('inv_pod_patterns')})]), ''),
      '${UNASSIGNED}')`;

/** CTEs `gpu_points`, `gpu_edges`, `gpu_cover`, `gpu_hourly` (one row per hour × GPU). */
export const GPU_HOURLY_CTES = `
  gpu_points AS (
    SELECT uuid, ts,
      any(node) AS s_node, any(gpu_index) AS s_index, any(gpu_type) AS s_type, any(pod) AS s_pod,
      anyIf(value, metric = ${ACTIVE}) AS g_active, countIf(metric = ${ACTIVE}) > 0 AS has_active,
      anyIf(value, metric = ${UTIL}) AS g_util, countIf(metric = ${UTIL}) > 0 AS has_util,
      anyIf(value, metric = ${POWER}) AS g_power, countIf(metric = ${POWER}) > 0 AS has_power,
      anyIf(value, metric = ${ENERGY}) AS g_energy, countIf(metric = ${ENERGY}) > 0 AS has_energy
    FROM gpu_samples
    WHERE ts >= ${FROM} - toIntervalSecond(toUInt32(${p('max_gap_s')})) AND ts < ${TO} + toIntervalSecond(toUInt32(${p('max_gap_s')}))
    GROUP BY uuid, ts
  ),
  gpu_edges AS (
    SELECT uuid, min(ts) AS first_ts, max(ts) AS last_ts FROM gpu_samples WHERE uuid IN (SELECT uuid FROM gpu_points) GROUP BY uuid
  ),
  gpu_neighbours AS (
    SELECT *,
      leadInFrame(toNullable(ts)) OVER w AS next_ts,
      lagInFrame(toNullable(ts)) OVER w AS prev_ts,
      leadInFrame(g_energy) OVER w AS next_energy,
      leadInFrame(has_energy) OVER w AS next_has_energy,
      lagInFrame(g_energy) OVER w AS prev_energy,
      lagInFrame(has_energy) OVER w AS prev_has_energy
    FROM gpu_points
    WINDOW w AS (PARTITION BY uuid ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ),
  gpu_cover AS (
    SELECT n.*,
      toFloat64(${p('max_gap_s')}) AS gap,
      -- the interval this sample stands for, and whether the series goes on past it
      multiIf(next_ts IS NOT NULL, toFloat64(dateDiff('second', ts, assumeNotNull(next_ts))),
              e.last_ts > ts, gap + 1,
              prev_ts IS NOT NULL, toFloat64(dateDiff('second', assumeNotNull(prev_ts), ts)),
              e.first_ts < ts, gap + 1,
              0) AS interval_s,
      least(interval_s, gap) AS cov_s,
      multiIf(next_ts IS NOT NULL AND has_energy AND next_has_energy, if(next_energy >= g_energy, next_energy - g_energy, next_energy),
              next_ts IS NULL AND e.last_ts = ts AND prev_ts IS NOT NULL AND has_energy AND prev_has_energy, if(g_energy >= prev_energy, g_energy - prev_energy, g_energy),
              -1) AS energy_increase_mj,
      if(energy_increase_mj >= 0 AND interval_s > 0, energy_increase_mj * cov_s / interval_s / 3.6e9,
         if(has_power, g_power * cov_s / 3.6e6, 0)) AS e_kwh,
      has_active OR has_util AS has_activity,
      if(has_active, g_active, g_util / 100) AS activity
    FROM gpu_neighbours AS n
    INNER JOIN gpu_edges AS e USING (uuid)
    WHERE ts >= ${FROM} AND ts < ${TO}
  ),
  gpu_hourly AS (
    SELECT
      toStartOfHour(ts) AS hour, uuid,
      argMax(s_node, ts) AS node, argMax(s_index, ts) AS gpu_index, argMax(s_type, ts) AS gpu_type, argMax(s_pod, ts) AS pod,
      sum(cov_s) AS covered_s,
      covered_s / 3600 AS gpu_hours,
      sumIf(cov_s * activity, has_activity) AS busy_s,
      sumIf(cov_s, has_activity) AS activity_s,
      sum(e_kwh) AS energy_kwh,
      ${GPU_DEPLOYMENT} AS deployment,
      toInt64(round(1e6 * (gpu_hours * ${p('gt_hourly_usd')}[gpu_type] + energy_kwh * ${p('gt_pue')}[gpu_type] * ${p('gt_kwh_usd')}[gpu_type]))) AS cost_micro
    FROM gpu_cover
    GROUP BY hour, uuid
  )`;

/** CTE `dep_hourly`: per deployment and hour, the cost, GPU time and energy of its GPUs. Needs GPU_HOURLY_CTES. */
export const DEPLOYMENT_HOURLY_CTE = `
  dep_hourly AS (
    SELECT hour, deployment,
      sum(cost_micro) AS dep_cost_micro,
      sum(gpu_hours) AS dep_gpu_hours,
      sum(energy_kwh) AS dep_energy_kwh,
      sum(busy_s) AS dep_busy_s,
      sum(activity_s) AS dep_activity_s,
      -- the deployment's GPU type: the one with the most GPU time in the hour
      argMax(gpu_type, gpu_hours) AS dep_gpu_type,
      uniqExact(uuid) AS dep_gpus
    FROM gpu_hourly
    GROUP BY hour, deployment
  )`;
