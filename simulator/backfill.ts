/**
 * Backfill: runs the engine over a past window as fast as the collector takes it and
 * sends everything through the collector's front door, OTLP/HTTP, with the simulated
 * (historical) timestamps — gateway spans as OTLP traces (protobuf, many spans per
 * request), and what the dcgm-exporter and vLLM endpoints would have shown at every
 * sample time as OTLP metrics shaped like otelcol's prometheus receiver output
 * (otlp-metrics.ts), an hour of samples per target per request.
 */
import type { FactoryEngine, GpuUnit, Replica, SimSink } from './engine.js';
import { DCGM_FIELDS, VLLM_FIELDS } from './exporter-fields.js';
import { TargetSamples, type ScrapeIdentity } from './otlp-metrics.js';
import type { OtlpPush } from './otlp-push.js';
import { CollectingSpanProcessor, SpanEmitter } from './span-emitter.js';
import { DCGM_JOB } from './exposition.js';

/** How each exporter is named as a scrape target (job, instance). */
export interface TargetNames {
  dcgm(node: string): ScrapeIdentity;
  vllm(replica: Replica): ScrapeIdentity;
}

/** Stable names when no live endpoint exists: `<node>:9400` (dcgm-exporter's port), `<pod>:8000` (vLLM's). */
export const DEFAULT_TARGET_NAMES: TargetNames = {
  dcgm: (node) => ({ job: DCGM_JOB, instance: `${node}:9400` }),
  vllm: (r) => ({ job: r.deployment, instance: `${r.pod}:8000` }),
};

export interface BackfillProgress {
  /** simulated ms done of the window */
  doneMs: number;
  totalMs: number;
  spans: number;
  points: number;
}

export interface BackfillOptions {
  /** an engine started at the window's start, sampling at the interval wanted */
  engine: FactoryEngine;
  /** end of the window (exclusive) */
  toMs: number;
  push: OtlpPush;
  targets?: TargetNames;
  /** spans per export request (default 8000) */
  spanBatch?: number;
  /** simulated time of samples per export request of a target (default 6 h) */
  metricsEveryMs?: number;
  /** after the window, let workflows in flight finish (their spans start at or after `toMs`) */
  drain?: boolean;
  onProgress?: (p: BackfillProgress) => void;
}

export interface BackfillResult {
  spans: number;
  points: number;
  seconds: number;
}

/** Simulated time advanced between checks for full batches. */
const CHUNK_MS = 60_000;

export async function backfill(opts: BackfillOptions): Promise<BackfillResult> {
  const started = Date.now();
  const { engine, push } = opts;
  const names = opts.targets ?? DEFAULT_TARGET_NAMES;
  const spanBatch = opts.spanBatch ?? 8000;
  const samplesPerExport = Math.max(1, Math.round((opts.metricsEveryMs ?? 6 * 3_600_000) / (engine.sampleIntervalMs || 60_000)));
  const processor = new CollectingSpanProcessor();
  const emitter = new SpanEmitter(processor);
  const dcgm = engine.topology.nodes.map((n) => {
    const gpus: readonly GpuUnit[] = engine.gpus.filter((g) => g.node === n.name);
    return { gpus, samples: new TargetSamples(names.dcgm(n.name), DCGM_FIELDS), taken: 0 };
  });
  const vllm = engine.replicas.map((r) => ({ replica: r, samples: new TargetSamples(names.vllm(r), VLLM_FIELDS), taken: 0 }));
  let sampleTimes = 0;
  const sink: SimSink = {
    call: (c) => emitter.call(c),
    attempt: (a) => emitter.attempt(a),
    sample: (t) => {
      sampleTimes++;
      for (const d of dcgm) d.samples.add(t, d.gpus);
      // a crashed vLLM cannot be scraped: no sample
      for (const v of vllm) if (v.replica.up) v.samples.add(t, v.replica);
    },
  };
  const sendSpans = async (all: boolean) => {
    while (processor.spans.length >= spanBatch || (all && processor.spans.length > 0)) {
      const batch = processor.spans.splice(0, spanBatch);
      await push.spans(batch);
    }
  };
  const sendMetrics = async (all: boolean) => {
    if (!all && sampleTimes < samplesPerExport) return;
    sampleTimes = 0;
    for (const t of [...dcgm, ...vllm]) {
      const points = t.samples.points;
      const rm = t.samples.take();
      if (rm) await push.resourceMetrics(rm, points);
    }
  };
  const from = engine.now;
  const total = Math.max(0, opts.toMs - from);
  let t = from;
  while (t < opts.toMs) {
    t = Math.min(opts.toMs, t + CHUNK_MS);
    engine.advance(t, sink);
    await sendSpans(false);
    await sendMetrics(false);
    opts.onProgress?.({ doneMs: t - from, totalMs: total, spans: push.spansSent, points: push.pointsSent });
    // let the collector (same process in the demo) take its turn
    await new Promise<void>((r) => setImmediate(r));
  }
  // the window's end gets a sample even off the grid: it closes the last interval
  engine.sampleNow(sink);
  await sendMetrics(true);
  if (opts.drain) engine.drain(sink);
  await sendSpans(true);
  await push.flush();
  opts.onProgress?.({ doneMs: total, totalMs: total, spans: push.spansSent, points: push.pointsSent });
  await emitter.shutdown();
  return { spans: emitter.emitted, points: push.pointsSent, seconds: (Date.now() - started) / 1000 };
}
