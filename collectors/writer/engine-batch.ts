/**
 * Stages `traces-pb` spool batches — OTLP/protobuf trace requests framed as ClickHouse's
 * length-delimited `Protobuf` format — through the engine: one `INSERT INTO <stage>
 * SELECT …` reads the batches (one row per request; each file a source of a UNION ALL,
 * read in parallel) and flattens them with the SQL of collectors/otlp-engine, so no span
 * crosses into JS.
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
import type { ClickHouseSettings } from '@clickhouse/client';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Store } from '../../core/store/open-store.js';
import { columnIdent } from '../../core/schema/ddl.js';
import { classifyEngineError } from '../otlp-engine/engine-errors.js';
import { traceRequestSchema } from '../otlp-engine/proto-schema.js';
import { withEngineFiles } from '../otlp-engine/engine-files.js';
import { protobufReadSettings, settingsClause, sqlString, TRACE_REQUEST_STRUCTURE, traceRowsSelect } from '../otlp-engine/trace-sql.js';
import { countRows, STAGE_SOURCE_COLUMN, type StagedLoad } from './staged-load.js';

/**
 * Bounds on the memory of the staging query: blocks of 8 192 spans, and insert blocks of
 * the staging table squashed up to 64 MiB / 65 536 rows rather than ClickHouse's default
 * 256 MiB / 1 M rows (measured: peak RSS of the collector, see bench/README.md). Most of
 * the query's memory is its working set per file read (≈ 230 MB for a 20 k-span batch,
 * bench/collect-profile.ts), so it grows with the files of a group.
 */
export const STAGE_MEMORY_SETTINGS: ClickHouseSettings = {
  max_block_size: '8192',
  min_insert_block_size_rows: '65536',
  min_insert_block_size_bytes: String(64 * 1024 * 1024),
};

export type EngineBatchResult = { kind: 'staged'; rows: number } | { kind: 'unsupported'; reason: string };

/** Stages the spans of the batches at `paths` with one query (the files are read as parallel sources). */
export async function stageTracesBatch(store: Store, load: StagedLoad, paths: readonly string[]): Promise<EngineBatchResult> {
  const stage = await load.stagingTable('otel_traces');
  const columns = [...stage.columns.map((c) => c.ident.replace(/^`|`$/g, '')), STAGE_SOURCE_COLUMN];
  const into = `INSERT INTO ${stage.name} (${columns.map(columnIdent).join(', ')})`;
  const settings: Record<string, string | number> = { ...protobufReadSettings(traceRequestSchema()), ...(STAGE_MEMORY_SETTINGS as Record<string, string>) };
  const before = await countRows(store, stage.name);
  try {
    if (store.kind === 'server') {
      // the files are not on the server: each is the body of its own INSERT … FROM input()
      for (const path of paths) {
        const select = traceRowsSelect([`input(${sqlString(TRACE_REQUEST_STRUCTURE)})`], columns);
        const result = await store.client.exec({ query: `${into} ${select} FORMAT Protobuf`, values: Readable.from([await readFile(path)]), clickhouse_settings: settings });
        for await (const _ of result.stream) {
          // drain: an INSERT answers nothing, but the response must be consumed
        }
      }
    } else {
      await withEngineFiles(paths.map((path) => ({ path })), async (plain) => {
        const sources = plain.map((p) => `file(${sqlString(p)}, 'Protobuf', ${sqlString(TRACE_REQUEST_STRUCTURE)})`);
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

