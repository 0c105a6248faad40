/**
 * The OTLP/HTTP receiver with real senders: the OpenTelemetry JS SDK's own exporters
 * (`@opentelemetry/exporter-trace-otlp-proto`, `-http` (JSON), `exporter-metrics-otlp-proto`,
 * `-http`), unchanged, pointed at `token-factory collect`'s receiver on loopback; the rows
 * land in embedded ClickHouse once, resends included. Then what a sender gets for bad
 * bodies (the process stays up), OTLP partial success, and a store that goes down.
 *
 * Spans (fixed ids; 2026-01-01T00:00:00Z = T0):
 *   protobuf exporter, trace 11…11, service proto-gateway, tenant acme, model m1:
 *     root "POST /v1/chat/completions" (no token counts: not a request),
 *     "chat m1" #1: 100 in / 20 out,  "chat m1" #2: 300 in / 50 out
 *   JSON exporter, trace 22…22, service json-gateway, tenant globex, model m2:
 *     "chat m2": 70 in / 30 out, status ERROR
 *   → otel_traces 4 rows; llm_requests: acme 2 requests, 400 in, 70 out, 0 errors;
 *     globex 1 request, 70 in, 30 out, 1 error.
 * Metrics (points pinned to [T0, T0 + 60 s]), once per exporter with its own service:
 *   counter gen_ai.server.tokens: 300 + 50 = 350 (cumulative, monotonic sum);
 *   gauge gpu.kv_cache.usage 0.75; histogram gen_ai.client.operation.duration with
 *   bounds [0.1, 1, 10] and values 0.05, 2.5, 0.5 → count 3, sum 3.05, per-bucket
 *   counts [1, 1, 1, 0] (≤0.1: 0.05; ≤1: 0.5; ≤10: 2.5; >10: none).
 */
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DataPointType, MeterProvider, MetricReader, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parseConfig } from '../../core/config/load.js';
import { migrate } from '../../core/schema/migrate.js';
import { openStore, type Store } from '../../core/store/open-store.js';
import { startCollector, type RunningCollector } from '../../cli/commands/collect.js';
import { encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';

const T0_S = 1767225600;
const config = parseConfig({}, 'test');

let store: Store;
let collector: RunningCollector;
let spoolRoot: string;

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  spoolRoot = mkdtempSync(join(tmpdir(), 'tf-receiver-test-'));
  collector = await startCollector(store, config, { otlp: { host: '127.0.0.1', port: 0 }, api: null, metrics: null, spoolDir: join(spoolRoot, 'main'), batch: { maxBatchAgeMs: 50 } });
});
afterAll(async () => {
  await collector?.stop(5000);
  await store?.close();
  rmSync(spoolRoot, { recursive: true, force: true });
});

