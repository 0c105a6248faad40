/**
 * Finance exports written by ClickHouse itself: the query ends in `FORMAT CSVWithNames |
 * Parquet | JSONEachRow` and its byte stream goes straight to a file (or stdout) — rows
 * never become JS objects, whatever the size of the window.
 *
 * Kinds: `requests` (request-usage.ts), `tenant-day` (tenant-day.ts), `focus` (focus.ts).
 * Text formats print times as ISO 8601 UTC (`2026-11-23T10:00:00.100Z`), money as exact
 * decimals, booleans as true/false, nulls as empty CSV fields; Parquet keeps the types
 * (timestamps, DECIMAL(38, 6), booleans, nullable strings).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extname } from 'node:path';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { BadRequestError } from '../../core/errors.js';
import { inventoryParams } from '../kpi/inventory.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES } from '../kpi/sql/gpu-hours.js';
import { REQUEST_COST_CTES } from '../kpi/sql/request-cost.js';
import { REQUEST_REVENUE_CTE, priceParams } from '../kpi/sql/request-revenue.js';
import { resolveWindow, windowJson, windowParams, type Window, type WindowQuery } from '../kpi/window.js';
import { focusSelect, type FocusGranularity } from './focus.js';
import { requestUsageSelect } from './request-usage.js';
import { tenantDaySelect } from './tenant-day.js';

export const EXPORT_KINDS = ['requests', 'tenant-day', 'focus'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_FORMATS = ['csv', 'parquet', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const CLICKHOUSE_FORMAT: Record<ExportFormat, string> = { csv: 'CSVWithNames', parquet: 'Parquet', jsonl: 'JSONEachRow' };
const EXTENSIONS: Record<string, ExportFormat> = { '.csv': 'csv', '.parquet': 'parquet', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** The format a file name implies (`.csv`, `.parquet`, `.jsonl`/`.ndjson`), if any. */
export function formatFromPath(path: string): ExportFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

export interface ExportQuery extends WindowQuery {
  kind: ExportKind;
  format: ExportFormat;
  /** only this tenant's rows */
  tenant?: string | undefined;
  /** focus: charge period (default day) */
  granularity?: FocusGranularity | undefined;
  /** focus: ServiceProviderName / HostProviderName / InvoiceIssuerName (default token-factory) */
  provider?: string | undefined;
  /** focus: ServiceName (default "LLM Inference") */
  service_name?: string | undefined;
}

export const DEFAULT_PROVIDER = 'token-factory';
export const DEFAULT_SERVICE_NAME = 'LLM Inference';

/** The complete query (with FORMAT) and its bound parameters. */
export function exportSql(config: Config, window: Window, q: ExportQuery): { query: string; params: Record<string, unknown> } {
  const filterTenant = q.tenant !== undefined;
  const select =
    q.kind === 'requests'
      ? requestUsageSelect(filterTenant)
      : q.kind === 'tenant-day'
        ? tenantDaySelect(filterTenant)
        : focusSelect(q.granularity ?? 'day', filterTenant);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES}, ${REQUEST_REVENUE_CTE}${select}
    FORMAT ${CLICKHOUSE_FORMAT[q.format]}`;
  return {
    query,
    params: {
      ...inventoryParams(config),
      ...priceParams(config),
      ...windowParams(window),
      tenant: q.tenant ?? '',
      provider: q.provider ?? DEFAULT_PROVIDER,
      service_name: q.service_name ?? DEFAULT_SERVICE_NAME,
    },
  };
}

const OUTPUT_SETTINGS = {
  date_time_output_format: 'iso',
  format_csv_null_representation: '',
  output_format_json_quote_64bit_integers: 0,
  output_format_json_quote_decimals: 0,
  output_format_decimal_trailing_zeros: 0,
} as const;

export interface OpenedExport {
  window: { from: string; to: string };
  /** the formatted bytes, as ClickHouse writes them */
  stream: Readable;
}

/** Runs the export query; the caller consumes the byte stream. */
export async function openExport(store: Store, config: Config, q: ExportQuery): Promise<OpenedExport> {
  const window = await resolveWindow(store, q);
  const { query, params } = exportSql(config, window, q);
  const { stream } = await store.client.exec({
    query,
    query_params: params,
    clickhouse_settings: { log_comment: `export:${q.kind}`, ...OUTPUT_SETTINGS },
  });
  return { window: windowJson(window), stream };
}

export interface WriteExportOptions {
  /** replace an existing file */
  force?: boolean | undefined;
  /** called as bytes are written (total so far) */
  onProgress?: ((bytes: number) => void) | undefined;
}

export interface ExportResult {
  window: { from: string; to: string };
  path: string;
  bytes: number;
}

function counting(onProgress: ((bytes: number) => void) | undefined): Transform & { bytes: number } {
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      t.bytes += chunk.length;
      onProgress?.(t.bytes);
      done(null, chunk);
    },
  }) as Transform & { bytes: number };
  t.bytes = 0;
  return t;
}

/**
 * Writes the export to `path`: into `path.partial` first, renamed when complete, so a
 * failed export leaves no half-written file behind. Refuses to replace an existing file
 * unless `force`.
 */
export async function writeExport(store: Store, config: Config, q: ExportQuery, path: string, opts: WriteExportOptions = {}): Promise<ExportResult> {
  if (!opts.force && existsSync(path)) throw new BadRequestError(`${path} exists: give --force to replace it`);
  const partial = `${path}.partial`;
  const opened = await openExport(store, config, q);
  const counter = counting(opts.onProgress);
  try {
    await pipeline(opened.stream, counter, createWriteStream(partial));
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  return { window: opened.window, path, bytes: (await stat(path)).size };
}

/** Writes the export to a stream the caller owns (stdout), leaving it open. */
export async function streamExport(store: Store, config: Config, q: ExportQuery, out: Writable, opts: Pick<WriteExportOptions, 'onProgress'> = {}): Promise<{ window: { from: string; to: string }; bytes: number }> {
  const opened = await openExport(store, config, q);
  const counter = counting(opts.onProgress);
  await pipeline(opened.stream, counter, out, { end: false });
  return { window: opened.window, bytes: counter.bytes };
}
