/**
 * The OTLP/JSON examples of opentelemetry-proto (`../shared/samples/`, read-only, never
 * copied into the repository): they must decode, to these rows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emptyRawRows } from '../../core/schema/otel-rows.js';
import { decodeOtlp } from './decode-otlp.js';

const SAMPLES = new URL('../../../shared/samples/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, SAMPLES));

const RESOURCE = { 'service.name': 'my.service' };
const T = '1544712660300000000';

describe('opentelemetry-proto examples/trace.json', () => {
  it('decodes to one span row; the UPPERCASE hex ids become lowercase', () => {
    expect(decodeOtlp(read('otlp-trace.json'), { format: 'json' })).toEqual({
      ...emptyRawRows(),
      otel_traces: [
        {
          Timestamp: '1544712660000000000',
          TraceId: '5b8efff798038103d269b633813fc60c',
          SpanId: 'eee19b7ec3c1b174',
          ParentSpanId: 'eee19b7ec3c1b173',
          TraceState: '',
          SpanName: "I'm a server span",
          SpanKind: 'Server',
          ServiceName: 'my.service',
          ResourceAttributes: RESOURCE,
          ScopeName: 'my.library',
          ScopeVersion: '1.0.0',
          SpanAttributes: { 'my.span.attr': 'some value' },
          Duration: '1000000000',
          StatusCode: 'Unset',
          StatusMessage: '',
          'Events.Timestamp': [],
          'Events.Name': [],
          'Events.Attributes': [],
          'Links.TraceId': [],
          'Links.SpanId': [],
          'Links.TraceState': [],
          'Links.Attributes': [],
        },
      ],
    });
  });
});

describe('opentelemetry-proto examples/metrics.json', () => {
  const common = (name: string, description: string, attribute: string) => ({
    ResourceAttributes: RESOURCE,
    ResourceSchemaUrl: '',
    ScopeName: 'my.library',
    ScopeVersion: '1.0.0',
    ScopeAttributes: { 'my.scope.attribute': 'some scope attribute' },
    ScopeDroppedAttrCount: 0,
    ScopeSchemaUrl: '',
    ServiceName: 'my.service',
    MetricName: name,
    MetricDescription: description,
    MetricUnit: '1',
    Attributes: { [attribute]: 'some value' },
    StartTimeUnix: T,
    TimeUnix: T,
    Flags: 0,
    'Exemplars.FilteredAttributes': [],
    'Exemplars.TimeUnix': [],
    'Exemplars.Value': [],
    'Exemplars.SpanId': [],
    'Exemplars.TraceId': [],
  });

  it('decodes the sum, gauge, histogram and exponential histogram to their rows', () => {
    expect(decodeOtlp(read('otlp-metrics.json'), { format: 'json', signal: 'metrics' })).toEqual({
      otel_traces: [],
      otel_metrics_sum: [
        {
          ...common('my.counter', 'I am a Counter', 'my.counter.attr'),
          Value: 5,
          AggregationTemporality: 1, // delta
          IsMonotonic: true,
        },
      ],
      otel_metrics_gauge: [
        {
          ...common('my.gauge', 'I am a Gauge', 'my.gauge.attr'),
          StartTimeUnix: '0', // the gauge point has no start time
          Value: 10,
        },
      ],
      otel_metrics_histogram: [
        {
          ...common('my.histogram', 'I am a Histogram', 'my.histogram.attr'),
          Count: 2,
          Sum: 2,
          BucketCounts: [1, 1],
          ExplicitBounds: [1],
          Min: 0,
          Max: 2,
          AggregationTemporality: 1,
        },
      ],
      otel_metrics_exponential_histogram: [
        {
          ...common('my.exponential.histogram', 'I am an Exponential Histogram', 'my.exponential.histogram.attr'),
          Count: 3,
          Sum: 10,
          Scale: 0,
          ZeroCount: 1,
          PositiveOffset: 1,
          PositiveBucketCounts: [0, 2],
          NegativeOffset: 0, // no negative buckets
          NegativeBucketCounts: [],
          Min: 0,
          Max: 5,
          AggregationTemporality: 1,
        },
      ],
      // the sample at opentelemetry-proto b363281e has no summary metric (the samples README says it has)
      otel_metrics_summary: [],
    });
  });
});
