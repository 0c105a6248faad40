/**
 * The one door to the generated OTLP protobuf code: the official opentelemetry-proto
 * definitions compiled by protobufjs (`pbjs -t static-module --null-defaults`), shipped
 * by `@opentelemetry/otlp-transformer@0.214.0` and installed under the alias
 * `otlp-proto` (see FINDINGS.md, "OTLP decoding").
 *
 * The package's `root.d.ts` only says `$root: protobuf.Root`, so this module declares the
 * shapes this collector reads, as protobufjs produces them:
 * - unset scalar and message fields read as `null` (`--null-defaults`), unset repeated
 *   fields as an empty array;
 * - 64-bit integers are `Long` objects (`long` is installed beside protobufjs) or plain
 *   numbers, so both are typed as {@link Int64};
 * - `bytes` are `Uint8Array` (Buffer views when decoding from a Buffer);
 * - oneofs are exposed through the generated virtual getter (`AnyValue.value`,
 *   `Metric.data`, …), which names the member set last.
 *
 * The generated module is CommonJS and registers itself in protobufjs' global
 * `roots.default`; it is loaded with `require` so that it and the `Reader` used for byte
 * offsets come from the same protobufjs instance.
 */
import { createRequire } from 'node:module';

/** A 64-bit integer as protobufjs hands it over: a `Long` (or any `{ low, high }`), or a number. */
export type Int64 = number | LongBits;

export interface LongBits {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

// ---- opentelemetry.proto.common.v1 ----

export interface AnyValue {
  readonly stringValue: string | null;
  readonly boolValue: boolean | null;
  readonly intValue: Int64 | null;
  readonly doubleValue: number | null;
  readonly arrayValue: ArrayValue | null;
  readonly kvlistValue: KeyValueList | null;
  readonly bytesValue: Uint8Array | null;
  /** oneof `value`: the member that is set, `undefined` for an empty value */
  readonly value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
}

export interface ArrayValue {
  readonly values: readonly AnyValue[];
}

export interface KeyValueList {
  readonly values: readonly KeyValue[];
}

export interface KeyValue {
  readonly key: string | null;
  readonly value: AnyValue | null;
}

export interface InstrumentationScope {
  readonly name: string | null;
  readonly version: string | null;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number | null;
}

export interface Resource {
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number | null;
}

// ---- opentelemetry.proto.trace.v1 ----

export interface Status {
  readonly message: string | null;
  readonly code: number | null;
}

export interface SpanEvent {
  readonly timeUnixNano: Int64 | null;
  readonly name: string | null;
  readonly attributes: readonly KeyValue[];
}

export interface SpanLink {
  readonly traceId: Uint8Array | null;
  readonly spanId: Uint8Array | null;
  readonly traceState: string | null;
  readonly attributes: readonly KeyValue[];
}

export interface Span {
  readonly traceId: Uint8Array | null;
  readonly spanId: Uint8Array | null;
  readonly traceState: string | null;
  readonly parentSpanId: Uint8Array | null;
  readonly flags: number | null;
  readonly name: string | null;
  readonly kind: number | null;
  readonly startTimeUnixNano: Int64 | null;
  readonly endTimeUnixNano: Int64 | null;
  readonly attributes: readonly KeyValue[];
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
  readonly status: Status | null;
}

export interface ScopeSpans {
  readonly scope: InstrumentationScope | null;
  readonly spans: readonly Span[];
  readonly schemaUrl: string | null;
}

export interface ResourceSpans {
  readonly resource: Resource | null;
  readonly scopeSpans: readonly ScopeSpans[];
  readonly schemaUrl: string | null;
}

export interface ExportTraceServiceRequest {
  readonly resourceSpans: readonly ResourceSpans[];
}

// ---- opentelemetry.proto.metrics.v1 ----

export interface Exemplar {
  readonly filteredAttributes: readonly KeyValue[];
  readonly timeUnixNano: Int64 | null;
  readonly asDouble: number | null;
  readonly asInt: Int64 | null;
  readonly spanId: Uint8Array | null;
  readonly traceId: Uint8Array | null;
  /** oneof `value` */
  readonly value?: 'asDouble' | 'asInt';
}

export interface NumberDataPoint {
  readonly attributes: readonly KeyValue[];
  readonly startTimeUnixNano: Int64 | null;
  readonly timeUnixNano: Int64 | null;
  readonly asDouble: number | null;
  readonly asInt: Int64 | null;
  readonly exemplars: readonly Exemplar[];
  readonly flags: number | null;
  /** oneof `value` */
  readonly value?: 'asDouble' | 'asInt';
}

export interface HistogramDataPoint {
  readonly attributes: readonly KeyValue[];
  readonly startTimeUnixNano: Int64 | null;
  readonly timeUnixNano: Int64 | null;
  readonly count: Int64 | null;
  readonly sum: number | null;
  readonly bucketCounts: readonly Int64[];
  readonly explicitBounds: readonly number[];
  readonly exemplars: readonly Exemplar[];
  readonly flags: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

export interface ExponentialHistogramBuckets {
  readonly offset: number | null;
  readonly bucketCounts: readonly Int64[];
}

export interface ExponentialHistogramDataPoint {
  readonly attributes: readonly KeyValue[];
  readonly startTimeUnixNano: Int64 | null;
  readonly timeUnixNano: Int64 | null;
  readonly count: Int64 | null;
  readonly sum: number | null;
  readonly scale: number | null;
  readonly zeroCount: Int64 | null;
  readonly positive: ExponentialHistogramBuckets | null;
  readonly negative: ExponentialHistogramBuckets | null;
  readonly flags: number | null;
  readonly exemplars: readonly Exemplar[];
  readonly min: number | null;
  readonly max: number | null;
}

export interface ValueAtQuantile {
  readonly quantile: number | null;
  readonly value: number | null;
}

export interface SummaryDataPoint {
  readonly attributes: readonly KeyValue[];
  readonly startTimeUnixNano: Int64 | null;
  readonly timeUnixNano: Int64 | null;
  readonly count: Int64 | null;
  readonly sum: number | null;
  readonly quantileValues: readonly ValueAtQuantile[];
  readonly flags: number | null;
}

export interface Gauge {
  readonly dataPoints: readonly NumberDataPoint[];
}

export interface Sum {
  readonly dataPoints: readonly NumberDataPoint[];
  readonly aggregationTemporality: number | null;
  readonly isMonotonic: boolean | null;
}

export interface Histogram {
  readonly dataPoints: readonly HistogramDataPoint[];
  readonly aggregationTemporality: number | null;
}

export interface ExponentialHistogram {
  readonly dataPoints: readonly ExponentialHistogramDataPoint[];
  readonly aggregationTemporality: number | null;
}

export interface Summary {
  readonly dataPoints: readonly SummaryDataPoint[];
}

export interface Metric {
  readonly name: string | null;
  readonly description: string | null;
  readonly unit: string | null;
  readonly gauge: Gauge | null;
  readonly sum: Sum | null;
  readonly histogram: Histogram | null;
  readonly exponentialHistogram: ExponentialHistogram | null;
  readonly summary: Summary | null;
  /** oneof `data`: the member that is set, `undefined` for a metric without data */
  readonly data?: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
}

export interface ScopeMetrics {
  readonly scope: InstrumentationScope | null;
  readonly metrics: readonly Metric[];
  readonly schemaUrl: string | null;
}

export interface ResourceMetrics {
  readonly resource: Resource | null;
  readonly scopeMetrics: readonly ScopeMetrics[];
  readonly schemaUrl: string | null;
}

export interface ExportMetricsServiceRequest {
  readonly resourceMetrics: readonly ResourceMetrics[];
}

// ---- the generated code and the protobufjs runtime ----

/** A protobufjs `Reader`: `pos` is where decoding stands (or stopped). */
export interface ProtobufReader {
  pos: number;
  readonly len: number;
}

/** The static functions pbjs generates for each message type. */
export interface MessageType<T> {
  decode(reader: ProtobufReader | Uint8Array): T;
  /** `null` when `object` is a valid plain object for `fromObject`, else the reason */
  verify(object: object): string | null;
  fromObject(object: object): T;
}

/** A generated enum: own properties map names to numbers (numbers to names via its prototype). */
export type EnumValues = Readonly<Record<string, number>>;

interface GeneratedRoot {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: MessageType<ExportTraceServiceRequest> } };
        metrics: { v1: { ExportMetricsServiceRequest: MessageType<ExportMetricsServiceRequest> } };
      };
      common: { v1: { AnyValue: MessageType<AnyValue> } };
      trace: { v1: { Span: { SpanKind: EnumValues }; Status: { StatusCode: EnumValues } } };
      metrics: { v1: { AggregationTemporality: EnumValues } };
    };
  };
}

