/**
 * Stages `traces-rb` spool batches (span-row-binary.ts): their records, concatenated, are
 * one RowBinary stream of `otel_traces` rows, loaded into the load's staging table by one
 * INSERT — the engine reads binary columns, it neither decodes protobuf nor parses text.
 *
 * - embedded store: chDB's connection turns an insert body into a string, so the stream
 *   is written to a temporary file (RAM-backed /dev/shm when there is one) and read with
 *   `file(…, 'RowBinary', <structure>)`;
 * - server: the stream is the body of `INSERT … FORMAT RowBinary` (only the embedded path
 *   is exercised by the tests here: no ClickHouse server can be installed on this machine).
 *
 * A record that is not what the lane says (disk corruption) fails the INSERT with the
 * engine's parse error: the writer retries the batch and then sets it aside in `failed/`.
 */
import { Readable } from 'node:stream';
import type { Store } from '../../core/store/open-store.js';
import { columnIdent } from '../../core/schema/ddl.js';
import { withEngineFiles } from '../otlp-engine/engine-files.js';
import { sqlString } from '../otlp-engine/trace-sql.js';
import { SPAN_ROW_BINARY_COLUMNS, SPAN_ROW_BINARY_STRUCTURE } from './span-row-binary.js';
import { countRows, type StagedLoad } from './staged-load.js';

/**
 * Stages the span rows of `records` (whole `traces-rb` records, in order); returns the rows
 * staged. With `after`, the engine is not asked to load them before it settles: the
 * writer passes the commit in progress, so the stream is written out meanwhile but the
 * staged rows do not sit in memory beside the rows being committed (chDB runs one query
 * at a time: loading earlier would not be faster, only hold both).
 */
export async function stageSpanRowBinary(store: Store, load: StagedLoad, records: readonly Buffer[], after?: Promise<unknown>): Promise<number> {
  const stage = await load.stagingTable('otel_traces');
  const into = `INSERT INTO ${stage.name} (${SPAN_ROW_BINARY_COLUMNS.map(([name]) => columnIdent(name)).join(', ')})`;
  if (store.kind === 'server') {
    await after;
    const before = await countRows(store, stage.name);
    const result = await store.client.exec({ query: `${into} FORMAT RowBinary`, values: Readable.from(records) });
    for await (const _ of result.stream) {
      // drain: an INSERT answers nothing, but the response must be consumed
    }
    return noteStaged(store, load, stage.name, before);
  }
  return withEngineFiles([{ parts: records }], async ([path]) => {
    await after;
    const before = await countRows(store, stage.name);
    await store.client.command({ query: `${into} SELECT * FROM file(${sqlString(path!)}, 'RowBinary', ${sqlString(SPAN_ROW_BINARY_STRUCTURE)})` });
    return noteStaged(store, load, stage.name, before);
  });
}

async function noteStaged(store: Store, load: StagedLoad, stage: string, before: number): Promise<number> {
  const rows = (await countRows(store, stage)) - before;
  load.noteStaged('otel_traces', rows);
  return rows;
}