async function rows<T>(query: string): Promise<T[]> {
  const rs = await store.client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Spans made by the SDK (a provider with fixed ids), captured in memory to be exported by the exporter under test. */
function makeSpans(service: string, traceHex: string, spans: { name: string; kind: SpanKind; tenant: string; model?: string; tokens?: [number, number]; error?: boolean; startS: number }[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  let n = 0;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
    idGenerator: { generateTraceId: () => traceHex, generateSpanId: () => (++n).toString(16).padStart(16, '0') },
  });
  const tracer = provider.getTracer('gateway', '1.0.0');
  for (const s of spans) {
    const span = tracer.startSpan(s.name, {
      kind: s.kind,
      startTime: [T0_S + s.startS, 0],
      attributes: {
        'tenant.id': s.tenant,
        ...(s.model ? { 'gen_ai.request.model': s.model, 'gen_ai.operation.name': 'chat' } : {}),
        ...(s.tokens ? { 'gen_ai.usage.input_tokens': s.tokens[0], 'gen_ai.usage.output_tokens': s.tokens[1] } : {}),
      },
    });
    if (s.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 503' });
    span.end([T0_S + s.startS + 1, 0]);
  }
  return memory.getFinishedSpans();
}

function exportSpans(exporter: { export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void }, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

const PROTO_SPANS = () =>
  makeSpans('proto-gateway', '11111111111111111111111111111111', [
    { name: 'POST /v1/chat/completions', kind: SpanKind.SERVER, tenant: 'acme', startS: 0 },
    { name: 'chat m1', kind: SpanKind.CLIENT, tenant: 'acme', model: 'm1', tokens: [100, 20], startS: 1 },
    { name: 'chat m1', kind: SpanKind.CLIENT, tenant: 'acme', model: 'm1', tokens: [300, 50], startS: 2 },
  ]);
const JSON_SPANS = () => makeSpans('json-gateway', '22222222222222222222222222222222', [{ name: 'chat m2', kind: SpanKind.CLIENT, tenant: 'globex', model: 'm2', tokens: [70, 30], error: true, startS: 3 }]);

describe('OpenTelemetry SDK exporters, unchanged, against the receiver', () => {
  it('spans over OTLP/protobuf and OTLP/JSON land once in otel_traces and llm_requests', async () => {
    const proto = new ProtoTraceExporter({ url: `${collector.otlpUrl}/v1/traces` });
    const json = new JsonTraceExporter({ url: `${collector.otlpUrl}/v1/traces` });
    expect((await exportSpans(proto, PROTO_SPANS())).code).toBe(ExportResultCode.SUCCESS);
    expect((await exportSpans(json, JSON_SPANS())).code).toBe(ExportResultCode.SUCCESS);
    await collector.writer.flush();

    expect(await rows('SELECT ServiceName, SpanName, SpanId, SpanKind, StatusCode FROM otel_traces ORDER BY SpanId, ServiceName')).toEqual([
      { ServiceName: 'json-gateway', SpanName: 'chat m2', SpanId: '0000000000000001', SpanKind: 'Client', StatusCode: 'Error' },
      { ServiceName: 'proto-gateway', SpanName: 'POST /v1/chat/completions', SpanId: '0000000000000001', SpanKind: 'Server', StatusCode: 'Unset' },
      { ServiceName: 'proto-gateway', SpanName: 'chat m1', SpanId: '0000000000000002', SpanKind: 'Client', StatusCode: 'Unset' },
      { ServiceName: 'proto-gateway', SpanName: 'chat m1', SpanId: '0000000000000003', SpanKind: 'Client', StatusCode: 'Unset' },
    ]);
    // the protobuf request was rendered by the receiver (lane traces-rb, the default), the JSON one spooled as rows: both render attributes as the exporter does
    expect(await rows("SELECT SpanAttributes FROM otel_traces WHERE SpanId = '0000000000000003'")).toEqual([
      { SpanAttributes: { 'tenant.id': 'acme', 'gen_ai.request.model': 'm1', 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': '300', 'gen_ai.usage.output_tokens': '50' } },
    ]);
    const usage = 'SELECT tenant, count() AS requests, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(is_error) AS errors FROM llm_requests FINAL GROUP BY tenant ORDER BY tenant';
    expect(await rows(usage)).toEqual([
      { tenant: 'acme', requests: 2, input: 400, output: 70, errors: 0 },
      { tenant: 'globex', requests: 1, input: 70, output: 30, errors: 1 },
    ]);

    // the same spans exported again (a sender's retry): acknowledged, stored once
    expect((await exportSpans(proto, PROTO_SPANS())).code).toBe(ExportResultCode.SUCCESS);
    expect((await exportSpans(json, JSON_SPANS())).code).toBe(ExportResultCode.SUCCESS);
    await collector.writer.flush();
    expect(await rows('SELECT count() AS n, uniqExact(TraceId, SpanId) AS ids FROM otel_traces')).toEqual([{ n: 4, ids: 4 }]);
    expect(await rows('SELECT count() AS n FROM llm_requests')).toEqual([{ n: 3 }]);
    const metricsText = await collector.metrics.registry.metrics();
    expect(metricsText).toMatch(/token_factory_collector_batch_duration_seconds_count\{lane="traces-rb",outcome="written"\} [1-9]/);
    expect(metricsText).not.toContain('lane="traces-pb"');
    expect(metricsText).toContain('token_factory_collector_received_items_total{signal="traces",source="otlp"} 8');
    expect(metricsText).toContain('token_factory_collector_written_rows_total{signal="traces",table="otel_traces"} 4');
    expect(metricsText).toContain('token_factory_collector_dropped_items_total{signal="traces",reason="duplicate"} 4');
  });

  it('metrics over OTLP/protobuf and OTLP/JSON land once per point', async () => {
    for (const [service, exporter] of [
      ['proto-metrics', new ProtoMetricExporter({ url: `${collector.otlpUrl}/v1/metrics` })],
      ['json-metrics', new JsonMetricExporter({ url: `${collector.otlpUrl}/v1/metrics` })],
    ] as const) {
      const rm = await collectMetrics(service);
      const result = await new Promise<ExportResult>((resolve) => exporter.export(rm, resolve));
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      // a retry of the same export: the same points (series, second) are not stored twice
      expect((await new Promise<ExportResult>((resolve) => exporter.export(rm, resolve))).code).toBe(ExportResultCode.SUCCESS);
    }
    await collector.writer.flush();
    const t = '2026-01-01 00:01:00';
    expect(await rows("SELECT ServiceName, MetricName, Value, AggregationTemporality, IsMonotonic, toString(TimeUnix) AS t FROM otel_metrics_sum ORDER BY ServiceName")).toEqual([
      { ServiceName: 'json-metrics', MetricName: 'gen_ai.server.tokens', Value: 350, AggregationTemporality: 2, IsMonotonic: true, t },
      { ServiceName: 'proto-metrics', MetricName: 'gen_ai.server.tokens', Value: 350, AggregationTemporality: 2, IsMonotonic: true, t },
    ]);
    expect(await rows('SELECT ServiceName, MetricName, Value FROM otel_metrics_gauge ORDER BY ServiceName')).toEqual([
      { ServiceName: 'json-metrics', MetricName: 'gpu.kv_cache.usage', Value: 0.75 },
      { ServiceName: 'proto-metrics', MetricName: 'gpu.kv_cache.usage', Value: 0.75 },
    ]);
    expect(await rows('SELECT ServiceName, Count, Sum, BucketCounts, ExplicitBounds FROM otel_metrics_histogram ORDER BY ServiceName')).toEqual([
      { ServiceName: 'json-metrics', Count: 3, Sum: 3.05, BucketCounts: [1, 1, 1, 0], ExplicitBounds: [0.1, 1, 10] },
      { ServiceName: 'proto-metrics', Count: 3, Sum: 3.05, BucketCounts: [1, 1, 1, 0], ExplicitBounds: [0.1, 1, 10] },
    ]);
  });
});

describe('what senders get for bad requests (and the process stays up)', () => {
  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) => fetch(`${collector.otlpUrl}${path}`, { method: 'POST', body, headers });
  const PB = { 'content-type': 'application/x-protobuf' };
  const JSON_TYPE = { 'content-type': 'application/json' };
  const requireProto = createRequire(import.meta.url);
  const root = requireProto(requireProto.resolve('otlp-proto/build/esm/generated/root.js')) as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceResponse: { decode(b: Uint8Array): { partialSuccess?: { rejectedSpans: unknown; errorMessage: string } } } } } }; rpc?: unknown } };
  };

  it('malformed, truncated and random bodies: 400 with the reason', async () => {
    let r = await post('/v1/traces', '{"resourceSpans": [', JSON_TYPE);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ code: 3, message: 'malformed OTLP traces request: line 1, column 20: invalid JSON: Unexpected end of JSON input' });

    const good = encodeProtobuf(genAiTraceRequest(0, 3, 3));
    r = await post('/v1/traces', good.subarray(0, good.length - 7), PB);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/x-protobuf');
    const status = Buffer.from(await r.arrayBuffer());
    // google.rpc.Status { code: 3 (field 1, varint), message (field 2) }
    expect([...status.subarray(0, 2)]).toEqual([0x08, 0x03]);
    expect(status.subarray(4).toString()).toMatch(/^malformed OTLP traces request: byte \d+: truncated payload: a field runs past the end of the message$/);

    // 4 KiB of seeded noise
    let seed = 42;
    const noise = Buffer.alloc(4096, 0).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
    r = await post('/v1/traces', noise, PB);
    expect(r.status).toBe(400);
    expect(Buffer.from(await r.arrayBuffer()).toString()).toContain('malformed OTLP traces request');

    r = await post('/v1/metrics', '{"resourceSpans": []}', JSON_TYPE);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toContain('malformed OTLP metrics request');
  });

  it('oversized bodies and gzip bombs: 413; bad gzip: 400; unknown types and encodings: 415', async () => {
    let r = await post('/v1/traces', Buffer.alloc(17 * 1024 * 1024, 1), PB);
    expect(r.status).toBe(413);
    expect(Buffer.from(await r.arrayBuffer()).toString()).toContain('exceeds the limit of 16 MiB');

    // 64 MiB of zeros gzip to ~64 KiB: refused when the output passes 16 MiB
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100 * 1024);
    r = await post('/v1/traces', bomb, { ...PB, 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(Buffer.from(await r.arrayBuffer()).toString()).toContain('the body decompresses to more than the limit of 16 MiB');

    r = await post('/v1/traces', Buffer.from('not gzip at all'), { ...PB, 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(Buffer.from(await r.arrayBuffer()).toString()).toContain('invalid gzip body: incorrect header check');

    r = await post('/v1/traces', 'hello', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(((await r.json()) as { message: string }).message).toBe('unsupported Content-Type "text/plain": expected application/x-protobuf or application/json');
    r = await post('/v1/traces', 'x', { ...JSON_TYPE, 'content-encoding': 'br' });
    expect(r.status).toBe(415);

    r = await post('/v1/logs', '{"resourceLogs": []}', JSON_TYPE);
    expect(r.status).toBe(501);
    expect(((await r.json()) as { message: string }).message).toBe('logs are not stored by token-factory: send traces and metrics only');
    r = await fetch(`${collector.otlpUrl}/v1/traces`);
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');

    // still up: a good gzip request is stored
    r = await post('/v1/traces', gzipSync(encodeProtobuf(genAiTraceRequest(7, 5, 5))), { ...PB, 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    await collector.writer.flush();
    expect(await rows("SELECT count() AS n FROM otel_traces WHERE ServiceName = 'ai-gateway'")).toEqual([{ n: 5 }]);
  });

  it('spans without an identity are refused one by one: 200 with partial_success', async () => {
    const span = (spanId: string, name: string) => ({ traceId: '33333333333333333333333333333333', spanId, name, kind: 3, startTimeUnixNano: '1767225600000000000', endTimeUnixNano: '1767225601000000000' });
    const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] }, scopeSpans: [{ spans: [span('0000000000000001', 'kept'), span('', 'no span id')] }] }] };
    let r = await post('/v1/traces', JSON.stringify(body), JSON_TYPE);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: '1 spans without a trace id or span id are refused: a span is identified by (trace id, span id)' } });

    const request = genAiTraceRequest(9, 2, 2);
    request.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.traceId = new Uint8Array(0);
    r = await post('/v1/traces', encodeProtobuf(request), PB);
    expect(r.status).toBe(200);
    const response = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse.decode(Buffer.from(await r.arrayBuffer()));
    expect(Number(response.partialSuccess?.rejectedSpans)).toBe(1);
    await collector.writer.flush();
    expect(await rows("SELECT SpanName FROM otel_traces WHERE ServiceName = 'partial'")).toEqual([{ SpanName: 'kept' }]);
  });
});

