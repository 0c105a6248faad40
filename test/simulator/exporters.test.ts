/**
 * What the simulated exporters serve, and that a backfill's OTLP metrics say the same as
 * a scrape: at one moment of the demo factory, the dcgm-exporter and vLLM exposition
 * (prom-client) decoded by the project's Prometheus path (parseExposition +
 * expositionToRows, the otelcol prometheus receiver's mapping) and the OTLP metrics the
 * simulator pushes (the SDK's protobuf serializer, and JSON → the receiver's decoder) give the same
 * rows: names, descriptions, resources, attributes, times, values, temporality,
 * histogram bounds and per-bucket counts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { decodeOtlp } from '../../collectors/otlp/decode-otlp.js';
import { parseExposition } from '../../collectors/prometheus/parse-exposition.js';
import { expositionToRows } from '../../collectors/prometheus/to-otel-rows.js';
import type { RawRows } from '../../core/schema/otel-rows.js';
import { FactoryEngine, type GpuUnit, type Replica } from '../../simulator/engine.js';
import { DCGM_FIELDS, VLLM_FIELDS, type Field } from '../../simulator/exporter-fields.js';
import { dcgmRegistry, vllmRegistry } from '../../simulator/exposition.js';
import { TargetSamples } from '../../simulator/otlp-metrics.js';
import { DEMO_TOPOLOGY } from '../../simulator/topology.js';

const T0 = Date.UTC(2026, 10, 18, 12);
const AT = T0 + 3_600_000;
let engine: FactoryEngine;
let h100: readonly GpuUnit[];
let replica: Replica;

beforeAll(() => {
  engine = new FactoryEngine({ topology: { ...DEMO_TOPOLOGY, outages: { mtbf_hours: 1e9, minutes: [3, 12], detect_s: 30 } }, seed: 3, startMs: T0 });
  engine.advance(AT, { call: () => {}, attempt: () => {} });
  h100 = engine.gpus.filter((g) => g.node === 'gpu-h100-01');
  replica = engine.replicas.find((r) => r.id === 'llama-8b-b200-0')!;
});

/** Rows of a scrape of `text` at AT, as the prometheus receiver maps it. */
function scraped(text: string, job: string, instance: string): RawRows {
  return expositionToRows(parseExposition(text), { job, instance, defaultTimeNs: `${AT}000000` });
}

/**
 * Rows the collector decodes from the simulator's OTLP push of the same moment, in the
 * wire format of the SDK exporter it uses (protobuf) and in OTLP/JSON; both must agree.
 */
function pushed<S>(fields: readonly Field<S>[], subject: S, job: string, instance: string): RawRows {
  const samples = new TargetSamples({ job, instance }, fields);
  samples.add(AT, subject);
  const rm = samples.take()!;
  const protobuf = decodeOtlp(ProtobufMetricsSerializer.serializeRequest(rm)!, { format: 'protobuf', signal: 'metrics' });
  const json = decodeOtlp(JsonMetricsSerializer.serializeRequest(rm)!, { format: 'json', signal: 'metrics' });
  expect(comparable(json)).toEqual(comparable(protobuf));
  return protobuf;
}

const KEY = ['ServiceName', 'ResourceAttributes', 'ScopeName', 'MetricName', 'MetricDescription', 'MetricUnit', 'Attributes', 'StartTimeUnix', 'TimeUnix'] as const;
function comparable(rows: RawRows) {
  const pick = (r: object, extra: string[]) => Object.fromEntries([...KEY, ...extra].map((k) => [k, (r as Record<string, unknown>)[k]]));
  const sortKey = (r: Record<string, unknown>) => `${r.MetricName} ${JSON.stringify(r.Attributes)}`;
  const sorted = <T extends Record<string, unknown>>(list: T[]) => list.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  return {
    gauge: sorted(rows.otel_metrics_gauge.map((r) => pick(r, ['Value']))),
    sum: sorted(rows.otel_metrics_sum.map((r) => pick(r, ['Value', 'IsMonotonic', 'AggregationTemporality']))),
    histogram: sorted(rows.otel_metrics_histogram.map((r) => pick(r, ['Count', 'Sum', 'BucketCounts', 'ExplicitBounds', 'AggregationTemporality']))),
  };
}

