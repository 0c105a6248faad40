/**
 * File ingest: Prometheus text / OpenMetrics (.prom, .txt), OTLP JSON (.json, one
 * export request per file or one per line as the collector's file exporter writes),
 * OTLP protobuf (.pb, .binpb). Each file is decoded whole into a staged load and
 * committed only if it decoded without fault, so a malformed file writes nothing and
 * the other files still load. Decoding is the same code the live receivers use.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Store } from '../../core/store/open-store.js';
import { DecodeError } from '../../core/errors.js';
import { emptyRawRows, RAW_TABLES, type RawRows } from '../../core/schema/otel-rows.js';
import { StagedLoad, zeroCounts, type LoadCounts } from '../writer/staged-load.js';
import { decodeExpositionFile } from '../prometheus/decode-file.js';
import { decodeOtlpFile, type OtlpSignal } from '../otlp/decode-file.js';

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
  const load = new StagedLoad(store);
  const files: FileResult[] = [];
  const totals = zeroCounts();
  try {
    for (const [i, path] of paths.entries()) {
      const result: FileResult = { file: path, kind: fileKind(path), bytes: sizes[i] ?? 0, ok: false, counts: zeroCounts() };
      files.push(result);
      let rows: RawRows = emptyRawRows();
      try {
        const content = await readFile(path);
        rows = decodeFile(path, content, opts);
      } catch (e) {
        result.error = errorText(e);
      }
      if (result.error === undefined) {
        try {
          await load.add(rows);
          result.counts = await load.commit();
          result.ok = true;
        } catch (e) {
          await load.abort().catch(() => {});
          throw e; // the store failed: not the file's fault, stop here
        }
        for (const t of RAW_TABLES) {
          totals[t].staged += result.counts[t].staged;
          totals[t].written += result.counts[t].written;
        }
      }
      bytesDone += result.bytes;
      opts.onProgress?.({ file: path, bytesDone, bytesTotal });
    }
  } finally {
    await load.dispose();
  }
  return { files, totals };
}

function errorText(e: unknown): string {
  if (e instanceof DecodeError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'is a directory';
  return err.message ?? String(e);
}
