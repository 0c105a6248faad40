/**
 * SRE: latency (TTFT, inter-token, end-to-end; p50–p99 per model) from the gateway's
 * spans and from the inference servers' histograms, errors and wasted tokens, SLO burn
 * rates, queues and KV cache, GPU utilization and power per node, collector health.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { COLLECTOR_METRICS as C } from './collector-metrics.js';
import { chSeries, chTable, promInstant, promQuery, refIds, row, statPanel, steps, tablePanel, timeSeriesPanel } from './panels.js';
import { MODEL_FILTER } from './sql.js';
import { modelVariable } from './variables.js';

const QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;
const pct = (q: number) => `p${Math.round(q * 100)}`;

/** p50–p99 of a span latency column per model and interval, from llm_requests (exact quantiles). */
function spanQuantiles(column: string, where: string) {
  return chSeries(`
    SELECT $__timeInterval(ts) AS time, model,
      ${QUANTILES.map((q) => `quantileExact(${q})(${column}) AS ${column}_${pct(q)}`).join(',\n      ')}
    FROM (
      SELECT ts, model, ${column === 'tpot_ms' ? 'if(output_tokens > 1 AND ttft_ms IS NOT NULL, (e2e_ms - ttft_ms) / (output_tokens - 1), NULL) AS tpot_ms' : column}
      FROM llm_requests FINAL
      WHERE $__timeFilter(ts) AND ${MODEL_FILTER}${where}
    )
    GROUP BY time, model
    ORDER BY time`);
}

/** p50–p99 of a vLLM histogram per model, in ms (PromQL histogram_quantile over bucket rates). */
function histogramQuantiles(metric: string) {
  return refIds(
    QUANTILES.map((q) =>
      promQuery(`histogram_quantile(${q}, sum by (le, model_name) (rate(${metric}_bucket{model_name=~"$model"}[$__rate_interval]))) * 1000`, `${pct(q)} {{model_name}}`),
    ),
  );
}

