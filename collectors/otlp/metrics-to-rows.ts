/**
 * An OTLP metrics export to the `otel_metrics_*` rows, column for column as the
 * OpenTelemetry Collector contrib clickhouseexporter writes them
 * (`internal/metrics/{gauge,sum,histogram,exponential_histogram,summary}_metrics.go`,
 * `metrics_model.go`):
 * - one row per data point, in the table of the metric's type;
 * - Value of a number point: the double, or the int converted to float64 (0 when unset);
 * - Sum/Min/Max of histograms: 0 when absent (pdata's getters);
 * - Start/TimeUnix and exemplar times in ns as decimal strings (the writer converts);
 * - exemplar ids always full-width hex (zeros when absent), as `hex.EncodeToString(id[:])`;
 * - AggregationTemporality as the OTLP enum number, Flags as the point's uint32 flags.
 * A metric with no data is refused, as the exporter refuses it ("metrics type is unset").
 * Pure: the request in, rows out. Rows never share objects with each other.
 */
import { DecodeError } from '../../core/errors.js';
import { emptyRawRows, type MetricRowBase, type RawRows } from '../../core/schema/otel-rows.js';
import { attributesToMap, serviceNameOf } from './attributes.js';
import { hasIdLength, idLengthError, idToFixedHex, SPAN_ID_BYTES, TRACE_ID_BYTES } from './ids.js';
import { i64ToNumber, u64ToDecimal, u64ToNumber } from './int64.js';
import {
  AggregationTemporalityValues,
  type Exemplar,
  type ExportMetricsServiceRequest,
  type Int64,
  type KeyValue,
  type Metric,
  type NumberDataPoint,
} from './otlp-proto.js';

export type MetricRows = Omit<RawRows, 'otel_traces'>;

/** The AggregationTemporality values the proto defines (unspecified, delta, cumulative). */
const AGGREGATION_TEMPORALITIES = new Set(Object.values(AggregationTemporalityValues));

type ExemplarColumns = Pick<
  MetricRowBase,
  'Exemplars.FilteredAttributes' | 'Exemplars.TimeUnix' | 'Exemplars.Value' | 'Exemplars.SpanId' | 'Exemplars.TraceId'
>;
type PointColumns = Pick<MetricRowBase, 'Attributes' | 'StartTimeUnix' | 'TimeUnix' | 'Flags'>;
/** Columns shared by every point of one metric. */
type MetricColumns = Omit<MetricRowBase, keyof PointColumns | keyof ExemplarColumns>;

interface PointBase {
  readonly attributes: readonly KeyValue[];
  readonly startTimeUnixNano: Int64 | null;
  readonly timeUnixNano: Int64 | null;
  readonly flags: number | null;
}

export function metricsToRows(request: ExportMetricsServiceRequest): MetricRows {
  const { otel_traces: _, ...rows } = emptyRawRows();
  request.resourceMetrics.forEach((resourceMetrics, i) => {
    const resourceAttributes = resourceMetrics.resource?.attributes ?? [];
    const resource = {
      ResourceAttributes: attributesToMap(resourceAttributes),
      ResourceSchemaUrl: resourceMetrics.schemaUrl ?? '',
      ServiceName: serviceNameOf(resourceAttributes),
    };
    resourceMetrics.scopeMetrics.forEach((scopeMetrics, j) => {
      const scope = scopeMetrics.scope;
      const scopeColumns = {
        ...resource,
        ScopeName: scope?.name ?? '',
        ScopeVersion: scope?.version ?? '',
        ScopeAttributes: attributesToMap(scope?.attributes ?? []),
        ScopeDroppedAttrCount: scope?.droppedAttributesCount ?? 0,
        ScopeSchemaUrl: scopeMetrics.schemaUrl ?? '',
      };
      scopeMetrics.metrics.forEach((metric, k) => {
        const columns: MetricColumns = {
          ...scopeColumns,
          MetricName: metric.name ?? '',
          MetricDescription: metric.description ?? '',
          MetricUnit: metric.unit ?? '',
        };
        appendMetric(rows, metric, columns, `resourceMetrics[${i}].scopeMetrics[${j}].metrics[${k}]`);
      });
    });
  });
  return rows;
}

/** The columns one metric's points share, with the attribute maps copied for each row. */
function rowColumns(columns: MetricColumns): MetricColumns {
  return { ...columns, ResourceAttributes: { ...columns.ResourceAttributes }, ScopeAttributes: { ...columns.ScopeAttributes } };
}

