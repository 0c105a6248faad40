import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ingestFiles, type IngestOptions } from '../../collectors/ingest/ingest-files.js';
import { RAW_TABLES } from '../../core/schema/otel-rows.js';
import { BadRequestError } from '../../core/errors.js';
import { config, format, parseTime, withStore, type CommonOptions } from '../context.js';
import { render, type Row } from '../output.js';

interface IngestCliOptions extends CommonOptions {
  at?: string;
  signal?: string;
  job?: string;
  instance?: string;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('load telemetry files: .prom/.txt (Prometheus text or OpenMetrics), .json (OTLP JSON), .pb/.binpb (OTLP protobuf)')
    .argument('<files...>', 'files to load')
    .option('-c, --config <file>', 'config file')
    .option('--at <iso>', 'timestamp for Prometheus samples that carry none (default: now)')
    .option('--signal <signal>', 'what .pb/.binpb files hold: traces or metrics')
    .option('--job <name>', 'Prometheus files: scrape job (default: file name)')
    .option('--instance <name>', 'Prometheus files: instance (default: file name)')
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (files: string[], opts: IngestCliOptions) => {
      const fmt = format(opts);
      if (opts.signal !== undefined && opts.signal !== 'traces' && opts.signal !== 'metrics') {
        throw new BadRequestError(`--signal ${opts.signal}: expected traces or metrics`);
      }
      const at = parseTime('--at', opts.at) ?? new Date();
      const ingestOpts: IngestOptions = {
        atNs: `${BigInt(at.getTime()) * 1_000_000n}`,
        ...(opts.signal ? { signal: opts.signal as 'traces' | 'metrics' } : {}),
        ...(opts.job ? { job: opts.job } : {}),
        ...(opts.instance ? { instance: opts.instance } : {}),
      };
      const loaded = config(opts);
      const summary = await withStore(loaded, 'ingest', async (store) => {
        const bar = process.stderr.isTTY
          ? new SingleBar({ format: 'ingest [{bar}] {percentage}% | {value}/{total} MB | {file}', stream: process.stderr }, Presets.shades_classic)
          : null;
        bar?.start(1, 0, { file: '' });
        try {
          return await ingestFiles(store, files, {
            ...ingestOpts,
            onProgress: (e) => {
              bar?.setTotal(Math.max(1, +(e.bytesTotal / 1e6).toFixed(1)));
              bar?.update(+(e.bytesDone / 1e6).toFixed(1), { file: e.file });
            },
          });
        } finally {
          bar?.stop();
        }
      });
      const rows: Row[] = [];
      for (const f of summary.files) {
        for (const t of RAW_TABLES) {
          const c = f.counts[t];
          if (c.staged > 0) rows.push({ file: f.file, table: t, rows_read: c.staged, rows_written: c.written, duplicates: c.staged - c.written, error: null });
        }
        if (!f.ok) rows.push({ file: f.file, table: null, rows_read: 0, rows_written: 0, duplicates: 0, error: f.error ?? 'failed' });
      }
      process.stdout.write(
        render(rows, [
          { key: 'file' },
          { key: 'table' },
          { key: 'rows_read', header: 'rows read', kind: 'int' },
          { key: 'rows_written', header: 'rows written', kind: 'int' },
          { key: 'duplicates', kind: 'int' },
          { key: 'error' },
        ], fmt),
      );
      const failed = summary.files.filter((f) => !f.ok);
      if (failed.length > 0) {
        for (const f of failed) process.stderr.write(`error: ${f.file}: ${f.error}\n`);
        process.exitCode = 1;
      }
    });
}
