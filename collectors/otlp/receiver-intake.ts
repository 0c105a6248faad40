/**
 * What the receiver does with a decompressed OTLP body before it may acknowledge it:
 * decode it and check it as strictly as the reference decoder would map it to rows (so
 * whatever is acknowledged is known to decode), refuse single items that cannot be stored
 * exactly (OTLP partial success), and say which spool record to write. Pure: bytes in, a
 * record (or a `DecodeError`) out.
 *
 * - A span without a trace id or a span id is refused (partial success): a request is
 *   identified by (trace id, span id) — KPIS.md "Request" — and spans without one would
 *   all collapse into one at deduplication. OTLP requires both ids.
 * - Spans (`spans: 'receiver'`, the default) are spooled as `otel_traces` rows in
 *   RowBinary (lane `traces-rb`): an OTLP/protobuf request is rendered straight from its
 *   bytes by `tracesProtobufToRowBinary`, or — when that fast path declines it — decoded
 *   and mapped by the reference decoder, whose verdict stands.
 * - With `spans: 'writer'`, a clean OTLP/protobuf trace request is spooled as the sender's
 *   bytes (lane `traces-pb`) after a check that renders no rows, and the writer has it
 *   decoded (by ClickHouse, or in JS) when the batch is written.
 * - Everything else is spooled as decoded rows (lane `rows`).
 */
import { DecodeError } from '../../core/errors.js';
import type { SpanRow } from '../../core/schema/otel-rows.js';
import { spanRowsToRowBinary } from '../writer/span-row-binary.js';
import { encodeRowsRecord, type Lane } from '../writer/spool-record.js';
import { anyValueAsString } from './attributes.js';
import { decodeOtlp, type OtlpSignal } from './decode-otlp.js';
import { decodeTracesProtobuf } from './decode-protobuf.js';
import { hasIdLength, SPAN_ID_BYTES, TRACE_ID_BYTES } from './ids.js';
import type { ExportTraceServiceRequest, KeyValue } from './otlp-proto.js';
import { tracesProtobufToRowBinary } from './traces-to-row-binary.js';
import { tracesToRows } from './traces-to-rows.js';

export type OtlpWire = 'protobuf' | 'json';

/** Who renders spans to rows: the receiver as it takes them (`traces-rb` lane), or the writer later (`traces-pb`). */
export type SpanIntake = 'receiver' | 'writer';

export interface IntakeRecord {
  /** items acknowledged (spans, data points) */
  items: number;
  /** items refused one by one, and why */
  rejected: number;
  rejectedReason: string | undefined;
  /** what to spool: nothing when the request held no item */
  record: { lane: Lane; parts: Buffer[] } | undefined;
}

export const SPANS_WITHOUT_ID = 'spans without a trace id or span id are refused: a span is identified by (trace id, span id)';

/** Decodes and checks one export request; throws `DecodeError` (answered 400) when it is malformed. */
export function intakeOtlp(signal: OtlpSignal, wire: OtlpWire, body: Buffer, spans: SpanIntake = 'receiver'): IntakeRecord {
  if (signal === 'traces' && wire === 'protobuf') return spans === 'receiver' ? intakeTracesRowBinary(body) : intakeTracesProtobuf(body);
  const rows = wire === 'protobuf' ? decodeOtlp(body, { format: 'protobuf', signal }) : decodeOtlp(body, { format: 'json', signal });
  if (signal === 'traces') return spansRecord(rows.otel_traces, spans);
  const encoded = encodeRowsRecord('metrics', { ...rows, otel_traces: [] });
  return { items: encoded.items, rejected: 0, rejectedReason: undefined, record: encoded.items > 0 ? { lane: 'rows', parts: encoded.parts } : undefined };
}

/**
 * OTLP/protobuf traces rendered by the receiver: the fast path when it takes the request,
 * else the reference decoder (whose `DecodeError` or partial success is the answer).
 */
function intakeTracesRowBinary(body: Buffer): IntakeRecord {
  const fast = tracesProtobufToRowBinary(body);
  if (fast !== undefined) {
    return { items: fast.spans, rejected: 0, rejectedReason: undefined, record: fast.spans > 0 ? { lane: 'traces-rb', parts: [fast.bytes] } : undefined };
  }
  return spansRecord(tracesToRows(decodeTracesProtobuf(body)), 'receiver');
}

