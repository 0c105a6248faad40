/**
 * Inference-server exporters. The typed server tables take series by name prefix —
 * vLLM `vllm:`, SGLang `sglang:`, Triton `nv_`, TGI `tgi_` — and the model from the
 * `model_name` (else `model`) label:
 * - vLLM (`vllm:*`, label `model_name`), SGLang (`sglang:*`, `model_name`): as they are;
 *   a series without a model label takes the target's configured one.
 * - NIM for LLMs serves vLLM's metrics without the `vllm:` prefix
 *   (`prompt_tokens_total`, `time_to_first_token_seconds`, …, NIM docs "Observability"):
 *   those names get the prefix, so NIM reads as the vLLM engine it runs.
 * - Triton (`nv_*`, label `model`; durations in µs, kept as they are).
 * - TGI (`tgi_*`) has no model label at all: it comes from the target's config labels
 *   (`model_name`, else `model`).
 */
import type { ScrapeMapper } from './mapper.js';
import { ensureModel, mapMetricRows } from './relabel.js';

export const mapVllm: ScrapeMapper = (rows, target) => {
  const notes: string[] = [];
  return { rows: ensureModel(rows, 'vllm:', target.labels, notes, 'vLLM'), notes };
};

export const mapSglang: ScrapeMapper = (rows, target) => {
  const notes: string[] = [];
  return { rows: ensureModel(rows, 'sglang:', target.labels, notes, 'SGLang'), notes };
};

export const mapTriton: ScrapeMapper = (rows) => ({ rows, notes: [] });

export const mapTgi: ScrapeMapper = (rows, target) => {
  const notes: string[] = [];
  return { rows: ensureModel(rows, 'tgi_', target.labels, notes, 'TGI'), notes };
};

/** vLLM's metric names (without `vllm:`) that NIM for LLMs serves unprefixed (a histogram's row carries the family name). */
export const NIM_VLLM_NAMES: ReadonlySet<string> = new Set([
  'num_requests_running',
  'num_requests_waiting',
  'num_requests_swapped',
  'num_request_max',
  'gpu_cache_usage_perc',
  'kv_cache_usage_perc',
  'prompt_tokens_total',
  'generation_tokens_total',
  'time_to_first_token_seconds',
  'time_per_output_token_seconds',
  'inter_token_latency_seconds',
  'e2e_request_latency_seconds',
  'request_prompt_tokens',
  'request_generation_tokens',
  'request_success_total',
  'request_finish_total',
  'request_queue_time_seconds',
  'request_inference_time_seconds',
  'request_prefill_time_seconds',
  'request_decode_time_seconds',
]);

export const mapNim: ScrapeMapper = (rows, target) => {
  const prefixed = mapMetricRows(rows, (row) => (NIM_VLLM_NAMES.has(row.MetricName) ? { ...row, MetricName: `vllm:${row.MetricName}` } : row));
  const notes: string[] = [];
  return { rows: ensureModel(prefixed, 'vllm:', target.labels, notes, 'NIM'), notes };
};
