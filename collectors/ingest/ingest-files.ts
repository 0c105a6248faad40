/**
 * File ingest: Prometheus text / OpenMetrics (.prom, .txt), OTLP JSON (.json, one
 * export request per file or one per line as the collector's file exporter writes),
 * OTLP protobuf (.pb, .binpb). Each file is decoded whole into a staged load and
 * committed only if it decoded without fault, so a malformed file writes nothing and
 * the other files still load. Decoding is the same code the live receivers use.
 *
 * OTLP/protobuf traces are decoded by ClickHouse itself by default (`decoder: 'engine'`,
 * `collectors/otlp-engine/`): the engine parses the file and stages its rows without
 * them crossing into JS, several times faster (bench/README.md). Payloads the engine SQL
 * does not render exactly (rare attribute shapes) fall back to the JS decoder.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Store } from '../../core/store/open-store.js';
import { DecodeError } from '../../core/errors.js';
import { emptyRawRows, RAW_TABLES, type RawRows } from '../../core/schema/otel-rows.js';
import { StagedLoad, zeroCounts, type LoadCounts } from '../writer/staged-load.js';
import { decodeExpositionFile } from '../prometheus/decode-file.js';
import { decodeOtlpFile, type OtlpSignal } from '../otlp/decode-file.js';
import { stageTracesProtobuf, stageTracesProtobufBatch, type EngineStageResult } from '../otlp-engine/stage-traces.js';

export type FileKind = 'prometheus' | 'otlp-json' | 'otlp-protobuf';

export function fileKind(path: string): FileKind | null {
  switch (extname(path).toLowerCase()) {
    case '.prom':
    case '.txt':
    case '.openmetrics':
      return 'prometheus';
    case '.json':
    case '.jsonl':
      return 'otlp-json';
    case '.pb':
    case '.binpb':
    case '.protobuf':
      return 'otlp-protobuf';
    default:
      return null;
  }
}

export interface IngestOptions {
  /** unix ns (decimal string) for Prometheus samples without a timestamp (--at) */
  atNs?: string;
  /** protobuf files: which export request they hold (--signal) */
  signal?: OtlpSignal;
  /** Prometheus files: the scrape job (default: the file name without extension) */
  job?: string;
  /** Prometheus files: the instance (default: the file name) */
  instance?: string;
  /**
   * Who decodes OTLP/protobuf traces: ClickHouse (`engine`, the default) or this
   * process (`js`). Other kinds of file are always decoded in JS.
   */
  decoder?: 'engine' | 'js';
  onProgress?: (e: { file: string; bytesDone: number; bytesTotal: number }) => void;
}

export interface FileResult {
  file: string;
  kind: FileKind | null;
  bytes: number;
  ok: boolean;
  /** the reason and position of the fault, when not ok */
  error?: string;
  counts: LoadCounts;
  /** who decoded the file: `engine` (ClickHouse) or `js` */
  decoder?: 'engine' | 'js';
}

export interface IngestSummary {
  files: FileResult[];
  totals: LoadCounts;
}

/** Decodes one file's content into raw rows (pure: no store). */
export function decodeFile(path: string, content: Buffer, opts: IngestOptions): RawRows {
  const kind = fileKind(path);
  const name = basename(path);
  switch (kind) {
    case 'prometheus':
      return decodeExpositionFile(content.toString('utf8'), {
        job: opts.job ?? basename(path, extname(path)),
        instance: opts.instance ?? name,
        defaultTimeNs: opts.atNs,
      });
    case 'otlp-json':
      return decodeOtlpFile(content, { format: 'json' });
    case 'otlp-protobuf':
      if (!opts.signal) throw new DecodeError('a protobuf file needs --signal traces|metrics (its bytes do not say which export request they hold)');
      return decodeOtlpFile(content, { format: 'protobuf', signal: opts.signal });
    default:
      throw new DecodeError(`unknown file type "${extname(path) || '(none)'}": expected .prom/.txt, .json or .pb/.binpb`);
  }
}

