/**
 * Stages a `traces-pb` spool batch — OTLP/protobuf trace requests framed as ClickHouse's
 * length-delimited `Protobuf` format — through the engine: one `INSERT INTO <stage>
 * SELECT …` reads the whole batch (one row per request) and flattens it with the SQL of
 * collectors/otlp-engine, so no span crosses into JS.
 *
 * - embedded store: the engine reads the batch file where it lies;
 * - server: the file is not on the server, so its bytes are the body of
 *   `… FROM input(<structure>) FORMAT Protobuf`.
 *
 * Outcomes as in `stageTracesProtobufBatch`: `staged`, `unsupported` (some request holds
 * values the engine SQL does not render: decode the batch in JS), or a thrown
 * `DecodeError` (the engine refuses a request the JS decoder accepted at the door: decode
 * the batch in JS too). Other errors are the store's.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Store } from '../../core/store/open-store.js';
import { columnIdent } from '../../core/schema/ddl.js';
import { classifyEngineError } from '../otlp-engine/engine-errors.js';
import { traceRequestSchema } from '../otlp-engine/proto-schema.js';
import { payloadTempDir } from '../otlp-engine/stage-traces.js';
import { protobufReadSettings, settingsClause, sqlString, TRACE_REQUEST_STRUCTURE, traceRowsSelect } from '../otlp-engine/trace-sql.js';
import { STAGE_SOURCE_COLUMN, type StagedLoad } from './staged-load.js';

export type EngineBatchResult = { kind: 'staged'; rows: number } | { kind: 'unsupported'; reason: string };

/** A path `file()` reads as is: no glob characters, quotes or control characters. */
const PLAIN_PATH = /^[A-Za-z0-9_\-./+@%=,]+$/;

export async function stageTracesBatch(store: Store, load: StagedLoad, path: string): Promise<EngineBatchResult> {
  const stage = await load.stagingTable('otel_traces');
  const columns = [...stage.columns.map((c) => c.ident.replace(/^`|`$/g, '')), STAGE_SOURCE_COLUMN];
  const into = `INSERT INTO ${stage.name} (${columns.map(columnIdent).join(', ')})`;
  const settings = protobufReadSettings(traceRequestSchema());
  const before = await countRows(store, stage.name);
  try {
    if (store.kind === 'server') {
      const select = traceRowsSelect([`input(${sqlString(TRACE_REQUEST_STRUCTURE)})`], columns);
      const result = await store.client.exec({ query: `${into} ${select} FORMAT Protobuf`, values: Readable.from([await readFile(path)]), clickhouse_settings: settings });
      for await (const _ of result.stream) {
        // drain: an INSERT answers nothing, but the response must be consumed
      }
    } else {
      await withPlainPath(path, async (p) => {
        const source = `file(${sqlString(p)}, 'Protobuf', ${sqlString(TRACE_REQUEST_STRUCTURE)})`;
        await store.client.command({ query: `${into} ${traceRowsSelect([source], columns)} ${settingsClause(settings)}` });
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

/** Runs `fn` with a path to the batch that `file()` reads literally (a temporary copy when the spool's path is not plain). */
async function withPlainPath(path: string, fn: (plain: string) => Promise<void>): Promise<void> {
  if (PLAIN_PATH.test(path)) return fn(path);
  const copy = join(payloadTempDir(), `tf-spool-${process.pid}-${randomUUID()}.pb`);
  await copyFile(path, copy);
  try {
    await fn(copy);
  } finally {
    await rm(copy, { force: true });
  }
}

async function countRows(store: Store, table: string): Promise<number> {
  const rs = await store.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0);
}