describe('dcgm-exporter', () => {
  let text: string;
  beforeAll(async () => {
    text = await dcgmRegistry(() => h100).metrics();
  });

  it('serves DCGM fields per GPU with dcgm-exporter’s labels, pod labels only on GPUs a pod holds', () => {
    expect(text).toContain('# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter');
    expect(text).toContain('# HELP DCGM_FI_PROF_GR_ENGINE_ACTIVE Ratio of time the graphics engine is active.');
    const g0 = h100[0]!;
    expect(text).toContain(
      `DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="${g0.uuid}",pci_bus_id="00000000:18:00.0",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-h100-01",container="vllm",namespace="inference",pod="vllm-llama-70b-h100-0"} ${Math.round(g0.powerW * 1000) / 1000}`,
    );
    const spare = h100[7]!;
    expect(text).toContain(`DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="7",UUID="${spare.uuid}",pci_bus_id="00000000:DB:00.0",device="nvidia7",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-h100-01"} ${Math.round(spare.energyMj)}`);
    // 8 GPUs × 6 fields
    expect(text.split('\n').filter((l) => l.startsWith('DCGM_FI_'))).toHaveLength(48);
  });

  it('a scrape and the OTLP push of the same moment land as the same rows', () => {
    const a = comparable(scraped(text, 'dcgm-exporter', '127.0.0.1:9400'));
    const b = comparable(pushed(DCGM_FIELDS, h100, 'dcgm-exporter', '127.0.0.1:9400'));
    expect(a.gauge).toHaveLength(40);
    expect(a.sum).toHaveLength(8);
    expect(b).toEqual(a);
    expect(a.sum[0]).toMatchObject({ MetricName: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', IsMonotonic: true, AggregationTemporality: 2, StartTimeUnix: '0' });
    expect(a.gauge[0]!.ResourceAttributes).toEqual({ 'service.name': 'dcgm-exporter', 'service.instance.id': '127.0.0.1:9400', 'server.port': '9400', 'url.scheme': 'http' });
  });
});

describe('vLLM', () => {
  let text: string;
  beforeAll(async () => {
    text = await vllmRegistry(replica).metrics();
  });

  it('serves vLLM V1 names with model_name and engine labels, histograms with vLLM’s buckets', () => {
    const labels = 'model_name="meta/llama-3.1-8b-instruct",engine="0"';
    expect(text).toContain(`vllm:prompt_tokens_total{${labels}} ${replica.counters.promptTokens}`);
    expect(text).toContain(`vllm:generation_tokens_total{${labels}} ${replica.counters.generationTokens}`);
    expect(text).toContain(`vllm:request_success_total{${labels},finished_reason="stop"} ${replica.counters.success.stop}`);
    expect(text).toContain(`vllm:time_to_first_token_seconds_bucket{${labels},le="0.001"}`);
    expect(text).toContain(`vllm:time_to_first_token_seconds_bucket{${labels},le="+Inf"} ${replica.counters.ttft.count}`);
    expect(text).toContain(`vllm:e2e_request_latency_seconds_count{${labels}} ${replica.counters.e2e.count}`);
    expect(text).toContain('# TYPE vllm:inter_token_latency_seconds histogram');
    expect(text).toMatch(/vllm:num_requests_running\{model_name="meta\/llama-3.1-8b-instruct",engine="0"\} \d+/);
    expect(replica.counters.e2e.count).toBeGreaterThan(100);
  });

  it('a scrape and the OTLP push of the same moment land as the same rows', () => {
    const a = comparable(scraped(text, 'llama-8b-b200', 'vllm-llama-8b-b200-0:8000'));
    const b = comparable(pushed(VLLM_FIELDS, replica, 'llama-8b-b200', 'vllm-llama-8b-b200-0:8000'));
    // 3 gauges; prompt + generation + 3 finish reasons; TTFT, ITL, e2e
    expect([a.gauge.length, a.sum.length, a.histogram.length]).toEqual([3, 5, 3]);
    expect(b).toEqual(a);
    const ttft = a.histogram.find((h) => h.MetricName === 'vllm:time_to_first_token_seconds')!;
    expect(ttft.ExplicitBounds).toHaveLength(22);
    expect(ttft.BucketCounts).toEqual(replica.counters.ttft.counts);
    // a host that is not loopback becomes server.address
    expect(a.gauge[0]!.ResourceAttributes).toEqual({
      'service.name': 'llama-8b-b200',
      'server.address': 'vllm-llama-8b-b200-0',
      'service.instance.id': 'vllm-llama-8b-b200-0:8000',
      'server.port': '8000',
      'url.scheme': 'http',
    });
  });
});
