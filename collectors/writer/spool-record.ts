/**
 * What one spool record holds, by lane:
 * - `traces-pb`: an OTLP/protobuf `ExportTraceServiceRequest` as the sender sent it
 *   (after gunzip). ClickHouse decodes these itself when the batch is written
 *   (collectors/otlp-engine), so the spans never cross into JS a second time.
 * - `traces-rb`: `otel_traces` rows rendered by the receiver as ClickHouse RowBinary
 *   (span-row-binary.ts): the default for traces. Records are whole rows, so a batch's
 *   records concatenated are one RowBinary stream the engine loads without parsing text.
 * - `rows`: rows already decoded (OTLP/JSON, OTLP metrics, scrapes, requests with spans
 *   refused by partial success), as JSONEachRow text per raw table, ready for an
 *   `INSERT … FORMAT JSONEachRow`. Layout: one JSON header line
 *   `{"signal":…,"items":N,"tables":[[table, rows, bytes], …]}`, then each table's text.
 *
 * Both are deterministic functions of what was acknowledged, so a replay stages the
 * same rows and the identity check at commit drops what is already stored.
 */
import { RAW_TABLES, type RawRows, type RawTable } from '../../core/schema/otel-rows.js';
import type { Signal } from '../observability/collector-metrics.js';
import { toJsonEachRow } from './json-rows.js';

export type Lane = 'traces-pb' | 'traces-rb' | 'rows';
export const LANES: readonly Lane[] = ['traces-pb', 'traces-rb', 'rows'];

export interface RowsRecordHeader {
  signal: Signal;
  /** rows in all tables */
  items: number;
  /** [table, rows, bytes of its JSONEachRow text] in the order of the texts */
  tables: [RawTable, number, number][];
}

export interface EncodedRecord {
  /** the record's bytes, in parts (written with one writev) */
  parts: Buffer[];
  items: number;
}

/** Rows → a `rows` record. */
export function encodeRowsRecord(signal: Signal, rows: Partial<RawRows>): EncodedRecord {
  const tables: RowsRecordHeader['tables'] = [];
  const texts: Buffer[] = [];
  let items = 0;
  for (const table of RAW_TABLES) {
    const list = rows[table] as object[] | undefined;
    if (!list || list.length === 0) continue;
    const text = Buffer.from(toJsonEachRow(list), 'utf8');
    tables.push([table, list.length, text.length]);
    texts.push(text);
    items += list.length;
  }
  const header: RowsRecordHeader = { signal, items, tables };
  return { parts: [Buffer.from(JSON.stringify(header) + '\n', 'utf8'), ...texts], items };
}

export interface RowsRecord {
  header: RowsRecordHeader;
  /** each table's JSONEachRow text (a view into the record's bytes) */
  texts: { table: RawTable; rows: number; text: Buffer }[];
}

const TABLES = new Set<string>(RAW_TABLES);

/** A `rows` record's bytes → header and texts; throws on a record that is not one. */
export function decodeRowsRecord(bytes: Buffer): RowsRecord {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) throw new Error('spool record without a header line');
  const header = JSON.parse(bytes.subarray(0, nl).toString('utf8')) as RowsRecordHeader;
  if ((header.signal !== 'traces' && header.signal !== 'metrics') || !Array.isArray(header.tables)) throw new Error('spool record with a bad header');
  const texts: RowsRecord['texts'] = [];
  let pos = nl + 1;
  for (const [table, rows, length] of header.tables) {
    if (!TABLES.has(table) || !Number.isSafeInteger(length) || pos + length > bytes.length) throw new Error('spool record with a bad header');
    texts.push({ table, rows, text: bytes.subarray(pos, pos + length) });
    pos += length;
  }
  return { header, texts };
}
