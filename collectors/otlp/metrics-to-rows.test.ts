/**
 * The parts of the metrics mapping the SDK export and the samples do not reach: summaries,
 * exemplars, int gauges, 64-bit counts as strings, absent optional fields, flags, schema
 * URLs, negative buckets.
 */
import { describe, expect, it } from 'vitest';
import { decodeErrorOf } from '../../test/fixtures/otlp/decode-error-of.js';
import { decodeMetricsJson } from './decode-json.js';
import { metricsToRows } from './metrics-to-rows.js';

const T_START = '1767225600000000000';
const T = '1767225660000000000';

function request(metrics: object[]): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'vllm' } }] },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeMetrics: [
          {
            scope: { name: 'vllm', version: '0.11.0', attributes: [{ key: 'k', value: { intValue: '1' } }], droppedAttributesCount: 2 },
            schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
            metrics,
          },
        ],
      },
    ],
  });
}

const COMMON = {
  ResourceAttributes: { 'service.name': 'vllm' },
  ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  ScopeName: 'vllm',
  ScopeVersion: '0.11.0',
  ScopeAttributes: { k: '1' },
  ScopeDroppedAttrCount: 2,
  ScopeSchemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
  ServiceName: 'vllm',
  MetricDescription: '',
  MetricUnit: '',
  Attributes: {},
  StartTimeUnix: T_START,
  TimeUnix: T,
};

const NO_EXEMPLARS = {
  'Exemplars.FilteredAttributes': [],
  'Exemplars.TimeUnix': [],
  'Exemplars.Value': [],
  'Exemplars.SpanId': [],
  'Exemplars.TraceId': [],
};

describe('metricsToRows', () => {
  it('maps a summary: count, sum and the quantiles; no exemplar columns', () => {
    const rows = metricsToRows(
      decodeMetricsJson(
        request([
          {
            name: 'vllm:e2e_request_latency_seconds',
            unit: 's',
            summary: {
              dataPoints: [
                {
                  startTimeUnixNano: T_START,
                  timeUnixNano: T,
                  count: '18446744073709551615',
                  sum: 'NaN',
                  quantileValues: [{ quantile: 0.5, value: 1.25 }, { quantile: 0.99, value: 'Infinity' }, {}],
                  flags: 1,
                },
              ],
            },
          },
        ]),
      ),
    );
    expect(rows.otel_metrics_summary).toEqual([
      {
        ...COMMON,
        MetricName: 'vllm:e2e_request_latency_seconds',
        MetricUnit: 's',
        Flags: 1,
        Count: 18446744073709551615, // uint64 max as the nearest double, as Go's float conversion would
        Sum: NaN,
        'ValueAtQuantiles.Quantile': [0.5, 0.99, 0],
        'ValueAtQuantiles.Value': [1.25, Infinity, 0],
      },
    ]);
  });

  it('maps exemplars: values, times, filtered attributes; ids full-width hex, zeros when absent', () => {
    const rows = metricsToRows(
      decodeMetricsJson(
        request([
          {
            name: 'tokens',
            sum: {
              aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
              dataPoints: [
                {
                  startTimeUnixNano: T_START,
                  timeUnixNano: T,
                  asInt: '-42',
                  exemplars: [
                    {
                      timeUnixNano: '1767225630000000001',
                      asInt: 7,
                      traceId: '0AF7651916CD43DD8448EB211C80319C',
                      spanId: 'b7ad6b7169203331',
                      filteredAttributes: [{ key: 'tenant.id', value: { stringValue: 'acme' } }],
                    },
                    { timeUnixNano: '1767225640000000000', asDouble: 0.5 },
                    { traceId: '', spanId: '' },
                  ],
                },
              ],
            },
          },
        ]),
      ),
    );
    expect(rows.otel_metrics_sum).toEqual([
      {
        ...COMMON,
        MetricName: 'tokens',
        Flags: 0,
        Value: -42,
        AggregationTemporality: 1,
        IsMonotonic: false,
        'Exemplars.FilteredAttributes': [{ 'tenant.id': 'acme' }, {}, {}],
        'Exemplars.TimeUnix': ['1767225630000000001', '1767225640000000000', '0'],
        'Exemplars.Value': [7, 0.5, 0],
        'Exemplars.SpanId': ['b7ad6b7169203331', '0000000000000000', '0000000000000000'],
        'Exemplars.TraceId': ['0af7651916cd43dd8448eb211c80319c', '00000000000000000000000000000000', '00000000000000000000000000000000'],
      },
    ]);
  });

  it('maps an int gauge point, a point without value, and absent histogram sum/min/max as 0', () => {
    const rows = metricsToRows(
      decodeMetricsJson(
        request([
          {
            name: 'vllm:num_requests_running',
            gauge: {
              dataPoints: [
                { startTimeUnixNano: T_START, timeUnixNano: T, asInt: '9007199254740993' },
                { startTimeUnixNano: T_START, timeUnixNano: T },
              ],
            },
          },
          {
            name: 'vllm:time_to_first_token_seconds',
            histogram: {
              aggregationTemporality: 2,
              dataPoints: [{ startTimeUnixNano: T_START, timeUnixNano: T, count: 4, bucketCounts: ['1', 3], explicitBounds: [0.5] }],
            },
          },
          {
            name: 'latency',
            exponentialHistogram: {
              aggregationTemporality: 2,
              dataPoints: [
                {
                  startTimeUnixNano: T_START,
                  timeUnixNano: T,
                  count: '5',
                  sum: -3.5,
                  scale: -2,
                  zeroCount: '1',
                  negative: { offset: -3, bucketCounts: ['4'] },
                  min: -2,
                  max: -0.25,
                },
              ],
            },
          },
        ]),
      ),
    );
    expect(rows.otel_metrics_gauge).toEqual([
      // 2^53 + 1 as float64(int64) rounds to 2^53
      { ...COMMON, ...NO_EXEMPLARS, MetricName: 'vllm:num_requests_running', Flags: 0, Value: 9007199254740992 },
      { ...COMMON, ...NO_EXEMPLARS, MetricName: 'vllm:num_requests_running', Flags: 0, Value: 0 },
    ]);
    expect(rows.otel_metrics_histogram).toEqual([
      {
        ...COMMON,
        ...NO_EXEMPLARS,
        MetricName: 'vllm:time_to_first_token_seconds',
        Flags: 0,
        Count: 4,
        Sum: 0,
        BucketCounts: [1, 3],
        ExplicitBounds: [0.5],
        Min: 0,
        Max: 0,
        AggregationTemporality: 2,
      },
    ]);
    expect(rows.otel_metrics_exponential_histogram).toEqual([
      {
        ...COMMON,
        ...NO_EXEMPLARS,
        MetricName: 'latency',
        Flags: 0,
        Count: 5,
        Sum: -3.5,
        Scale: -2,
        ZeroCount: 1,
        PositiveOffset: 0,
        PositiveBucketCounts: [],
        NegativeOffset: -3,
        NegativeBucketCounts: [4],
        Min: -2,
        Max: -0.25,
        AggregationTemporality: 2,
      },
    ]);
  });

  it('refuses a metric without data, as the exporter does', () => {
    const decoded = decodeMetricsJson(request([{ name: 'a', gauge: { dataPoints: [] } }, { name: 'empty' }]));
    const error = decodeErrorOf(() => metricsToRows(decoded));
    expect(error.position).toEqual({ path: 'resourceMetrics[0].scopeMetrics[0].metrics[1]' });
    expect(error.reason).toBe('metric has no data: expected one of gauge, sum, histogram, exponentialHistogram, summary');
  });
});
