import type { Command } from 'commander';
import { z } from 'zod';
import { BadRequestError } from '../../core/errors.js';
import {
  DEFAULT_PROVIDER,
  DEFAULT_SERVICE_NAME,
  EXPORT_FORMATS,
  EXPORT_KINDS,
  FOCUS_GRANULARITIES,
  formatFromPath,
  streamExport,
  writeExport,
  type ExportQuery,
} from '../../pipelines/exports/index.js';
import { config, withStore } from '../context.js';
import { optionsError } from './workflows.js';

const isoTime = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time such as 2026-11-25T00:00:00Z' }).transform((s) => new Date(s));

/** The command's options, as commander hands them over: validated here, once. */
export const exportOptionsSchema = z
  .object({
    config: z.string().optional(),
    kind: z.enum(EXPORT_KINDS),
    output: z.string().min(1),
    format: z.enum(EXPORT_FORMATS).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    tenant: z.string().min(1).optional(),
    granularity: z.enum(FOCUS_GRANULARITIES).default('day'),
    provider: z.string().min(1).default(DEFAULT_PROVIDER),
    serviceName: z.string().min(1).default(DEFAULT_SERVICE_NAME),
    force: z.boolean().default(false),
  })
  .strict();

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('finance exports written by ClickHouse: per-request usage and cost, per tenant and day, or FinOps FOCUS cost rows')
    .option('-c, --config <file>', 'config file')
    .requiredOption('--kind <kind>', `what to export: ${EXPORT_KINDS.join(', ')}`)
    .requiredOption('-o, --output <file>', 'file to write (- for stdout)')
    .option('-f, --format <format>', `${EXPORT_FORMATS.join(', ')} (default: from the file extension; csv on stdout)`)
    .option('--from <iso>', 'window start (inclusive; default: the data\'s first hour)')
    .option('--to <iso>', 'window end (exclusive; default: after the data\'s last hour)')
    .option('--tenant <tenant>', 'only this tenant\'s rows')
    .option('--granularity <period>', 'focus: charge period, day or hour', 'day')
    .option('--provider <name>', 'focus: ServiceProviderName, HostProviderName and InvoiceIssuerName', DEFAULT_PROVIDER)
    .option('--service-name <name>', 'focus: ServiceName', DEFAULT_SERVICE_NAME)
    .option('--force', 'replace an existing file')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = exportOptionsSchema.safeParse(raw);
      if (!parsed.success) throw optionsError(parsed.error);
      const opts = parsed.data;
      const toStdout = opts.output === '-';
      const fmt = opts.format ?? (toStdout ? 'csv' : formatFromPath(opts.output));
      if (!fmt) throw new BadRequestError(`--output ${opts.output}: cannot tell the format from the extension (.csv, .parquet, .jsonl): give --format`);
      if (toStdout && fmt === 'parquet' && process.stdout.isTTY) throw new BadRequestError('Parquet is binary: redirect stdout to a file, or give --output FILE');
      if (opts.kind !== 'focus' && raw.granularity !== undefined && raw.granularity !== 'day') {
        throw new BadRequestError('--granularity goes with --kind focus');
      }
      const q: ExportQuery = {
        kind: opts.kind,
        format: fmt,
        tenant: opts.tenant,
        granularity: opts.granularity,
        provider: opts.provider,
        service_name: opts.serviceName,
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.to ? { to: opts.to } : {}),
      };
      const loaded = config(opts);
      const tty = process.stderr.isTTY;
      let shown = 0;
      const onProgress = (bytes: number) => {
        if (tty && bytes - shown >= 1e6) {
          shown = bytes;
          process.stderr.write(`\rexport ${opts.kind}: ${mb(bytes)}`);
        }
      };
      const result = await withStore(loaded, 'export', (store) =>
        toStdout
          ? streamExport(store, loaded.config, q, process.stdout, { onProgress })
          : writeExport(store, loaded.config, q, opts.output, { force: opts.force, onProgress }),
      );
      if (tty && shown > 0) process.stderr.write('\n');
      const where = toStdout ? 'stdout' : opts.output;
      process.stderr.write(`wrote ${result.bytes} bytes (${opts.kind}, ${fmt}) for [${result.window.from}, ${result.window.to}) to ${where}\n`);
    });
}
