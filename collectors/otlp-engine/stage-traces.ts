/**
 * Stages OTLP/protobuf trace export requests through ClickHouse itself: the engine parses
 * the protobuf (`ProtobufSingle` with the official .proto, see `proto-schema.ts`),
 * flattens it and renders the values (`trace-sql.ts`) in one `INSERT INTO <stage> SELECT`,
 * so no span crosses into JS (bench/README.md has the figures).
 *
 * How the bytes reach the engine:
 * - embedded (chDB): the engine reads files (`withEngineFiles`, engine-files.ts) — the
 *   ingested files themselves when their paths are plain, else temporary copies (in
 *   /dev/shm when there is one). chDB's connection turns an insert body into a string, so binary bodies
 *   cannot go through `client.insert`/`exec` values. Several files are read by one query
 *   (planned once), their rows tagged with their index in the load's `_source` column;
 * - server: the file is not on the server, so the bytes are the body of
 *   `INSERT INTO <stage> SELECT … FROM input(<structure>) FORMAT ProtobufSingle`
 *   (`client.exec` with a stream), one request per query. Only the embedded path is
 *   exercised by the tests here (no ClickHouse server can be installed on this machine).
 *
 * Outcomes: `staged` (rows are in the load's staging table), `unsupported` (valid, but
 * the SQL does not render some value exactly: decode with the JS decoder), or a thrown
 * `DecodeError` (a malformed payload). After `unsupported` or a `DecodeError` the staging
 * table may hold part of the payloads: abort the load. Other errors are the store's and
 * are rethrown.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Store } from '../../core/store/open-store.js';
import { columnIdent } from '../../core/schema/ddl.js';
import { countRows, STAGE_SOURCE_COLUMN, type StagedLoad } from '../writer/staged-load.js';
import { withEngineFiles } from './engine-files.js';
import { classifyEngineError } from './engine-errors.js';
import { traceRequestSchema } from './proto-schema.js';
import { protobufReadSettings, settingsClause, sqlString, TRACE_REQUEST_STRUCTURE, traceRowsSelect } from './trace-sql.js';

/** Where a payload is: a file on this machine, or bytes in memory. */
export type ProtobufPayload = { path: string } | { bytes: Uint8Array };

export type EngineStageResult = { kind: 'staged'; rows: number } | { kind: 'unsupported'; reason: string };

/** Stages the spans of one `ExportTraceServiceRequest` into `load`'s `otel_traces` staging table (source 0). */
export function stageTracesProtobuf(store: Store, load: StagedLoad, payload: ProtobufPayload): Promise<EngineStageResult> {
  return stageTracesProtobufBatch(store, load, [payload]);
}

/**
 * Stages the spans of several requests with one query (embedded store; a server gets one
 * query per request), payload `k` tagged with source `k` (see `StagedLoad.commitBySource`).
 * One malformed or unsupported payload fails the whole batch: then stage them one by one
 * to learn which.
 */
export async function stageTracesProtobufBatch(store: Store, load: StagedLoad, payloads: readonly ProtobufPayload[]): Promise<EngineStageResult> {
  const stage = await load.stagingTable('otel_traces');
  const columns = [...stage.columns.map((c) => c.ident.replace(/^`|`$/g, '')), STAGE_SOURCE_COLUMN];
  const into = `INSERT INTO ${stage.name} (${columns.map(columnIdent).join(', ')})`;
  const settings = protobufReadSettings(traceRequestSchema());
  const before = await countRows(store, stage.name);
  try {
    if (store.kind === 'server') {
      for (const [k, payload] of payloads.entries()) {
        const bytes = 'bytes' in payload ? payload.bytes : await readFile(payload.path);
        if (bytes.length === 0) continue;
        const select = traceRowsSelect([`input(${sqlString(TRACE_REQUEST_STRUCTURE)})`], columns, k);
        const result = await store.client.exec({ query: `${into} ${select} FORMAT ProtobufSingle`, values: Readable.from([Buffer.from(bytes)]), clickhouse_settings: settings });
        for await (const _ of result.stream) {
          // drain: the response of an INSERT is empty, but it must be consumed
        }
      }
    } else {
      await withEngineFiles(payloads, async (paths) => {
        const sources = paths.map((path) => `file(${sqlString(path)}, 'ProtobufSingle', ${sqlString(TRACE_REQUEST_STRUCTURE)})`);
        await store.client.command({ query: `${into} ${traceRowsSelect(sources, columns)} ${settingsClause(settings)}` });
      });
    }
  } catch (e) {
    const c = classifyEngineError(e);
    if (c.kind === 'payload') throw c.error;
    if (c.kind === 'unsupported') return { kind: 'unsupported', reason: c.reason };
    throw e;
  }
  const rows = (await countRows(store, stage.name)) - before;
  load.noteStaged('otel_traces', rows);
  return { kind: 'staged', rows };
}