describe('the store goes down', () => {
  it('acknowledged data waits in the spool, the spool full answers 503, and everything arrives once the store is back', async () => {
    const flaky = flakyStore(store);
    const second = await startCollector(flaky.store, config, {
      otlp: { host: '127.0.0.1', port: 0 },
      api: null,
      metrics: null,
      spoolDir: join(spoolRoot, 'flaky'),
      batch: { maxBatchAgeMs: 20 },
      maxSpoolBytes: 40_000,
      writer: { minBackoffMs: 50, maxBackoffMs: 200 },
    });
    const aiGateway = "SELECT count() AS n, uniqExact(TraceId, SpanId) AS ids FROM otel_traces WHERE ServiceName = 'ai-gateway'";
    // what the tests above stored under this service: 5 (gzip) + 1 (partial success)
    expect(await rows(aiGateway)).toEqual([{ n: 6, ids: 6 }]);
    try {
      flaky.down(true);
      const send = (i: number) => fetch(`${second.otlpUrl}/v1/traces`, { method: 'POST', body: encodeProtobuf(genAiTraceRequest(100 + i, 20, 20)), headers: { 'content-type': 'application/x-protobuf' } });
      // each request is ~13 KiB: three fit under 40 000 bytes, the fourth finds the spool full
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await send(i)).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      const refused = await send(3);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect((await refused.arrayBuffer()).byteLength).toBeGreaterThan(0);
      expect(second.writer.health.failing).toBe(true);
      expect(await rows(aiGateway)).toEqual([{ n: 6, ids: 6 }]);

      flaky.down(false);
      await second.writer.flush();
      // the retried request is accepted now
      expect((await send(3)).status).toBe(200);
      await second.writer.flush();
      // 6 + 4 requests × 20 spans
      expect(await rows(aiGateway)).toEqual([{ n: 86, ids: 86 }]);
    } finally {
      flaky.down(false);
      await second.stop(5000);
    }
  });
});

