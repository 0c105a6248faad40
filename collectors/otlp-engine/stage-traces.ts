/**
 * Stages an OTLP/protobuf trace export request through ClickHouse itself: the engine
 * parses the protobuf (`ProtobufSingle` with the official .proto, see `proto-schema.ts`),
 * flattens it and renders the values (`trace-sql.ts`) in one `INSERT INTO <stage> SELECT`,
 * so no span crosses into JS. Measured several times faster than decoding in JS and
 * serialising rows back to the engine (bench/README.md).
 *
 * How the bytes reach the engine:
 * - embedded (chDB): the engine reads a file — the ingested file itself when its path is
 *   plain, else the bytes written to a temporary file (in /dev/shm when there is one).
 *   chDB's connection turns an insert body into a string, so binary bodies cannot go
 *   through `client.insert`/`exec` values;
 * - server: the file is not on the server, so the bytes are the body of
 *   `INSERT INTO <stage> SELECT … FROM input(<structure>) FORMAT ProtobufSingle`
 *   (`client.exec` with a stream). Only the embedded path is exercised by the tests here.
 *
 * Outcomes: `staged` (rows are in the load's staging table), `unsupported` (valid, but
 * the SQL does not render it exactly: decode it with the JS decoder; the staging table
 * may hold part of it, so abort the load first), or a thrown `DecodeError` (a malformed
 * payload; abort the load). Other errors are the store's and are rethrown.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { Store } from '../../core/store/open-store.js';
import type { StagedLoad } from '../writer/staged-load.js';
import { classifyEngineError } from './engine-errors.js';
import { traceRequestSchema } from './proto-schema.js';
import { protobufReadSettings, settingsClause, sqlString, TRACE_REQUEST_STRUCTURE, traceRowsSelect } from './trace-sql.js';

/** Where the payload is: a file on this machine, or bytes in memory. */
export type ProtobufPayload = { path: string } | { bytes: Uint8Array };

export type EngineStageResult = { kind: 'staged'; rows: number } | { kind: 'unsupported'; reason: string };

/** Directory for payloads the engine reads as files: RAM-backed when the machine has /dev/shm. */
export function payloadTempDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** Stages the spans of one `ExportTraceServiceRequest` into `load`'s `otel_traces` staging table. */
export async function stageTracesProtobuf(store: Store, load: StagedLoad, payload: ProtobufPayload): Promise<EngineStageResult> {
  const stage = await load.stagingTable('otel_traces');
  const columns = stage.columns.map((c) => c.ident.replace(/^`|`$/g, ''));
  const into = `INSERT INTO ${stage.name} (${stage.columns.map((c) => c.ident).join(', ')})`;
  const settings = protobufReadSettings(traceRequestSchema());
  const before = await countRows(store, stage.name);
  try {
    if (store.kind === 'server') {
      const bytes = 'bytes' in payload ? payload.bytes : await readFile(payload.path);
      if (bytes.length === 0) return { kind: 'staged', rows: 0 };
      const query = `${into} ${traceRowsSelect(`input(${sqlString(TRACE_REQUEST_STRUCTURE)})`, columns)} FORMAT ProtobufSingle`;
      const result = await store.client.exec({ query, values: Readable.from([Buffer.from(bytes)]), clickhouse_settings: settings });
      for await (const _ of result.stream) {
        // drain: the response of an INSERT is empty, but it must be consumed
      }
    } else {
      await withPayloadFile(payload, async (path) => {
        const source = `file(${sqlString(path)}, 'ProtobufSingle', ${sqlString(TRACE_REQUEST_STRUCTURE)})`;
        await store.client.command({ query: `${into} ${traceRowsSelect(source, columns)} ${settingsClause(settings)}` });
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

/** A plain absolute path `file()` reads as is (no glob characters, quotes or control characters). */
const PLAIN_PATH = /^[A-Za-z0-9_\-./+@%=,]+$/;

/** Runs `fn` with a path the engine can read the payload from; an empty payload skips `fn`. */
async function withPayloadFile(payload: ProtobufPayload, fn: (path: string) => Promise<void>): Promise<void> {
  if ('path' in payload) {
    const abs = isAbsolute(payload.path) ? payload.path : resolve(payload.path);
    // a missing file or a directory fails here, as a Node error (ENOENT, EISDIR), not inside the engine
    if ((await stat(abs)).isDirectory()) throw Object.assign(new Error(`${abs} is a directory`), { code: 'EISDIR' });
    if (PLAIN_PATH.test(abs)) return fn(abs);
    return withPayloadFile({ bytes: await readFile(abs) }, fn);
  }
  if (payload.bytes.length === 0) return;
  const path = join(payloadTempDir(), `tf-otlp-${process.pid}-${randomUUID()}.binpb`);
  await writeFile(path, payload.bytes);
  try {
    await fn(path);
  } finally {
    await rm(path, { force: true });
  }
}

async function countRows(store: Store, table: string): Promise<number> {
  const rs = await store.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0);
}
