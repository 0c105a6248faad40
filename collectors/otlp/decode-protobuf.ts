/**
 * OTLP/protobuf export requests (`/v1/traces`, `/v1/metrics` bodies, after gunzip) to the
 * generated protobuf message objects, decoded by the protobufjs code generated from the
 * official opentelemetry-proto definitions.
 *
 * protobufjs' failures become a `DecodeError` with the byte offset where the reader
 * stopped. It does not check everything Go's decoder checks (a field overrunning its
 * enclosing message's length, the wire type of a known field, UTF-8 of strings); id
 * lengths and enum values are checked when mapping to rows.
 */
import { DecodeError } from '../../core/errors.js';
import {
  createReader,
  ExportMetricsServiceRequestType,
  ExportTraceServiceRequestType,
  type ExportMetricsServiceRequest,
  type ExportTraceServiceRequest,
  type MessageType,
} from './otlp-proto.js';

export function decodeTracesProtobuf(bytes: Uint8Array): ExportTraceServiceRequest {
  const request = decodeProtobuf(bytes, ExportTraceServiceRequestType);
  if (bytes.length > 0 && request.resourceSpans.length === 0) throw notAnExport('trace', 'resourceSpans');
  return request;
}

export function decodeMetricsProtobuf(bytes: Uint8Array): ExportMetricsServiceRequest {
  const request = decodeProtobuf(bytes, ExportMetricsServiceRequestType);
  if (bytes.length > 0 && request.resourceMetrics.length === 0) throw notAnExport('metrics', 'resourceMetrics');
  return request;
}

function decodeProtobuf<T>(bytes: Uint8Array, type: MessageType<T>): T {
  const reader = createReader(bytes);
  try {
    return type.decode(reader);
  } catch (e) {
    throw new DecodeError(protobufReason(e), { byteOffset: Math.min(reader.pos, bytes.length) }, { cause: e });
  }
}

/**
 * A non-empty body that holds only unknown fields. Protobuf would accept it as an empty
 * request, but no OTLP sender writes one: it is another message (or noise), and accepting
 * it would answer 200 for data silently dropped. (An empty body is a valid empty request.)
 */
function notAnExport(signal: string, field: string): DecodeError {
  return new DecodeError(`not an OTLP ${signal} export request: ${field} (field 1) is missing from a non-empty payload`, {
    byteOffset: 0,
  });
}

/** A reason a sender can act on, from protobufjs' error. */
function protobufReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof RangeError && message.startsWith('index out of range')) {
    return 'truncated payload: a field runs past the end of the message';
  }
  const wireType = /^invalid wire type (\d+)/.exec(message);
  if (wireType) return `invalid wire type ${wireType[1]}`;
  if (message === 'invalid varint encoding') return 'invalid varint encoding (more than 10 bytes)';
  if (message === 'maximum nesting depth exceeded' || (e instanceof RangeError && message.includes('call stack'))) {
    return 'nested too deeply';
  }
  return `invalid protobuf: ${message}`;
}