/**
 * OTLP/protobuf traces for the writer to decode: decoded, then checked by {@link checkTraceRequest}
 * without rendering rows (the engine renders them when the batch is written). Only a
 * request with spans to refuse, or one the check finds fault with, is mapped to rows by
 * the reference decoder (`tracesToRows`), whose verdict and message are the ones given.
 */
function intakeTracesProtobuf(body: Buffer): IntakeRecord {
  const request = decodeTracesProtobuf(body);
  let check: { spans: number; withoutId: number } | undefined;
  try {
    check = checkTraceRequest(request);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
  if (check !== undefined && check.withoutId === 0) {
    return { items: check.spans, rejected: 0, rejectedReason: undefined, record: check.spans > 0 ? { lane: 'traces-pb', parts: [body] } : undefined };
  }
  const spans = tracesToRows(request);
  if (spans.every(hasIds)) return { items: spans.length, rejected: 0, rejectedReason: undefined, record: spans.length > 0 ? { lane: 'traces-pb', parts: [body] } : undefined };
  return spansRecord(spans, 'writer');
}

const hasIds = (s: SpanRow): boolean => s.TraceId !== '' && s.SpanId !== '';

/** Decoded spans to a record (RowBinary for `receiver`, else JSONEachRow rows); spans without ids are refused one by one. */
function spansRecord(spans: SpanRow[], intake: SpanIntake): IntakeRecord {
  const kept = spans.filter(hasIds);
  const rejected = spans.length - kept.length;
  const rejectedReason = rejected > 0 ? `${rejected} ${SPANS_WITHOUT_ID}` : undefined;
  if (kept.length === 0) return { items: 0, rejected, rejectedReason, record: undefined };
  if (intake === 'receiver') return { items: kept.length, rejected, rejectedReason, record: { lane: 'traces-rb', parts: [spanRowsToRowBinary(kept)] } };
  const encoded = encodeRowsRecord('traces', { otel_traces: kept });
  return { items: kept.length, rejected, rejectedReason, record: { lane: 'rows', parts: encoded.parts } };
}

/**
 * Whatever `tracesToRows` refuses, refused here too (it throws a `DecodeError` where the
 * reference would): span kind and status code in range, ids of 0 or 16/8 bytes (spans,
 * parents, links), array and kvlist attribute values renderable. Counts spans, and spans
 * without a trace id or span id (absent, empty or all zeros: the exporter's "" id).
 * Scalar attribute values always render, so they are not rendered here.
 * test/collectors/receiver-intake.test.ts checks the two agree.
 */
export function checkTraceRequest(request: ExportTraceServiceRequest): { spans: number; withoutId: number } {
  let spans = 0;
  let withoutId = 0;
  for (const rs of request.resourceSpans) {
    checkAttributes(rs.resource?.attributes ?? []);
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        spans++;
        if ((span.kind ?? 0) < 0 || (span.kind ?? 0) > 5 || !Number.isInteger(span.kind ?? 0)) throw new DecodeError('span kind');
        const code = span.status?.code ?? 0;
        if (code < 0 || code > 2 || !Number.isInteger(code)) throw new DecodeError('status code');
        if (!hasIdLength(span.traceId, TRACE_ID_BYTES) || !hasIdLength(span.spanId, SPAN_ID_BYTES) || !hasIdLength(span.parentSpanId, SPAN_ID_BYTES)) throw new DecodeError('id length');
        if (isAbsentId(span.traceId) || isAbsentId(span.spanId)) withoutId++;
        checkAttributes(span.attributes);
        for (const event of span.events) checkAttributes(event.attributes);
        for (const link of span.links) {
          if (!hasIdLength(link.traceId, TRACE_ID_BYTES) || !hasIdLength(link.spanId, SPAN_ID_BYTES)) throw new DecodeError('id length');
          checkAttributes(link.attributes);
        }
      }
    }
  }
  return { spans, withoutId };
}

/** Renders the array and kvlist values (the only ones whose rendering can fail: nested too deeply). */
function checkAttributes(attributes: readonly KeyValue[]): void {
  for (const kv of attributes) {
    const v = kv.value;
    if (v !== null && (v.value === 'arrayValue' || v.value === 'kvlistValue')) anyValueAsString(v);
  }
}

/** An id the exporter writes as "": absent, empty or all zeros. */
function isAbsentId(id: Uint8Array | null): boolean {
  if (id === null) return true;
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false;
  return true;
}