export async function ingestFiles(store: Store, paths: readonly string[], opts: IngestOptions = {}): Promise<IngestSummary> {
  const sizes = await Promise.all(paths.map((p) => stat(p).then((s) => s.size).catch(() => 0)));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  let bytesDone = 0;
  // two loads, so that the engine stages a batch while the previous one commits
  const loads = [new StagedLoad(store), new StagedLoad(store)] as const;
  const load = loads[0];
  let turn = 0;
  /** the commit of the previous engine batch: commits run one at a time, in file order */
  let committing: Promise<void> = Promise.resolve();
  const files: FileResult[] = [];
  const totals = zeroCounts();
  const finish = (result: FileResult): void => {
    if (result.ok) {
      for (const t of RAW_TABLES) {
        totals[t].staged += result.counts[t].staged;
        totals[t].written += result.counts[t].written;
      }
    }
    bytesDone += result.bytes;
    opts.onProgress?.({ file: result.file, bytesDone, bytesTotal });
  };
  try {
    for (let i = 0; i < paths.length; ) {
      const path = paths[i]!;
      if (usesEngine(path, opts)) {
        // a run of engine files, staged by one query (planning it costs as much as executing a 10 k-span file)
        const batch: FileResult[] = [];
        let batchBytes = 0;
        while (i < paths.length && usesEngine(paths[i]!, opts) && batch.length < ENGINE_BATCH_FILES && (batch.length === 0 || batchBytes + (sizes[i] ?? 0) <= ENGINE_BATCH_BYTES)) {
          batch.push({ file: paths[i]!, kind: fileKind(paths[i]!), bytes: sizes[i] ?? 0, ok: false, counts: zeroCounts() });
          batchBytes += sizes[i] ?? 0;
          i++;
        }
        files.push(...batch);
        const batchLoad = loads[turn++ % 2]!;
        const staged = await stageEngineBatch(store, batchLoad, batch);
        await committing;
        if (staged) {
          committing = commitEngineBatch(batchLoad, batch).then(() => batch.forEach(finish));
          committing.catch(() => {}); // awaited later; not an unhandled rejection meanwhile
        } else {
          for (const result of batch) await ingestWithEngine(store, batchLoad, result.file, result);
          batch.forEach(finish);
        }
        continue;
      }
      await committing;
      const result: FileResult = { file: path, kind: fileKind(path), bytes: sizes[i] ?? 0, ok: false, counts: zeroCounts() };
      files.push(result);
      i++;
      let rows: RawRows = emptyRawRows();
      try {
        const content = await readFile(path);
        rows = decodeFile(path, content, opts);
        result.decoder = 'js';
      } catch (e) {
        result.error = errorText(e);
      }
      if (result.error === undefined) await addAndCommit(load, rows, result);
      finish(result);
    }
    await committing;
  } finally {
    await committing.catch(() => {});
    for (const l of loads) await l.dispose();
  }
  return { files, totals };
}

/** Most files, and bytes, the engine stages in one query. */
const ENGINE_BATCH_FILES = 8;
const ENGINE_BATCH_BYTES = 256 * 1024 * 1024;

/**
 * Stages engine files together (one query). False when one of them is malformed or needs
 * the JS decoder: the batch is undone, to be redone file by file so each gets its own
 * outcome (a batch of one is always done that way).
 */
async function stageEngineBatch(store: Store, load: StagedLoad, batch: readonly FileResult[]): Promise<boolean> {
  if (batch.length < 2) return false;
  let outcome: EngineStageResult;
  try {
    outcome = await stageTracesProtobufBatch(
      store,
      load,
      batch.map((r) => ({ path: r.file })),
    );
  } catch (e) {
    await load.abort().catch(() => {});
    if (isFileFault(e)) return false;
    throw e;
  }
  if (outcome.kind === 'staged') return true;
  await load.abort();
  return false;
}

/** Commits a staged batch: counts per file. */
async function commitEngineBatch(load: StagedLoad, batch: readonly FileResult[]): Promise<void> {
  let bySource: Map<number, LoadCounts>;
  try {
    bySource = await load.commitBySource();
  } catch (e) {
    await load.abort().catch(() => {});
    throw e;
  }
  batch.forEach((result, k) => {
    result.counts = bySource.get(k) ?? zeroCounts();
    result.ok = true;
    result.decoder = 'engine';
  });
}

/** A fault of the file itself (malformed, missing, a directory), as opposed to the store's. */
function isFileFault(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return e instanceof DecodeError || code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES';
}

/** Stages and commits `rows`; a store failure aborts the load and is rethrown (not the file's fault: stop). */
async function addAndCommit(load: StagedLoad, rows: RawRows, result: FileResult): Promise<void> {
  try {
    await load.add(rows);
    result.counts = await load.commit();
    result.ok = true;
  } catch (e) {
    await load.abort().catch(() => {});
    throw e;
  }
}

function usesEngine(path: string, opts: IngestOptions): boolean {
  return (opts.decoder ?? 'engine') === 'engine' && fileKind(path) === 'otlp-protobuf' && opts.signal === 'traces';
}

/**
 * One OTLP/protobuf trace file through the engine: staged by ClickHouse and committed;
 * a malformed file is the file's error (nothing written); a file the engine SQL does not
 * render goes through the JS decoder instead.
 */
async function ingestWithEngine(store: Store, load: StagedLoad, path: string, result: FileResult): Promise<void> {
  let outcome: EngineStageResult;
  try {
    outcome = await stageTracesProtobuf(store, load, { path });
  } catch (e) {
    await load.abort().catch(() => {});
    if (isFileFault(e)) {
      result.error = errorText(e);
      return;
    }
    throw e;
  }
  if (outcome.kind === 'staged') {
    result.decoder = 'engine';
    try {
      result.counts = await load.commit();
      result.ok = true;
    } catch (e) {
      await load.abort().catch(() => {});
      throw e;
    }
    return;
  }
  await load.abort();
  let rows: RawRows;
  try {
    rows = decodeOtlpFile(await readFile(path), { format: 'protobuf', signal: 'traces' });
  } catch (e) {
    result.error = errorText(e);
    return;
  }
  result.decoder = 'js';
  await addAndCommit(load, rows, result);
}

function errorText(e: unknown): string {
  if (e instanceof DecodeError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'is a directory';
  return err.message ?? String(e);
}
