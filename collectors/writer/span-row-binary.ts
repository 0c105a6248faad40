/**
 * The `traces-rb` spool lane: `otel_traces` rows as ClickHouse `RowBinary`, the columns
 * fixed here (not read from the live table), so a record spooled by one release is read
 * the same way by the next. Times are Int64 unix nanoseconds, as the staging tables hold
 * them (staged-load.ts converts them to DateTime64(9) on commit). A column added to
 * `otel_traces` later takes its default for these rows; changing this list means a new
 * lane name, so older spools still replay.
 *
 * Records are concatenations of whole rows, so a batch's records, concatenated, are one
 * `RowBinary` stream: the writer stages a batch with one
 * `INSERT INTO <stage> (…) SELECT * FROM file(…, 'RowBinary', SPAN_ROW_BINARY_STRUCTURE)`.
 *
 * `spanRowsToRowBinary` is the reference encoding (from decoded rows, any source); the
 * receiver's fast path (collectors/otlp/traces-to-row-binary.ts) must write the same bytes.
 */
import type { SpanRow } from '../../core/schema/otel-rows.js';
import { RowBinaryWriter } from './row-binary.js';

/** [column, type in the RowBinary stream], in stream order. */
export const SPAN_ROW_BINARY_COLUMNS = [
  ['Timestamp', 'Int64'],
  ['TraceId', 'String'],
  ['SpanId', 'String'],
  ['ParentSpanId', 'String'],
  ['TraceState', 'String'],
  ['SpanName', 'String'],
  ['SpanKind', 'String'],
  ['ServiceName', 'String'],
  ['ResourceAttributes', 'Map(String, String)'],
  ['ScopeName', 'String'],
  ['ScopeVersion', 'String'],
  ['SpanAttributes', 'Map(String, String)'],
  ['Duration', 'UInt64'],
  ['StatusCode', 'String'],
  ['StatusMessage', 'String'],
  ['Events.Timestamp', 'Array(Int64)'],
  ['Events.Name', 'Array(String)'],
  ['Events.Attributes', 'Array(Map(String, String))'],
  ['Links.TraceId', 'Array(String)'],
  ['Links.SpanId', 'Array(String)'],
  ['Links.TraceState', 'Array(String)'],
  ['Links.Attributes', 'Array(Map(String, String))'],
] as const satisfies readonly (readonly [keyof SpanRow, string])[];

/** The structure argument of `file(…, 'RowBinary', …)` / `input(…)` for a `traces-rb` stream. */
export const SPAN_ROW_BINARY_STRUCTURE = SPAN_ROW_BINARY_COLUMNS.map(([name, type]) => `\`${name}\` ${type}`).join(', ');

/** Decoded span rows → RowBinary (appended to `w`). */
export function writeSpanRows(w: RowBinaryWriter, rows: readonly SpanRow[]): void {
  for (const r of rows) {
    w.u64Decimal(r.Timestamp);
    w.string(r.TraceId);
    w.string(r.SpanId);
    w.string(r.ParentSpanId);
    w.string(r.TraceState);
    w.string(r.SpanName);
    w.string(r.SpanKind);
    w.string(r.ServiceName);
    w.stringMap(r.ResourceAttributes);
    w.string(r.ScopeName);
    w.string(r.ScopeVersion);
    w.stringMap(r.SpanAttributes);
    w.u64Decimal(r.Duration);
    w.string(r.StatusCode);
    w.string(r.StatusMessage);
    w.varint(r['Events.Timestamp'].length);
    for (const t of r['Events.Timestamp']) w.u64Decimal(t);
    stringArray(w, r['Events.Name']);
    mapArray(w, r['Events.Attributes']);
    stringArray(w, r['Links.TraceId']);
    stringArray(w, r['Links.SpanId']);
    stringArray(w, r['Links.TraceState']);
    mapArray(w, r['Links.Attributes']);
  }
}

/** Decoded span rows → a `traces-rb` record. */
export function spanRowsToRowBinary(rows: readonly SpanRow[]): Buffer {
  const w = new RowBinaryWriter();
  writeSpanRows(w, rows);
  return w.toBuffer();
}

function stringArray(w: RowBinaryWriter, list: readonly string[]): void {
  w.varint(list.length);
  for (const s of list) w.string(s);
}

function mapArray(w: RowBinaryWriter, list: readonly Readonly<Record<string, string>>[]): void {
  w.varint(list.length);
  for (const m of list) w.stringMap(m);
}
