/**
 * One OTLP export request (an OTLP/HTTP body, after gunzip) → raw rows: decode with the
 * generated protobuf code (protobuf) or the OTLP/JSON mapping (JSON), then map to the
 * clickhouseexporter's rows. Pure.
 */
import { DecodeError } from '../../core/errors.js';
import { emptyRawRows, type RawRows } from '../../core/schema/otel-rows.js';
import {
  decodeMetricsJsonDocument,
  decodeTracesJsonDocument,
  detectOtlpJsonSignal,
  parseOtlpJson,
} from './decode-json.js';
import { decodeMetricsProtobuf, decodeTracesProtobuf } from './decode-protobuf.js';
import { metricsToRows } from './metrics-to-rows.js';
import { tracesToRows } from './traces-to-rows.js';

/** The signals decoded into rows. */
export type OtlpSignal = 'traces' | 'metrics';

export type DecodeOtlpOptions =
  /** protobuf bytes do not say which request they hold: the signal is required */
  | { format: 'protobuf'; signal: OtlpSignal }
  /** JSON: the signal, when given, must match the document's top-level key */
  | { format: 'json'; signal?: OtlpSignal | undefined };

export function decodeOtlp(payload: Uint8Array, options: { format: 'protobuf'; signal: OtlpSignal }): RawRows;
export function decodeOtlp(payload: Uint8Array | string, options: { format: 'json'; signal?: OtlpSignal | undefined }): RawRows;
export function decodeOtlp(payload: Uint8Array | string, options: DecodeOtlpOptions): RawRows {
  if (options.format === 'protobuf') {
    if (typeof payload === 'string') throw new TypeError('an OTLP/protobuf payload must be bytes');
    return options.signal === 'traces'
      ? withTraces(tracesToRows(decodeTracesProtobuf(payload)))
      : withMetrics(metricsToRows(decodeMetricsProtobuf(payload)));
  }
  const doc = parseOtlpJson(payload);
  const signal = options.signal ?? detectOtlpJsonSignal(doc);
  switch (signal) {
    case 'traces':
      return withTraces(tracesToRows(decodeTracesJsonDocument(doc, { reuseDocument: true })));
    case 'metrics':
      return withMetrics(metricsToRows(decodeMetricsJsonDocument(doc, { reuseDocument: true })));
    default:
      throw new DecodeError(`OTLP ${signal} are not decoded into rows (only traces and metrics)`);
  }
}

function withTraces(spans: RawRows['otel_traces']): RawRows {
  return { ...emptyRawRows(), otel_traces: spans };
}

function withMetrics(metrics: Omit<RawRows, 'otel_traces'>): RawRows {
  return { ...emptyRawRows(), ...metrics };
}
