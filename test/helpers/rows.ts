/** Small factories of raw rows for tests that do not go through a decoder. */
import type { SpanRow, GaugeRow } from '../../core/schema/otel-rows.js';
import { NO_EXEMPLARS } from '../../core/schema/otel-rows.js';

export function spanRow(over: Partial<SpanRow> = {}): SpanRow {
  return {
    Timestamp: '1764000000000000000', // 2025-11-24T16:00:00Z
    TraceId: '0af7651916cd43dd8448eb211c80319c',
    SpanId: 'b7ad6b7169203331',
    ParentSpanId: '',
    TraceState: '',
    SpanName: 'chat meta/llama-3.1-70b-instruct',
    SpanKind: 'Client',
    ServiceName: 'ai-gateway',
    ResourceAttributes: { 'service.name': 'ai-gateway' },
    ScopeName: 'gateway',
    ScopeVersion: '1.0.0',
    SpanAttributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'meta/llama-3.1-70b-instruct',
      'gen_ai.usage.input_tokens': '100',
      'gen_ai.usage.output_tokens': '20',
      'tenant.id': 'acme',
    },
    Duration: '1500000000',
    StatusCode: 'Unset',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
    ...over,
  };
}

export function gaugeRow(over: Partial<GaugeRow> = {}): GaugeRow {
  return {
    ResourceAttributes: { 'service.name': 'dcgm', 'service.instance.id': 'node-a:9400' },
    ResourceSchemaUrl: '',
    ScopeName: 'test',
    ScopeVersion: '',
    ScopeAttributes: {},
    ScopeDroppedAttrCount: 0,
    ScopeSchemaUrl: '',
    ServiceName: 'dcgm',
    MetricName: 'DCGM_FI_DEV_POWER_USAGE',
    MetricDescription: '',
    MetricUnit: '',
    Attributes: { gpu: '0', UUID: 'GPU-1' },
    StartTimeUnix: '0',
    TimeUnix: '1764000000250000000',
    Value: 300,
    Flags: 0,
    ...NO_EXEMPLARS,
    ...over,
  };
}