/** The store behind a switch: while down, every query fails as an unreachable server's would. */
function flakyStore(real: Store): { store: Store; down: (v: boolean) => void } {
  let isDown = false;
  const client = new Proxy(real.client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || !['query', 'command', 'exec', 'insert'].includes(String(prop))) return value;
      return (...args: unknown[]) =>
        isDown ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })) : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { store: { ...real, client, advertiseApi: () => {}, close: async () => {} }, down: (v) => (isDown = v) };
}

/** A reader collected by hand. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function collectMetrics(service: string): Promise<ResourceMetrics> {
  const reader = new ManualReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': service }), readers: [reader] });
  const meter = provider.getMeter('gateway-metrics', '1.0.0');
  const tokens = meter.createCounter('gen_ai.server.tokens', { unit: '{token}' });
  tokens.add(300, { 'gen_ai.token.type': 'output' });
  tokens.add(50, { 'gen_ai.token.type': 'output' });
  meter.createGauge('gpu.kv_cache.usage', { unit: '1' }).record(0.75, { 'gpu.id': '0' });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
  for (const s of [0.05, 2.5, 0.5]) duration.record(s);
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors);
  await provider.shutdown();
  const pin = <P extends { startTime: HrTime; endTime: HrTime }>(p: P): P => ({ ...p, startTime: [T0_S, 0], endTime: [T0_S + 60, 0] });
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((m): MetricData => {
        switch (m.dataPointType) {
          case DataPointType.HISTOGRAM:
            return { ...m, dataPoints: m.dataPoints.map(pin) };
          case DataPointType.EXPONENTIAL_HISTOGRAM:
            return { ...m, dataPoints: m.dataPoints.map(pin) };
          case DataPointType.GAUGE:
            return { ...m, dataPoints: m.dataPoints.map(pin) };
          case DataPointType.SUM:
            return { ...m, dataPoints: m.dataPoints.map(pin) };
        }
      }),
    })),
  };
}
