/**
 * What the OpenTelemetry JS SDK's own OTLP serializers send, decoded from protobuf and
 * from JSON: both must give the same rows, worked out by hand below.
 */
import { describe, expect, it } from 'vitest';
import type { GaugeRow, HistogramRow, SpanRow, SumRow } from '../../core/schema/otel-rows.js';
import {
  CHAT_SPAN_ID,
  genAiMetricsExport,
  genAiTraceExport,
  LINKED_SPAN_ID,
  LINKED_TRACE_ID,
  REMOTE_PARENT_SPAN_ID,
  SERVER_SPAN_ID,
  TRACE_ID,
} from '../../test/fixtures/otlp/sdk-genai-export.js';
import { decodeMetricsJson } from './decode-json.js';
import { decodeOtlp } from './decode-otlp.js';
import { decodeMetricsProtobuf, decodeTracesProtobuf } from './decode-protobuf.js';
import { metricsToRows } from './metrics-to-rows.js';
import { tracesToRows } from './traces-to-rows.js';

const RESOURCE = { 'service.name': 'ai-gateway', 'deployment.environment.name': 'prod' };

const CHAT_ROW: SpanRow = {
  Timestamp: '1767225600123456789',
  TraceId: TRACE_ID,
  SpanId: CHAT_SPAN_ID,
  ParentSpanId: REMOTE_PARENT_SPAN_ID,
  TraceState: '',
  SpanName: 'chat gpt-4o',
  SpanKind: 'Client',
  ServiceName: 'ai-gateway',
  ResourceAttributes: RESOURCE,
  ScopeName: 'gen-ai-gateway',
  ScopeVersion: '1.4.0',
  SpanAttributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.usage.input_tokens': '1200',
    'gen_ai.usage.output_tokens': '350',
    'tenant.id': 'acme',
    'server.address': 'vllm-0.gpu.internal',
    'gen_ai.server.time_to_first_token': '0.182',
    'gen_ai.request.temperature': '0.7',
    'gen_ai.request.stream': 'true',
    'gen_ai.response.finish_reasons': '["stop","length"]',
  },
  // 00:00:02.000000000 − 00:00:00.123456789
  Duration: '1876543211',
  StatusCode: 'Error',
  StatusMessage: 'upstream 503: overloaded',
  'Events.Timestamp': ['1767225600305456789'],
  'Events.Name': ['gen_ai.choice'],
  'Events.Attributes': [{ index: '0', finish_reason: 'stop' }],
  'Links.TraceId': [LINKED_TRACE_ID],
  'Links.SpanId': [LINKED_SPAN_ID],
  'Links.TraceState': ['rojo=00f067aa0ba902b7'],
  'Links.Attributes': [{ 'gen_ai.link.reason': 'retry' }],
};

const SERVER_ROW: SpanRow = {
  Timestamp: '1767225600000000000',
  TraceId: TRACE_ID,
  SpanId: SERVER_SPAN_ID,
  ParentSpanId: '',
  TraceState: '',
  SpanName: 'POST /v1/chat/completions',
  SpanKind: 'Server',
  ServiceName: 'ai-gateway',
  ResourceAttributes: RESOURCE,
  ScopeName: 'gen-ai-gateway',
  ScopeVersion: '1.4.0',
  SpanAttributes: { 'http.response.status_code': '200', 'tenant.id': 'acme' },
  Duration: '500000000',
  StatusCode: 'Ok',
  StatusMessage: '',
  'Events.Timestamp': [],
  'Events.Name': [],
  'Events.Attributes': [],
  'Links.TraceId': [],
  'Links.SpanId': [],
  'Links.TraceState': [],
  'Links.Attributes': [],
};

describe('traces exported by the OpenTelemetry JS SDK', () => {
  const { protobuf, json } = genAiTraceExport();

  it('decodes the protobuf serialisation to the expected rows', () => {
    expect(tracesToRows(decodeTracesProtobuf(protobuf))).toEqual([CHAT_ROW, SERVER_ROW]);
  });

  it('decodes the JSON serialisation (hex ids) to the same rows', () => {
    expect(decodeOtlp(json, { format: 'json' }).otel_traces).toEqual([CHAT_ROW, SERVER_ROW]);
    expect(decodeOtlp(json, { format: 'json', signal: 'traces' })).toEqual(
      decodeOtlp(protobuf, { format: 'protobuf', signal: 'traces' }),
    );
  });
});

const METRIC_COMMON = {
  ResourceAttributes: RESOURCE,
  ResourceSchemaUrl: '',
  ScopeName: 'gen-ai-gateway-metrics',
  ScopeVersion: '1.4.0',
  ScopeAttributes: {},
  ScopeDroppedAttrCount: 0,
  ScopeSchemaUrl: '',
  ServiceName: 'ai-gateway',
  StartTimeUnix: '1767225600000000000',
  TimeUnix: '1767225660000000000',
  Flags: 0,
  'Exemplars.FilteredAttributes': [],
  'Exemplars.TimeUnix': [],
  'Exemplars.Value': [],
  'Exemplars.SpanId': [],
  'Exemplars.TraceId': [],
};

const TOKENS_ROW: SumRow = {
  ...METRIC_COMMON,
  MetricName: 'gen_ai.server.tokens',
  MetricDescription: 'Tokens produced',
  MetricUnit: '{token}',
  Attributes: { 'gen_ai.token.type': 'output', 'tenant.id': 'acme' },
  Value: 350, // 300 + 50, sent as asInt
  AggregationTemporality: 2, // cumulative
  IsMonotonic: true,
};

const KV_CACHE_ROW: GaugeRow = {
  ...METRIC_COMMON,
  MetricName: 'gpu.kv_cache.usage',
  MetricDescription: '',
  MetricUnit: '1',
  Attributes: { 'gpu.id': '0' },
  Value: 0.75,
};

const DURATION_ROW: HistogramRow = {
  ...METRIC_COMMON,
  MetricName: 'gen_ai.client.operation.duration',
  MetricDescription: 'End-to-end request duration',
  MetricUnit: 's',
  Attributes: { 'gen_ai.request.model': 'gpt-4o' },
  Count: 3,
  Sum: 3.05, // 0.05 + 2.5 + 0.5 (the same double)
  // 0.05 ≤ 0.1 | 0.5 in (0.1, 1] | 2.5 in (1, 10] | none above 10
  BucketCounts: [1, 1, 1, 0],
  ExplicitBounds: [0.1, 1, 10],
  Min: 0.05,
  Max: 2.5,
  AggregationTemporality: 2,
};

describe('metrics exported by the OpenTelemetry JS SDK', async () => {
  const { protobuf, json } = await genAiMetricsExport();

  it('decodes the protobuf serialisation to the expected rows', () => {
    expect(metricsToRows(decodeMetricsProtobuf(protobuf))).toEqual({
      otel_metrics_gauge: [KV_CACHE_ROW],
      otel_metrics_sum: [TOKENS_ROW],
      otel_metrics_histogram: [DURATION_ROW],
      otel_metrics_exponential_histogram: [],
      otel_metrics_summary: [],
    });
  });

  it('decodes the JSON serialisation (counts as numbers) to the same rows', () => {
    expect(metricsToRows(decodeMetricsJson(json))).toEqual(metricsToRows(decodeMetricsProtobuf(protobuf)));
    expect(decodeOtlp(json, { format: 'json' })).toEqual(decodeOtlp(protobuf, { format: 'protobuf', signal: 'metrics' }));
  });
});
