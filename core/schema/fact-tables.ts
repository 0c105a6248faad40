/**
 * Typed facts the pipelines read, filled from the raw otel_* tables by materialized
 * views (views.ts) whichever collector wrote the raw rows (ours or otelcol-contrib's).
 *
 * Facts are ReplacingMergeTree keyed by identity, so a raw row delivered twice (the
 * exporter does not deduplicate) collapses on merge; every query that counts reads
 * them deduplicated (`LIMIT 1 BY` identity or FINAL), never relying on merges.
 */
import type { TableDef } from './ddl.js';

/** One row per LLM request span (KPIS.md "Request"). */
export const LLM_REQUESTS: TableDef = {
  name: 'llm_requests',
  columns: `
    ts DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    hour DateTime CODEC(Delta, ZSTD(1)),
    end_ts DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    parent_span_id String CODEC(ZSTD(1)),
    service LowCardinality(String),
    span_name LowCardinality(String),
    tenant LowCardinality(String),
    model LowCardinality(String),
    request_model LowCardinality(String),
    endpoint LowCardinality(String),
    server_address LowCardinality(String),
    input_tokens UInt64,
    output_tokens UInt64,
    -- NULL when the span's end is unknown (end 0 or before its start: views.ts)
    e2e_ms Nullable(Float64),
    ttft_ms Nullable(Float64),
    is_error UInt8,
    error_type LowCardinality(String),
    workflow_id String CODEC(ZSTD(1))`,
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(hour)',
  orderBy: '(hour, trace_id, span_id)',
};

/**
 * Root spans (no parent): what decides a workflow (KPIS.md "Workflows"): its name,
 * outcome and status, by end time.
 */
export const TRACE_ROOTS: TableDef = {
  name: 'trace_roots',
  columns: `
    ts DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    end_ts DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    workflow_id String CODEC(ZSTD(1)),
    workflow_name LowCardinality(String),
    outcome LowCardinality(String),
    is_error UInt8,
    tenant LowCardinality(String)`,
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(ts)',
  orderBy: '(trace_id, span_id)',
};

/**
 * DCGM samples, one row per (GPU, metric, time), with the GPU's identity labels.
 * Long form: dcgm-exporter reports each field as its own series.
 */
export const GPU_SAMPLES: TableDef = {
  name: 'gpu_samples',
  columns: `
    ts DateTime CODEC(Delta, ZSTD(1)),
    uuid LowCardinality(String),
    gpu_index UInt16,
    node LowCardinality(String),
    model_name LowCardinality(String),
    gpu_type LowCardinality(String),
    pod LowCardinality(String),
    namespace LowCardinality(String),
    metric LowCardinality(String),
    value Float64`,
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(ts)',
  orderBy: '(uuid, metric, ts)',
};

/**
 * Inference-server counters and gauges (vLLM, NIM, SGLang, Triton, TGI), one row per
 * (series, time). `metric` is the exporter's name without its prefix (`vllm:`,
 * `sglang:`, `nv_`, `tgi_`), `server_kind` says which exporter.
 */
export const SERVER_SAMPLES: TableDef = {
  name: 'server_samples',
  columns: `
    ts DateTime CODEC(Delta, ZSTD(1)),
    service LowCardinality(String),
    instance LowCardinality(String),
    server_kind LowCardinality(String),
    model LowCardinality(String),
    metric LowCardinality(String),
    attributes Map(LowCardinality(String), String),
    value Float64`,
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(ts)',
  orderBy: '(service, instance, metric, model, cityHash64(attributes), ts)',
};

/** Inference-server histograms (TTFT, ITL, e2e …): per-bucket (not cumulative) counts, bounds without +Inf, as in otel_metrics_histogram. */
export const SERVER_HISTOGRAMS: TableDef = {
  name: 'server_histograms',
  columns: `
    ts DateTime CODEC(Delta, ZSTD(1)),
    service LowCardinality(String),
    instance LowCardinality(String),
    server_kind LowCardinality(String),
    model LowCardinality(String),
    metric LowCardinality(String),
    attributes Map(LowCardinality(String), String),
    bounds Array(Float64),
    bucket_counts Array(UInt64),
    count UInt64,
    sum Float64`,
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(ts)',
  orderBy: '(service, instance, metric, model, cityHash64(attributes), ts)',
};

export const FACT_TABLES: readonly TableDef[] = [LLM_REQUESTS, TRACE_ROOTS, GPU_SAMPLES, SERVER_SAMPLES, SERVER_HISTOGRAMS];
