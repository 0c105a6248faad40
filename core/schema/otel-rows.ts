/**
 * Rows of the raw tables, keyed by the column names of the OpenTelemetry Collector
 * contrib `clickhouseexporter` (see `otel-tables.ts`). Decoders produce these; the
 * writer serialises them as JSONEachRow.
 *
 * Units and encodings:
 * - `*UnixNano` / `Timestamp` of spans: unix time in **nanoseconds** as a decimal
 *   string (64-bit values do not fit a JS number); ClickHouse parses such a string
 *   into DateTime64(9).
 * - Metric `TimeUnix` / `StartTimeUnix`: the exporter's tables store `DateTime`
 *   (seconds) since v0.160; rows still carry nanoseconds as a decimal string and the
 *   writer's SELECT converts (`intDiv(ns, 1e9)`) so no precision is lost before the
 *   column decides.
 * - Attribute values are strings, as the exporter stores them (non-string OTLP
 *   values are rendered the way the exporter renders them: see `attributes.ts`).
 */
export type Attributes = Record<string, string>;

/** A unix time in nanoseconds, as a string of decimal digits. */
export type UnixNano = string;

export interface SpanRow {
  Timestamp: UnixNano;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Attributes;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Attributes;
  /** nanoseconds, decimal string */
  Duration: string;
  StatusCode: 'Unset' | 'Ok' | 'Error';
  StatusMessage: string;
  'Events.Timestamp': UnixNano[];
  'Events.Name': string[];
  'Events.Attributes': Attributes[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Attributes[];
}

/** Columns every metrics table shares. */
export interface MetricRowBase {
  ResourceAttributes: Attributes;
  ResourceSchemaUrl: string;
  ScopeName: string;
  ScopeVersion: string;
  ScopeAttributes: Attributes;
  ScopeDroppedAttrCount: number;
  ScopeSchemaUrl: string;
  ServiceName: string;
  MetricName: string;
  MetricDescription: string;
  MetricUnit: string;
  Attributes: Attributes;
  StartTimeUnix: UnixNano;
  TimeUnix: UnixNano;
  Flags: number;
  'Exemplars.FilteredAttributes': Attributes[];
  'Exemplars.TimeUnix': UnixNano[];
  'Exemplars.Value': number[];
  'Exemplars.SpanId': string[];
  'Exemplars.TraceId': string[];
}

export interface GaugeRow extends MetricRowBase {
  Value: number;
}

export interface SumRow extends MetricRowBase {
  Value: number;
  /** OTLP AggregationTemporality: 1 delta, 2 cumulative */
  AggregationTemporality: number;
  IsMonotonic: boolean;
}

export interface HistogramRow extends MetricRowBase {
  Count: number;
  Sum: number;
  /** per-bucket counts (not cumulative); one more than ExplicitBounds (the +Inf bucket) */
  BucketCounts: number[];
  /** upper bounds without +Inf */
  ExplicitBounds: number[];
  Min: number;
  Max: number;
  AggregationTemporality: number;
}

export interface ExponentialHistogramRow extends MetricRowBase {
  Count: number;
  Sum: number;
  Scale: number;
  ZeroCount: number;
  PositiveOffset: number;
  PositiveBucketCounts: number[];
  NegativeOffset: number;
  NegativeBucketCounts: number[];
  Min: number;
  Max: number;
  AggregationTemporality: number;
}

/** The exporter's summary table has no exemplar columns. */
export interface SummaryRow
  extends Omit<
    MetricRowBase,
    'Exemplars.FilteredAttributes' | 'Exemplars.TimeUnix' | 'Exemplars.Value' | 'Exemplars.SpanId' | 'Exemplars.TraceId'
  > {
  Count: number;
  Sum: number;
  'ValueAtQuantiles.Quantile': number[];
  'ValueAtQuantiles.Value': number[];
}

/** Rows of one decoded payload, by raw table. */
export interface RawRows {
  otel_traces: SpanRow[];
  otel_metrics_gauge: GaugeRow[];
  otel_metrics_sum: SumRow[];
  otel_metrics_histogram: HistogramRow[];
  otel_metrics_exponential_histogram: ExponentialHistogramRow[];
  otel_metrics_summary: SummaryRow[];
}

export type RawTable = keyof RawRows;

export const RAW_TABLES: readonly RawTable[] = [
  'otel_traces',
  'otel_metrics_gauge',
  'otel_metrics_sum',
  'otel_metrics_histogram',
  'otel_metrics_exponential_histogram',
  'otel_metrics_summary',
] as const;

export function emptyRawRows(): RawRows {
  return {
    otel_traces: [],
    otel_metrics_gauge: [],
    otel_metrics_sum: [],
    otel_metrics_histogram: [],
    otel_metrics_exponential_histogram: [],
    otel_metrics_summary: [],
  };
}

/** Metric columns with no exemplars, for decoders that have none (Prometheus text). */
export const NO_EXEMPLARS = {
  'Exemplars.FilteredAttributes': [],
  'Exemplars.TimeUnix': [],
  'Exemplars.Value': [],
  'Exemplars.SpanId': [],
  'Exemplars.TraceId': [],
} as const satisfies Pick<
  MetricRowBase,
  'Exemplars.FilteredAttributes' | 'Exemplars.TimeUnix' | 'Exemplars.Value' | 'Exemplars.SpanId' | 'Exemplars.TraceId'
>;
