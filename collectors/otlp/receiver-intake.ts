/**
 * What the receiver does with a decompressed OTLP body before it may acknowledge it:
 * decode it fully with the reference decoder (so whatever is acknowledged is known to
 * decode), refuse single items that cannot be stored exactly (OTLP partial success), and
 * say which spool record to write. Pure: bytes in, a record (or a `DecodeError`) out.
 *
 * - A span without a trace id or a span id is refused (partial success): a request is
 *   identified by (trace id, span id) — KPIS.md "Request" — and spans without one would
 *   all collapse into one at deduplication. OTLP requires both ids.
 * - A clean OTLP/protobuf trace request is spooled as the sender's bytes (lane
 *   `traces-pb`): ClickHouse decodes it again when the batch is written, so its spans
 *   never cross into JS twice. Everything else is spooled as decoded rows (lane `rows`).
 */
import { decodeOtlp, type OtlpSignal } from './decode-otlp.js';
import { encodeRowsRecord, type Lane } from '../writer/spool-record.js';

export type OtlpWire = 'protobuf' | 'json';

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
export function intakeOtlp(signal: OtlpSignal, wire: OtlpWire, body: Buffer): IntakeRecord {
  const rows = wire === 'protobuf' ? decodeOtlp(body, { format: 'protobuf', signal }) : decodeOtlp(body, { format: 'json', signal });
  if (signal === 'traces') {
    const spans = rows.otel_traces;
    let rejected = 0;
    for (const s of spans) if (s.TraceId === '' || s.SpanId === '') rejected++;
    const kept = rejected === 0 ? spans : spans.filter((s) => s.TraceId !== '' && s.SpanId !== '');
    const rejectedReason = rejected > 0 ? `${rejected} ${SPANS_WITHOUT_ID}` : undefined;
    if (kept.length === 0) return { items: 0, rejected, rejectedReason, record: undefined };
    if (wire === 'protobuf' && rejected === 0) return { items: kept.length, rejected, rejectedReason, record: { lane: 'traces-pb', parts: [body] } };
    const encoded = encodeRowsRecord('traces', { otel_traces: kept });
    return { items: kept.length, rejected, rejectedReason, record: { lane: 'rows', parts: encoded.parts } };
  }
  const encoded = encodeRowsRecord('metrics', { ...rows, otel_traces: [] });
  return { items: encoded.items, rejected: 0, rejectedReason: undefined, record: encoded.items > 0 ? { lane: 'rows', parts: encoded.parts } : undefined };
}
