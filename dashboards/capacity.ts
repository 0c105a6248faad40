/**
 * Capacity: tokens per GPU-hour by GPU type (all and SLO-meeting), token-active
 * utilization and headroom, GPU busy time, and the demand trend.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { barGaugePanel, chSeries, promInstant, promQuery, refIds, row, steps, timeSeriesPanel } from './panels.js';
import { CURRENT_ROLLUP, MODEL_FILTER } from './sql.js';
import { modelVariable } from './variables.js';

/**
 * Hourly tokens per GPU-hour per gpu_type and its ratio to the peak: the 95th
 * percentile of those hourly figures in the range (a measured peak, as KPIS.md's
 * fallback, at the rollups' hourly grain).
 */
const UTILIZATION_SQL = `
  SELECT time, gpu_type,
    tokens_per_gpu_hour / nullIf(quantileExact(0.95)(tokens_per_gpu_hour) OVER (PARTITION BY gpu_type), 0) AS token_active_utilization,
    1 - token_active_utilization AS headroom
  FROM (
    SELECT hour AS time, gpu_type, sum(input_tokens + output_tokens) / nullIf(sum(gpu_hours), 0) AS tokens_per_gpu_hour
    FROM rollup_requests_hourly FINAL
    WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER}
    GROUP BY time, gpu_type
  )
  ORDER BY time`;

export function capacityDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('token-factory · Capacity')
    .uid('token-factory-capacity')
    .description('Throughput per GPU-hour, token-active utilization, headroom and demand.')
    .tags(['token-factory', 'capacity'])
    .time({ from: 'now-7d', to: 'now' })
    .refresh('15m')
    .timezone('utc')
    .readonly()
    .withVariable(modelVariable())

    .withRow(row('Throughput per GPU-hour'))
    .withPanel(
      timeSeriesPanel(
        { title: 'Tokens per GPU-hour by GPU type', description: 'Hourly tokens / GPU-hours of the deployments that served them (KPIS.md tokens_per_gpu_hour), from the rollups.', unit: 'short', width: 12, min: 0 },
        [
          chSeries(`
            SELECT hour AS time, gpu_type, sum(input_tokens + output_tokens) / nullIf(sum(gpu_hours), 0) AS tokens_per_gpu_hour
            FROM rollup_requests_hourly FINAL
            WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER}
            GROUP BY time, gpu_type
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        {
          title: 'Tokens and goodput per GPU-hour, last hour',
          description: 'token_factory_tokens_per_gpu_hour and token_factory_goodput_tokens_per_gpu_hour (only tokens of requests that met their SLO) per model and GPU type, over the hour ending at each scrape.',
          unit: 'short',
          width: 12,
          min: 0,
        },
        refIds([
          promQuery('max by (model, gpu_type) (token_factory_tokens_per_gpu_hour{model=~"$model"})', 'all {{model}} on {{gpu_type}}'),
          promQuery('max by (model, gpu_type) (token_factory_goodput_tokens_per_gpu_hour{model=~"$model"})', 'goodput {{model}} on {{gpu_type}}'),
        ]),
      ),
    )

    .withRow(row('Utilization and headroom'))
    .withPanel(
      timeSeriesPanel(
        {
          title: 'Token-active utilization by GPU type',
          description: 'Hourly tokens per GPU-hour / its 95th percentile over the range (measured peak at hourly grain; configured peaks apply in the app). headroom = 1 − utilization.',
          unit: 'percentunit',
          width: 12,
          min: 0,
        },
        [chSeries(UTILIZATION_SQL)],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'GPU busy ratio by GPU type', description: 'Σ covered seconds × activity / Σ covered seconds per hour (KPIS.md busy_ratio; DCGM_FI_PROF_GR_ENGINE_ACTIVE, else GPU_UTIL / 100), all GPUs of a type, assigned or not.', unit: 'percentunit', width: 12, min: 0, max: 1 },
        [
          chSeries(`
            SELECT hour AS time, gpu_type, sum(busy_s) / nullIf(sum(activity_s), 0) AS busy_ratio
            FROM rollup_deployments_hourly FINAL
            WHERE ${CURRENT_ROLLUP}
            GROUP BY time, gpu_type
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      barGaugePanel(
        { title: 'GPU engine activity now', description: 'Mean DCGM_FI_PROF_GR_ENGINE_ACTIVE per GPU model and node over the last 10 minutes; the rest is headroom.', unit: 'percentunit', width: 12, min: 0, max: 1 },
        [promInstant('avg by (modelName, Hostname) (avg_over_time(DCGM_FI_PROF_GR_ENGINE_ACTIVE[10m]))', '{{modelName}} {{Hostname}}')],
        steps('blue', [0.5, 'green'], [0.9, 'orange']),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'GPUs per deployment', description: 'GPUs with samples per deployment-hour (unassigned: GPUs of no deployment).', unit: 'short', width: 12, min: 0 },
        [
          chSeries(`
            SELECT hour AS time, deployment, sum(gpus) AS gpus
            FROM rollup_deployments_hourly FINAL
            WHERE ${CURRENT_ROLLUP}
            GROUP BY time, deployment
            ORDER BY time`),
        ],
      ),
    )

    .withRow(row('Demand'))
    .withPanel(
      timeSeriesPanel(
        { title: 'Tokens per hour by model', description: 'Gateway-billed tokens (input + output) per hour and their 24-hour moving average: the demand trend.', unit: 'short', width: 12, min: 0 },
        [
          chSeries(`
            SELECT time, model, tokens, avg(tokens) OVER (PARTITION BY model ORDER BY time ROWS BETWEEN 23 PRECEDING AND CURRENT ROW) AS tokens_24h_avg
            FROM (
              SELECT toStartOfHour(ts) AS time, model, sum(input_tokens + output_tokens) AS tokens
              FROM llm_requests FINAL
              WHERE $__timeFilter(ts) AND ${MODEL_FILTER}
              GROUP BY time, model
            )
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Server token rate and queue', description: 'Prompt + generation tokens per second counted by the inference servers, and requests waiting: demand the fleet sees right now.', unit: 'short', width: 12, min: 0 },
        refIds([
          promQuery('sum by (model_name) (rate(vllm:prompt_tokens_total{model_name=~"$model"}[$__rate_interval]) + rate(vllm:generation_tokens_total{model_name=~"$model"}[$__rate_interval]))', 'tokens/s {{model_name}}'),
          promQuery('sum by (model_name) (vllm:num_requests_waiting{model_name=~"$model"})', 'waiting {{model_name}}'),
        ]),
      ),
    )
    .build();
}