function appendMetric(rows: MetricRows, metric: Metric, columns: MetricColumns, path: string): void {
  switch (metric.data) {
    case 'gauge':
      metric.gauge!.dataPoints.forEach((dp, p) => {
        rows.otel_metrics_gauge.push({
          ...rowColumns(columns),
          ...pointColumns(dp),
          ...exemplarColumns(dp.exemplars, path, 'gauge', p),
          Value: numberValue(dp),
        });
      });
      return;
    case 'sum': {
      const sum = metric.sum!;
      const temporality = checkedTemporality(sum.aggregationTemporality, `${path}.sum`);
      sum.dataPoints.forEach((dp, p) => {
        rows.otel_metrics_sum.push({
          ...rowColumns(columns),
          ...pointColumns(dp),
          ...exemplarColumns(dp.exemplars, path, 'sum', p),
          Value: numberValue(dp),
          AggregationTemporality: temporality,
          IsMonotonic: sum.isMonotonic ?? false,
        });
      });
      return;
    }
    case 'histogram': {
      const histogram = metric.histogram!;
      const temporality = checkedTemporality(histogram.aggregationTemporality, `${path}.histogram`);
      histogram.dataPoints.forEach((dp, p) => {
        rows.otel_metrics_histogram.push({
          ...rowColumns(columns),
          ...pointColumns(dp),
          ...exemplarColumns(dp.exemplars, path, 'histogram', p),
          Count: u64ToNumber(dp.count),
          Sum: dp.sum ?? 0,
          BucketCounts: dp.bucketCounts.map(u64ToNumber),
          ExplicitBounds: [...dp.explicitBounds],
          Min: dp.min ?? 0,
          Max: dp.max ?? 0,
          AggregationTemporality: temporality,
        });
      });
      return;
    }
    case 'exponentialHistogram': {
      const histogram = metric.exponentialHistogram!;
      const temporality = checkedTemporality(histogram.aggregationTemporality, `${path}.exponentialHistogram`);
      histogram.dataPoints.forEach((dp, p) => {
        rows.otel_metrics_exponential_histogram.push({
          ...rowColumns(columns),
          ...pointColumns(dp),
          ...exemplarColumns(dp.exemplars, path, 'exponentialHistogram', p),
          Count: u64ToNumber(dp.count),
          Sum: dp.sum ?? 0,
          Scale: dp.scale ?? 0,
          ZeroCount: u64ToNumber(dp.zeroCount),
          PositiveOffset: dp.positive?.offset ?? 0,
          PositiveBucketCounts: (dp.positive?.bucketCounts ?? []).map(u64ToNumber),
          NegativeOffset: dp.negative?.offset ?? 0,
          NegativeBucketCounts: (dp.negative?.bucketCounts ?? []).map(u64ToNumber),
          Min: dp.min ?? 0,
          Max: dp.max ?? 0,
          AggregationTemporality: temporality,
        });
      });
      return;
    }
    case 'summary':
      for (const dp of metric.summary!.dataPoints) {
        rows.otel_metrics_summary.push({
          ...rowColumns(columns),
          ...pointColumns(dp),
          Count: u64ToNumber(dp.count),
          Sum: dp.sum ?? 0,
          'ValueAtQuantiles.Quantile': dp.quantileValues.map((q) => q.quantile ?? 0),
          'ValueAtQuantiles.Value': dp.quantileValues.map((q) => q.value ?? 0),
        });
      }
      return;
    default:
      throw new DecodeError('metric has no data: expected one of gauge, sum, histogram, exponentialHistogram, summary', { path });
  }
}

function pointColumns(dp: PointBase): PointColumns {
  return {
    Attributes: attributesToMap(dp.attributes),
    StartTimeUnix: u64ToDecimal(dp.startTimeUnixNano),
    TimeUnix: u64ToDecimal(dp.timeUnixNano),
    Flags: dp.flags ?? 0,
  };
}

/** The exporter's `getValue`: the double, the int as float64, or 0 for an empty value. */
function numberValue(point: NumberDataPoint | Exemplar): number {
  if (point.value === 'asDouble') return point.asDouble!;
  if (point.value === 'asInt') return i64ToNumber(point.asInt);
  return 0;
}

function exemplarColumns(exemplars: readonly Exemplar[], metricPath: string, type: string, point: number): ExemplarColumns {
  const columns: ExemplarColumns = {
    'Exemplars.FilteredAttributes': [],
    'Exemplars.TimeUnix': [],
    'Exemplars.Value': [],
    'Exemplars.SpanId': [],
    'Exemplars.TraceId': [],
  };
  exemplars.forEach((exemplar, e) => {
    const at = (field: string): string => `${metricPath}.${type}.dataPoints[${point}].exemplars[${e}].${field}`;
    if (!hasIdLength(exemplar.spanId, SPAN_ID_BYTES)) throw idLengthError(exemplar.spanId, SPAN_ID_BYTES, at('spanId'));
    if (!hasIdLength(exemplar.traceId, TRACE_ID_BYTES)) {
      throw idLengthError(exemplar.traceId, TRACE_ID_BYTES, at('traceId'));
    }
    columns['Exemplars.FilteredAttributes'].push(attributesToMap(exemplar.filteredAttributes));
    columns['Exemplars.TimeUnix'].push(u64ToDecimal(exemplar.timeUnixNano));
    columns['Exemplars.Value'].push(numberValue(exemplar));
    columns['Exemplars.SpanId'].push(idToFixedHex(exemplar.spanId, SPAN_ID_BYTES));
    columns['Exemplars.TraceId'].push(idToFixedHex(exemplar.traceId, TRACE_ID_BYTES));
  });
  return columns;
}

function checkedTemporality(value: number | null, path: string): number {
  const temporality = value ?? 0;
  if (!AGGREGATION_TEMPORALITIES.has(temporality)) {
    throw new DecodeError(`unknown aggregation temporality ${temporality}`, { path: `${path}.aggregationTemporality` });
  }
  return temporality;
}
