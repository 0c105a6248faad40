/**
 * What the simulated exporters expose, defined once for both ways out: the live
 * Prometheus endpoints (exposition.ts, prom-client) and the OTLP metrics of a backfill
 * (otlp-metrics.ts), so a scrape and a pushed sample of the same moment say the same.
 *
 * - dcgm-exporter, one endpoint per node: `DCGM_FI_*` per GPU with labels `gpu`, `UUID`,
 *   `pci_bus_id`, `device`, `modelName`, `Hostname` and, for GPUs a pod holds
 *   (Kubernetes mapping), `container`, `namespace`, `pod`. Names, types and HELP as
 *   dcgm-exporter's default counters file writes them.
 * - vLLM (V1), one endpoint per replica: `vllm:*` with labels `model_name`, `engine`.
 */
import type { GpuUnit, Replica } from './engine.js';
import type { Hist } from './histogram.js';

export type Labels = Record<string, string>;

export interface ScalarField<S> {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  /** one value per series of the subject */
  series(subject: S): { labels: Labels; value: number }[];
}

export interface HistogramField<S> {
  name: string;
  help: string;
  type: 'histogram';
  series(subject: S): { labels: Labels; hist: Hist }[];
}

export type Field<S> = ScalarField<S> | HistogramField<S>;

/** dcgm-exporter's labels of a GPU. */
export function dcgmLabels(g: GpuUnit): Labels {
  const labels: Labels = {
    gpu: String(g.index),
    UUID: g.uuid,
    pci_bus_id: g.pciBusId,
    device: g.device,
    modelName: g.spec.model_name,
    Hostname: g.node,
  };
  if (g.pod !== '') {
    labels.container = g.container;
    labels.namespace = g.namespace;
    labels.pod = g.pod;
  }
  return labels;
}

const perGpu = (value: (g: GpuUnit) => number) => (gpus: readonly GpuUnit[]) => gpus.map((g) => ({ labels: dcgmLabels(g), value: value(g) }));

/** One node's GPUs. */
export const DCGM_FIELDS: ScalarField<readonly GpuUnit[]>[] = [
  { name: 'DCGM_FI_DEV_GPU_TEMP', help: 'GPU temperature (in C).', type: 'gauge', series: perGpu((g) => Math.round(g.tempC)) },
  { name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).', type: 'gauge', series: perGpu((g) => Math.round(g.powerW * 1000) / 1000) },
  { name: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', help: 'Total energy consumption since boot (in mJ).', type: 'counter', series: perGpu((g) => Math.round(g.energyMj)) },
  { name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).', type: 'gauge', series: perGpu((g) => Math.round(100 * g.activity)) },
  { name: 'DCGM_FI_DEV_FB_USED', help: 'Framebuffer memory used (in MiB).', type: 'gauge', series: perGpu((g) => g.fbUsedMiB) },
  { name: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', help: 'Ratio of time the graphics engine is active.', type: 'gauge', series: perGpu((g) => Math.round(g.activity * 1e6) / 1e6) },
];

/** vLLM's labels of a replica (one engine per process). */
export function vllmLabels(r: Replica): Labels {
  return { model_name: r.model, engine: '0' };
}

const one = (value: (r: Replica) => number) => (r: Replica) => [{ labels: vllmLabels(r), value: value(r) }];

/** One replica (a vLLM process). */
export const VLLM_FIELDS: Field<Replica>[] = [
  { name: 'vllm:num_requests_running', help: 'Number of requests in model execution batches.', type: 'gauge', series: one((r) => Math.round(r.state.batch)) },
  { name: 'vllm:num_requests_waiting', help: 'Number of requests waiting to be processed.', type: 'gauge', series: one((r) => Math.round(r.queue)) },
  { name: 'vllm:kv_cache_usage_perc', help: 'KV-cache usage. 1 means 100 percent usage.', type: 'gauge', series: one((r) => Math.round(r.state.kvCacheUsage * 1e4) / 1e4) },
  { name: 'vllm:prompt_tokens_total', help: 'Number of prefill tokens processed.', type: 'counter', series: one((r) => r.counters.promptTokens) },
  { name: 'vllm:generation_tokens_total', help: 'Number of generation tokens processed.', type: 'counter', series: one((r) => r.counters.generationTokens) },
  {
    name: 'vllm:request_success_total',
    help: 'Count of successfully processed requests.',
    type: 'counter',
    series: (r) => (['stop', 'length', 'abort'] as const).map((reason) => ({ labels: { ...vllmLabels(r), finished_reason: reason }, value: r.counters.success[reason] })),
  },
  { name: 'vllm:time_to_first_token_seconds', help: 'Histogram of time to first token in seconds.', type: 'histogram', series: (r) => [{ labels: vllmLabels(r), hist: r.counters.ttft }] },
  { name: 'vllm:inter_token_latency_seconds', help: 'Histogram of inter-token latency in seconds.', type: 'histogram', series: (r) => [{ labels: vllmLabels(r), hist: r.counters.itl }] },
  { name: 'vllm:e2e_request_latency_seconds', help: 'Histogram of e2e request latency in seconds.', type: 'histogram', series: (r) => [{ labels: vllmLabels(r), hist: r.counters.e2e }] },
];