interface ProtobufMinimal {
  Reader: { create(buffer: Uint8Array): ProtobufReader };
}

const GENERATED_MODULE = 'otlp-proto/build/esm/generated/root.js';

const requireHere = createRequire(import.meta.url);
const generatedPath = requireHere.resolve(GENERATED_MODULE);
const requireBesideGenerated = createRequire(generatedPath);
const generated = requireBesideGenerated(generatedPath) as GeneratedRoot;
const protobuf = requireBesideGenerated('protobufjs/minimal') as ProtobufMinimal;

const otlp = generated.opentelemetry?.proto;
if (
  typeof otlp?.collector?.trace?.v1?.ExportTraceServiceRequest?.decode !== 'function' ||
  typeof otlp.collector.metrics?.v1?.ExportMetricsServiceRequest?.decode !== 'function'
) {
  throw new Error(`${GENERATED_MODULE} does not provide the OTLP collector messages (is otlp-proto still 0.214.0?)`);
}

export const ExportTraceServiceRequestType = otlp.collector.trace.v1.ExportTraceServiceRequest;
export const ExportMetricsServiceRequestType = otlp.collector.metrics.v1.ExportMetricsServiceRequest;

export const AnyValueType = otlp.common.v1.AnyValue;

export const SpanKindValues: EnumValues = otlp.trace.v1.Span.SpanKind;
export const StatusCodeValues: EnumValues = otlp.trace.v1.Status.StatusCode;
export const AggregationTemporalityValues: EnumValues = otlp.metrics.v1.AggregationTemporality;

/** A reader over `bytes` (a Buffer view when possible: protobufjs decodes strings faster from one). */
export function createReader(bytes: Uint8Array): ProtobufReader {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return protobuf.Reader.create(buffer);
}
