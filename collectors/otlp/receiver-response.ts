/**
 * Outcomes of an OTLP/HTTP export, and the one place they become HTTP responses
 * (OTLP/HTTP spec, https://opentelemetry.io/docs/specs/otlp/#otlphttp-response):
 *
 * - `accepted` / `partial` → 200 with an `Export<Signal>ServiceResponse`, empty or with
 *   `partial_success { rejected_<items>, error_message }`;
 * - `invalid` → 400 (malformed: senders do not retry), 413 (too large), 415 (not a
 *   content type or encoding we read), 405, 404 — a `google.rpc.Status` with the reason;
 * - `unimplemented` → 501 (`/v1/logs`: logs are not stored);
 * - `retryable` → 429 (too much in flight right now) or 503 (the spool is full: the
 *   store is behind or down), with `Retry-After` in seconds. Senders retry only 429,
 *   502, 503 and 504.
 *
 * Bodies are encoded in the request's own wire format: protobuf or JSON (the proto3 JSON
 * mapping: lowerCamelCase names, int64 as a decimal string).
 */
import type { OtlpWire } from './receiver-intake.js';

export type OtlpEndpoint = 'traces' | 'metrics' | 'logs';

export type ExportOutcome =
  | { kind: 'accepted'; items: number }
  | { kind: 'partial'; items: number; rejected: number; message: string }
  | { kind: 'invalid'; status: 400 | 404 | 405 | 413 | 415; reason: string }
  | { kind: 'unimplemented'; reason: string }
  | { kind: 'retryable'; status: 429 | 503; retryAfterS: number; reason: string };

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** google.rpc.Code values for the Status of a refused request. */
const RPC_CODE = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

/** Field names of `Export<Signal>PartialSuccess.rejected_*`, per endpoint (proto, JSON). */
const REJECTED_FIELD: Record<OtlpEndpoint, [string, string]> = {
  traces: ['rejected_spans', 'rejectedSpans'],
  metrics: ['rejected_data_points', 'rejectedDataPoints'],
  logs: ['rejected_log_records', 'rejectedLogRecords'],
};

export function exportResponse(outcome: ExportOutcome, endpoint: OtlpEndpoint, wire: OtlpWire): HttpResponse {
  const contentType = wire === 'protobuf' ? 'application/x-protobuf' : 'application/json';
  switch (outcome.kind) {
    case 'accepted':
      return { status: 200, headers: { 'content-type': contentType }, body: wire === 'protobuf' ? Buffer.alloc(0) : Buffer.from('{}') };
    case 'partial': {
      const body =
        wire === 'protobuf'
          ? message([field(1, message([varintField(1, outcome.rejected), stringField(2, outcome.message)]))])
          : Buffer.from(JSON.stringify({ partialSuccess: { [REJECTED_FIELD[endpoint][1]]: String(outcome.rejected), errorMessage: outcome.message } }));
      return { status: 200, headers: { 'content-type': contentType }, body };
    }
    case 'invalid': {
      const code = outcome.status === 413 ? RPC_CODE.RESOURCE_EXHAUSTED : outcome.status === 404 ? RPC_CODE.NOT_FOUND : RPC_CODE.INVALID_ARGUMENT;
      return status(outcome.status, code, outcome.reason, wire, {});
    }
    case 'unimplemented':
      return status(501, RPC_CODE.UNIMPLEMENTED, outcome.reason, wire, {});
    case 'retryable':
      return status(outcome.status, outcome.status === 429 ? RPC_CODE.RESOURCE_EXHAUSTED : RPC_CODE.UNAVAILABLE, outcome.reason, wire, {
        'retry-after': String(Math.max(1, Math.ceil(outcome.retryAfterS))),
      });
  }
}

/** A `google.rpc.Status { code, message }` response. */
function status(httpStatus: number, code: number, reason: string, wire: OtlpWire, headers: Record<string, string>): HttpResponse {
  const body = wire === 'protobuf' ? message([varintField(1, code), stringField(2, reason)]) : Buffer.from(JSON.stringify({ code, message: reason }));
  return { status: httpStatus, headers: { 'content-type': wire === 'protobuf' ? 'application/x-protobuf' : 'application/json', ...headers }, body };
}

// ---- a minimal protobuf writer: varint and length-delimited fields ----

function varintBytes(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function varintField(fieldNumber: number, n: number): Buffer {
  return n === 0 ? Buffer.alloc(0) : Buffer.from([...varintBytes(fieldNumber << 3), ...varintBytes(n)]);
}

function field(fieldNumber: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...varintBytes((fieldNumber << 3) | 2), ...varintBytes(bytes.length)]), bytes]);
}

function stringField(fieldNumber: number, s: string): Buffer {
  return s === '' ? Buffer.alloc(0) : field(fieldNumber, Buffer.from(s, 'utf8'));
}

function message(fields: Buffer[]): Buffer {
  return Buffer.concat(fields);
}