export function sreDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('token-factory · SRE')
    .uid('token-factory-sre')
    .description('Latency, errors, SLO burn, queues, GPUs and collector health of the token factory.')
    .tags(['token-factory', 'sre'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .timezone('utc')
    .readonly()
    .withVariable(modelVariable())

    .withRow(row('Latency per model (gateway spans)'))
    .withPanel(
      timeSeriesPanel(
        { title: 'TTFT p50–p99', description: 'Time to first token from gateway spans (gen_ai.server.time_to_first_token), exact quantiles per interval. KPIS.md ttft_ms_p50…p99.', unit: 'ms', width: 8 },
        [spanQuantiles('ttft_ms', ' AND ttft_ms IS NOT NULL')],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Time per output token p50–p99', description: 'tpot_ms = (e2e_ms − ttft_ms) / (output_tokens − 1) for requests with more than one output token. KPIS.md tpot_ms_p50…p99.', unit: 'ms', width: 8 },
        [spanQuantiles('tpot_ms', ' AND output_tokens > 1 AND ttft_ms IS NOT NULL')],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'End-to-end p50–p99', description: 'Span duration of LLM requests, exact quantiles per interval. KPIS.md e2e_ms_p50…p99.', unit: 'ms', width: 8 },
        [spanQuantiles('e2e_ms', '')],
      ),
    )

    .withRow(row('Latency per model (inference servers)'))
    .withPanel(
      timeSeriesPanel(
        { title: 'TTFT p50–p99 (vLLM)', description: 'histogram_quantile over vllm:time_to_first_token_seconds bucket rates.', unit: 'ms', width: 8 },
        histogramQuantiles('vllm:time_to_first_token_seconds'),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Inter-token latency p50–p99 (vLLM)', description: 'histogram_quantile over vllm:inter_token_latency_seconds bucket rates.', unit: 'ms', width: 8 },
        histogramQuantiles('vllm:inter_token_latency_seconds'),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'End-to-end p50–p99 (vLLM)', description: 'histogram_quantile over vllm:e2e_request_latency_seconds bucket rates.', unit: 'ms', width: 8 },
        histogramQuantiles('vllm:e2e_request_latency_seconds'),
      ),
    )

    .withRow(row('Errors and SLOs'))
    .withPanel(
      timeSeriesPanel(
        { title: 'Error rate', description: 'errors / requests per interval from gateway spans (status ERROR or error.type). KPIS.md error_rate.', unit: 'percentunit', width: 8, min: 0 },
        [
          chSeries(`
            SELECT $__timeInterval(ts) AS time, model, countIf(is_error) / count() AS error_rate
            FROM llm_requests FINAL
            WHERE $__timeFilter(ts) AND ${MODEL_FILTER}
            GROUP BY time, model
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Wasted tokens', description: 'Tokens of errored requests per interval. KPIS.md wasted_tokens.', unit: 'short', width: 8, min: 0 },
        [
          chSeries(`
            SELECT $__timeInterval(ts) AS time, model, sumIf(input_tokens + output_tokens, is_error) AS wasted_tokens
            FROM llm_requests FINAL
            WHERE $__timeFilter(ts) AND ${MODEL_FILTER}
            GROUP BY time, model
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        {
          title: 'SLO burn rate',
          description: 'Bad-event ratio / allowed bad ratio per SLO and window (token_factory_slo_burn_rate). Paging thresholds: 14.4 (1h and 5m), 6 (6h and 30m).',
          unit: 'short',
          width: 8,
          min: 0,
        },
        [promQuery('max by (slo, window) (token_factory_slo_burn_rate)', '{{slo}} {{window}}')],
      ).thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps('green', [6, 'orange'], [14.4, 'red']))),
    )
    .withPanel(
      statPanel(
        { title: 'TTFT p95, last hour', description: 'token_factory_ttft_ms_p95: gateway-span TTFT p95 over the hour ending now.', unit: 'ms', width: 12 },
        [promInstant('max by (model) (token_factory_ttft_ms_p95{model=~"$model"})', '{{model}}')],
      ),
    )
    .withPanel(
      statPanel(
        { title: 'Error rate, last hour', description: 'token_factory_error_rate over the hour ending now.', unit: 'percentunit', width: 12, decimals: 2 },
        [promInstant('max by (model) (token_factory_error_rate{model=~"$model"})', '{{model}}')],
        steps('green', [0.01, 'orange'], [0.05, 'red']),
      ),
    )

    .withRow(row('Inference servers'))
    .withPanel(
      timeSeriesPanel(
        { title: 'Queue depth', description: 'Requests waiting and running per model (vllm:num_requests_waiting, vllm:num_requests_running).', unit: 'short', width: 12, min: 0 },
        refIds([
          promQuery('sum by (model_name) (vllm:num_requests_waiting{model_name=~"$model"})', 'waiting {{model_name}}'),
          promQuery('sum by (model_name) (vllm:num_requests_running{model_name=~"$model"})', 'running {{model_name}}'),
        ]),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'KV cache usage', description: 'vllm:kv_cache_usage_perc (0–1) per server instance.', unit: 'percentunit', width: 12, min: 0, max: 1 },
        [promQuery('max by (model_name, instance) (vllm:kv_cache_usage_perc{model_name=~"$model"})', '{{model_name}} {{instance}}')],
      ),
    )

    .withRow(row('GPUs'))
    .withPanel(
      timeSeriesPanel(
        { title: 'GPU utilization per node', description: 'Mean DCGM_FI_DEV_GPU_UTIL of the node\'s GPUs (dcgm-exporter).', unit: 'percent', width: 12, min: 0, max: 100 },
        [promQuery('avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL)', '{{Hostname}}')],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'GPU power per node', description: 'Sum of DCGM_FI_DEV_POWER_USAGE of the node\'s GPUs.', unit: 'watt', width: 12, min: 0 },
        [promQuery('sum by (Hostname) (DCGM_FI_DEV_POWER_USAGE)', '{{Hostname}}')],
      ),
    )

    .withRow(row('Collector health'))
    .withPanel(
      timeSeriesPanel(
        {
          title: 'Scrape targets up',
          description: `1 = the last scrape succeeded: Prometheus' \`up\` per job and instance, and the collector's own scrapes of exporters (${C.scrapeUp}).`,
          unit: 'short',
          width: 8,
          min: 0,
          max: 1,
        },
        refIds([promQuery('up', 'prometheus {{job}} {{instance}}'), promQuery(C.scrapeUp, 'collector {{job}} {{instance}}')]),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        {
          title: 'Items through the collector',
          description: `Per second: items received (${C.received}), rows written (${C.written}), items rejected as bad input (${C.rejected}), items dropped by reason (${C.dropped}: duplicate is a resend, the rest is loss).`,
          unit: 'short',
          width: 8,
          min: 0,
        },
        refIds([
          promQuery(`sum by (signal) (rate(${C.received}[$__rate_interval]))`, 'received {{signal}}'),
          promQuery(`sum by (signal) (rate(${C.written}[$__rate_interval]))`, 'written {{signal}}'),
          promQuery(`sum by (signal) (rate(${C.rejected}[$__rate_interval]))`, 'rejected {{signal}}'),
          promQuery(`sum by (signal, reason) (rate(${C.dropped}[$__rate_interval]))`, 'dropped {{signal}} {{reason}}'),
        ]),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Write backlog', description: `Items spooled and not yet written (${C.queueItems}) and sealed batches waiting for the writer (${C.queueBatches}): a backlog that grows means the store is slow or down.`, unit: 'short', width: 8, min: 0 },
        refIds([promQuery(`sum by (instance, signal) (${C.queueItems})`, 'items {{instance}} {{signal}}'), promQuery(`sum by (instance) (${C.queueBatches})`, 'batches {{instance}}')]),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Spool on disk', description: `Bytes of the collector's on-disk spool (${C.spoolBytes}): what was acknowledged and is not in ClickHouse yet survives a restart there.`, unit: 'bytes', width: 8, min: 0 },
        [promQuery(`sum by (instance) (${C.spoolBytes})`, '{{instance}}')],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Batch write latency p95', description: `95th percentile time to stage and commit one batch, per outcome (${C.batchSeconds}).`, unit: 's', width: 8, min: 0 },
        [promQuery(`histogram_quantile(0.95, sum by (le, outcome) (rate(${C.batchSeconds}_bucket[$__rate_interval])))`, '{{outcome}}')],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Requests refused', description: `OTLP requests refused whole per second, by status and reason (${C.rejectedRequests}): 400 malformed, 413 too large, 429/503 queue full.`, unit: 'reqps', width: 8, min: 0 },
        [promQuery(`sum by (signal, status, reason) (rate(${C.rejectedRequests}[$__rate_interval]))`, '{{signal}} {{status}} {{reason}}')],
      ),
    )
    .withPanel(
      tablePanel(
        {
          title: 'Data freshness',
          description: 'Newest row of each typed fact table and its age: a collector or exporter that stopped shows here before its KPIs go stale.',
          unit: 's',
          width: 24,
          height: 6,
        },
        [
          chTable(`
            SELECT 'llm_requests' AS fact_table, max(ts) AS newest, dateDiff('second', max(ts), now()) AS age_s FROM llm_requests WHERE ts > now() - INTERVAL 1 DAY
            UNION ALL
            SELECT 'gpu_samples', max(ts), dateDiff('second', max(ts), now()) FROM gpu_samples WHERE ts > now() - INTERVAL 1 DAY
            UNION ALL
            SELECT 'server_samples', max(ts), dateDiff('second', max(ts), now()) FROM server_samples WHERE ts > now() - INTERVAL 1 DAY
            UNION ALL
            SELECT 'server_histograms', max(ts), dateDiff('second', max(ts), now()) FROM server_histograms WHERE ts > now() - INTERVAL 1 DAY`),
        ],
      ),
    )
    .build();
}
