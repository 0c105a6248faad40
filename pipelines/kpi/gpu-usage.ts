/**
 * The GPU side by node, GPU, gpu_type, deployment, hour or day: GPU-hours, busy ratio,
 * energy and cost straight from DCGM coverage (no attribution needed), and the tokens
 * each GPU served — its deployment-hour's tokens apportioned by its share of that
 * deployment-hour's GPU time — so that tokens_per_gpu_hour by node means what it says.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { inventoryParams } from './inventory.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES } from './sql/gpu-hours.js';
import { REQUEST_COST_CTES } from './sql/request-cost.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import { checkDimensions, type KpiResult } from './unit-economics.js';
import { resolveWindow, windowParams, type WindowQuery } from './window.js';

export const GPU_DIMENSIONS = {
  node: 'node',
  gpu_uuid: 'uuid',
  gpu_type: 'gpu_type',
  deployment: 'deployment',
  // over `hour_start` (gpu_served's copy of the hour): an alias `hour` over the column
  // `hour` of a joined relation does not resolve
  hour: "formatDateTime(hour_start, '%Y-%m-%dT%H:00:00Z')",
  day: "formatDateTime(toStartOfDay(hour_start), '%Y-%m-%d')",
} as const;
export type GpuDimension = keyof typeof GPU_DIMENSIONS;
export const GPU_DIMENSION_NAMES = Object.keys(GPU_DIMENSIONS) as GpuDimension[];

export interface GpuUsageQuery extends WindowQuery {
  by: GpuDimension[];
}

export type GpuUsageRow = Record<string, string | number | null>;

/**
 * The SQL of the GPU usage report (for JSON and Arrow). Ungrouped, a window without GPU
 * time gives no row (not a row of zeros).
 */
export async function buildGpuUsage(store: Store, config: Config, q: GpuUsageQuery): Promise<KpiSql> {
  checkDimensions(q.by, GPU_DIMENSION_NAMES);
  const window = await resolveWindow(store, q);
  const dims = q.by.map((d) => `${GPU_DIMENSIONS[d]} AS ${d}`);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES},
    dep_tokens AS (
      SELECT hour, deployment, sum(input_tokens) AS dep_input, sum(output_tokens) AS dep_output
      FROM reqs WHERE deployment != 'unassigned' GROUP BY hour, deployment
    ),
    gpu_served AS (
      SELECT g.*, g.hour AS hour_start,
        if(d.dep_gpu_hours > 0, g.gpu_hours / d.dep_gpu_hours, 0) AS share,
        share * t.dep_input AS served_input,
        share * t.dep_output AS served_output
      FROM gpu_hourly AS g
      LEFT JOIN dep_hourly AS d ON g.hour = d.hour AND g.deployment = d.deployment
      LEFT JOIN dep_tokens AS t ON g.hour = t.hour AND g.deployment = t.deployment
    )
    SELECT ${[
      ...dims,
      'uniqExact(uuid) AS gpus',
      'sum(gpu_hours) AS gpu_hours',
      'if(sum(activity_s) = 0, NULL, sum(busy_s) / sum(activity_s)) AS busy_ratio',
      'sum(energy_kwh) AS energy_kwh',
      'sum(cost_micro) / 1e6 AS cost_usd',
      'sum(served_input) AS input_tokens',
      'sum(served_output) AS output_tokens',
      'input_tokens + output_tokens AS tokens',
      'if(gpu_hours = 0, NULL, tokens / gpu_hours) AS tokens_per_gpu_hour',
      'if(gpu_hours = 0, NULL, output_tokens / gpu_hours) AS output_tokens_per_gpu_hour',
      'if(energy_kwh = 0, NULL, tokens / energy_kwh) AS tokens_per_kwh',
    ].join(',\n      ')}
    FROM gpu_served
    ${q.by.length ? `GROUP BY ${q.by.join(', ')} ORDER BY ${q.by.join(', ')}` : 'HAVING gpus > 0'}`;
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window) },
    clickhouse_settings: { log_comment: 'kpi:gpu_usage' },
  };
}

/** GPU-hours, busy ratio, energy, cost and served tokens by GPU dimensions. */
export async function gpuUsage(store: Store, config: Config, q: GpuUsageQuery): Promise<KpiResult<GpuUsageRow>> {
  return runKpiSql<GpuUsageRow>(store, await buildGpuUsage(store, config, q));
}
