/**
 * `token-factory collect`: the live collector. One process runs the OTLP/HTTP receiver,
 * the scrape loop, the spool and its writer, the collector's own `/metrics`, and the API
 * (it holds the embedded store, so `report` in another shell goes through that API).
 *
 * Start: the spool is opened first and what a previous run left is replayed (the writer
 * takes it before anything new). SIGTERM/SIGINT: new requests are refused (503), the
 * scrapes in flight finish, open batches are sealed and written for up to
 * `collector.shutdown_timeout_s` seconds; what is left stays spooled for the next start.
 *
 * Settings: the config's `collector:` block (core/config/schema.ts, its defaults are the
 * one source); the flags override it (flag > config > default).
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { COLLECTOR_DECODERS, COLLECTOR_DEFAULTS, type CollectorDecoder, type Config } from '../../core/config/schema.js';
import { BadRequestError } from '../../core/errors.js';
import type { Store } from '../../core/store/open-store.js';
import { MEMORY_PATH } from '../../core/store/open-store.js';
import { createOtlpReceiver } from '../../collectors/otlp/receiver.js';
import { createCollectorMetrics, type CollectorMetrics } from '../../collectors/observability/collector-metrics.js';
import { serveMetrics, type MetricsServer } from '../../collectors/observability/metrics-server.js';
import { Scraper, type ScrapeEvent } from '../../collectors/prometheus/scrape-loop.js';
import { BatchWriter, type BatchWriterOptions, type WriterEvent } from '../../collectors/writer/batch-writer.js';
import { spoolRowsSink } from '../../collectors/writer/spool-sink.js';
import { Spool, type SpoolOptions } from '../../collectors/writer/spool.js';
import { createApi, listen } from '../../pipelines/api/server.js';
import { startSettleLoop } from '../../pipelines/rollups/index.js';
import { config, withStore, type CommonOptions } from '../context.js';

/** Each unset field is the config's `collector.*` (whose defaults are the schema's). */
export interface CollectorOptions {
  otlp: { host: string; port: number };
  api: { host: string; port: number } | null;
  metrics: { host: string; port: number } | null;
  /** spool directory (default: `collector.spool_dir`, else `<store.path>/spool`; a temporary one for `:memory:`; `./token-factory-spool` for a server) */
  spoolDir?: string;
  batch?: SpoolOptions;
  maxSpoolBytes?: number;
  maxBodyBytes?: number;
  maxInflightBytes?: number;
  staleMarkers?: boolean;
  /** who renders OTLP/protobuf spans to rows (`collector.decoder`) */
  decoder?: CollectorDecoder;
  /** worker threads of the receiver's intake (`collector.intake_threads`) */
  intakeThreads?: number;
  /** the writer's retry pacing */
  writer?: Pick<BatchWriterOptions, 'minBackoffMs' | 'maxBackoffMs' | 'maxAttempts'>;
  log?: (line: string) => void;
}

export interface RunningCollector {
  otlpUrl: string;
  apiUrl: string | undefined;
  metricsUrl: string | undefined;
  spool: Spool;
  writer: BatchWriter;
  scraper: Scraper;
  metrics: CollectorMetrics;
  /** batches found at start (a previous run's, replayed first) */
  replayed: number;
  /** the limits in effect (options over config over defaults) */
  limits: CollectorLimits;
  /** stops taking data, writes what is spooled for up to `timeoutMs`, closes the servers */
  stop(timeoutMs: number): Promise<{ left: number }>;
}

export interface CollectorLimits {
  batch: Required<SpoolOptions>;
  maxSpoolBytes: number;
  maxBodyBytes: number;
  maxInflightBytes: number;
}

export function defaultSpoolDir(config: Config): string {
  const s = config.store;
  if (s.kind === 'embedded') return s.path === MEMORY_PATH ? mkdtempSync(join(tmpdir(), 'tf-spool-')) : join(resolve(s.path), 'spool');
  return resolve('token-factory-spool');
}

export async function startCollector(store: Store, cfg: Config, opts: CollectorOptions): Promise<RunningCollector> {
  const log = opts.log ?? (() => {});
  const c = cfg.collector;
  const limits: CollectorLimits = {
    batch: {
      maxBatchItems: opts.batch?.maxBatchItems ?? c.batch.max_items,
      maxBatchBytes: opts.batch?.maxBatchBytes ?? c.batch.max_bytes,
      maxBatchAgeMs: opts.batch?.maxBatchAgeMs ?? c.batch.max_age_ms,
    },
    maxSpoolBytes: opts.maxSpoolBytes ?? c.max_spool_bytes,
    maxBodyBytes: opts.maxBodyBytes ?? c.max_body_bytes,
    maxInflightBytes: opts.maxInflightBytes ?? c.max_inflight_bytes,
  };
  const metrics = createCollectorMetrics();
  const spool = Spool.open(resolve(opts.spoolDir ?? c.spool_dir ?? defaultSpoolDir(cfg)), limits.batch);
  const replayed = spool.sealed.length;
  const decoder = opts.decoder ?? c.decoder;
  // `traces-pb` batches (spooled with decoder engine|js, or by an earlier release) are decoded by ClickHouse unless js is asked for
  const writer = new BatchWriter(store, spool, metrics, { ...opts.writer, decoder: decoder === 'js' ? 'js' : 'engine', onEvent: (e) => logWriterEvent(e, log) });
  writer.start();

  const receiver = createOtlpReceiver({
    spool,
    metrics,
    maxSpoolBytes: limits.maxSpoolBytes,
    maxBodyBytes: limits.maxBodyBytes,
    maxInflightBytes: limits.maxInflightBytes,
    spanIntake: decoder === 'receiver' ? 'receiver' : 'writer',
    intakeThreads: opts.intakeThreads ?? c.intake_threads,
  });
  const servers: Server[] = [];
  let metricsServer: MetricsServer | undefined;
  let scraper: Scraper | undefined;
  try {
    const otlp = await listenApp(receiver.app, opts.otlp.host, opts.otlp.port);
    servers.push(otlp.server);
    let apiUrl: string | undefined;
    if (opts.api) {
      const api = await listen(createApi(store, cfg), opts.api.host, opts.api.port);
      servers.push(api.server);
      apiUrl = api.url;
      store.advertiseApi(api.url);
    }
    if (opts.metrics) metricsServer = await serveMetrics(metrics.registry, opts.metrics.host, opts.metrics.port);
    scraper = new Scraper(cfg.scrape, { sink: spoolRowsSink(spool, 'metrics'), metrics, staleMarkers: opts.staleMarkers ?? c.stale_markers, onEvent: (e) => logScrapeEvent(e, log) });
    scraper.start();
    const running = scraper;
    return {
      otlpUrl: otlp.url,
      apiUrl,
      metricsUrl: metricsServer ? `${metricsServer.url}/metrics` : undefined,
      spool,
      writer,
      scraper: running,
      metrics,
      replayed,
      limits,
      stop: async (timeoutMs) => {
        receiver.stopAccepting();
        const closing = servers.map((s) => closeServer(s));
        await running.stop();
        const { left } = await writer.drain(timeoutMs);
        await spool.close();
        await Promise.all(closing);
        await receiver.close();
        await metricsServer?.close();
        return { left };
      },
    };
  } catch (e) {
    await scraper?.stop();
    await Promise.all(servers.map((s) => closeServer(s)));
    await receiver.close();
    await metricsServer?.close();
    await writer.stop();
    await spool.close();
    throw e;
  }
}

async function listenApp(app: { listen: (port: number, host: string) => Server }, host: string, port: number): Promise<{ server: Server; url: string }> {
  return new Promise((resolvePromise, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('the OTLP server has no TCP address'));
      // keep-alive connections of OTLP senders outlive one request: allow long idle, bound headers
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      resolvePromise({ server, url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` });
    });
    server.once('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeIdleConnections();
    // requests in flight get their answer; then their connections go too
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  });
}

function logWriterEvent(e: WriterEvent, log: (line: string) => void): void {
  switch (e.kind) {
    case 'retry':
      log(`writer: batches ${e.batches.map((b) => b.seq).join(', ')} not written (${errorText(e.error)}); retrying in ${e.delayMs} ms`);
      break;
    case 'quarantined':
      log(`writer: the store refused batch ${e.batch.seq} (${errorText(e.error)}); moved to ${e.path}`);
      break;
    case 'corrupt-record':
      log(`writer: record ${e.record} of batch ${e.batch.seq} is unreadable and was dropped (${errorText(e.error)})`);
      break;
    case 'written':
      break;
  }
}

function logScrapeEvent(e: ScrapeEvent, log: (line: string) => void): void {
  if (e.kind === 'note') log(`scrape ${e.target.job} ${e.target.url}: ${e.note}`);
  if (e.kind === 'sink-failed') log(`scrape ${e.target.job} ${e.target.url}: cannot spool the scrape (${errorText(e.error)})`);
  if (e.kind === 'scraped' && !e.outcome.ok) log(`scrape ${e.target.job} ${e.target.url}: down (${e.outcome.result}: ${e.outcome.reason})`);
}

function errorText(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0]!;
}

// ---- the command ----

export interface CollectCliOptions extends CommonOptions {
  otlpPort?: string;
  apiPort?: string;
  metricsPort?: string;
  spoolDir?: string;
  /** true: --stale-markers, false: --no-stale-markers, unset: the config's */
  staleMarkers?: boolean;
  shutdownTimeout?: string;
  decoder?: string;
}

function portOption(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadRequestError(`${flag} ${value}: expected a port number (0 picks a free one)`);
  return n;
}

/** Default port of the collector's own /metrics (the OpenTelemetry Prometheus exporter's): `collector.metrics.port`'s default. */
export const DEFAULT_METRICS_PORT: number = COLLECTOR_DEFAULTS.metrics.port;

const isDecoder = (d: string): d is CollectorDecoder => (COLLECTOR_DECODERS as readonly string[]).includes(d);

/** What `collect` runs with: each flag over the config's `collector` block (which holds the defaults). */
export function collectSettings(cfg: Config, flags: CollectCliOptions): { collector: CollectorOptions; shutdownTimeoutS: number } {
  const c = cfg.collector;
  let shutdownTimeoutS = c.shutdown_timeout_s;
  if (flags.shutdownTimeout !== undefined) {
    shutdownTimeoutS = flags.shutdownTimeout.trim() === '' ? NaN : Number(flags.shutdownTimeout);
    if (!Number.isFinite(shutdownTimeoutS) || shutdownTimeoutS < 0) throw new BadRequestError(`--shutdown-timeout ${flags.shutdownTimeout}: expected seconds (≥ 0)`);
  }
  const decoder = flags.decoder ?? c.decoder;
  if (!isDecoder(decoder)) throw new BadRequestError(`--decoder ${decoder}: expected ${COLLECTOR_DECODERS.join(', ')}`);
  const spoolDir = flags.spoolDir ?? c.spool_dir;
  return {
    shutdownTimeoutS,
    collector: {
      otlp: { host: cfg.otlp.host, port: portOption('--otlp-port', flags.otlpPort, cfg.otlp.port) },
      api: { host: cfg.api.host, port: portOption('--api-port', flags.apiPort, cfg.api.port) },
      metrics: { host: c.metrics.host ?? cfg.otlp.host, port: portOption('--metrics-port', flags.metricsPort, c.metrics.port) },
      ...(spoolDir !== undefined ? { spoolDir } : {}),
      staleMarkers: flags.staleMarkers ?? c.stale_markers,
      decoder,
    },
  };
}

const mib = (n: number): string => `${+(n / 1024 / 1024).toFixed(2)} MiB`;

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('run the live collector: OTLP/HTTP receiver, Prometheus scrapes, durable spool and writer, /metrics and the API, until interrupted')
    .option('-c, --config <file>', 'config file (its collector: block holds the settings below; a flag overrides it)')
    .option('--otlp-port <port>', 'OTLP/HTTP port (default: otlp.port of the config, 4318; 0 picks a free one)')
    .option('--api-port <port>', 'API port (default: api.port of the config; 0 picks a free one)')
    .option('--metrics-port <port>', `port of the collector's own /metrics (default: collector.metrics.port of the config, ${DEFAULT_METRICS_PORT}; 0 picks a free one)`)
    .option('--spool-dir <dir>', 'spool directory (default: collector.spool_dir of the config, else <store.path>/spool; ./token-factory-spool with a ClickHouse server)')
    .option('--stale-markers', 'write Prometheus staleness markers (Flags = 1, no value) for series that vanish from a scrape (default: collector.stale_markers, false)')
    .option('--no-stale-markers', 'do not write staleness markers, whatever the config says')
    .option('--shutdown-timeout <seconds>', `on SIGTERM, how long to keep writing what is spooled (default: collector.shutdown_timeout_s, ${COLLECTOR_DEFAULTS.shutdown_timeout_s})`)
    .option('--decoder <decoder>', `who renders OTLP/protobuf spans to rows: ${COLLECTOR_DECODERS.join(', ')} (default: collector.decoder, ${COLLECTOR_DEFAULTS.decoder})`)
    .action(async (opts: CollectCliOptions) => {
      const loaded = config(opts);
      const cfg = loaded.config;
      const settings = collectSettings(cfg, opts);
      const collectorOptions: CollectorOptions = { ...settings.collector, log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) };
      await withStore(loaded, 'collect', async (store) => {
        const c = await startCollector(store, cfg, collectorOptions);
        const interval = cfg.rollups.settle_interval_s;
        const stopSettling = startSettleLoop(store, cfg, { intervalS: interval, onError: (e) => collectorOptions.log?.(`rollups: settle failed (${errorText(e)}); retrying in ${interval} s`) });
        const l = c.limits;
        process.stdout.write(
          `token-factory collect: store ${store.location}, spool ${c.spool.dir}` +
            (c.replayed > 0 ? ` (${c.replayed} batches left by the last run, replaying)` : '') +
            `\n  OTLP/HTTP  ${c.otlpUrl}/v1/traces  ${c.otlpUrl}/v1/metrics\n` +
            (c.apiUrl ? `  API        ${c.apiUrl}\n` : '') +
            (c.metricsUrl ? `  metrics    ${c.metricsUrl}\n` : '') +
            `  scraping   ${cfg.scrape.length} target${cfg.scrape.length === 1 ? '' : 's'}\n` +
            `  batches of up to ${l.batch.maxBatchItems} items / ${mib(l.batch.maxBatchBytes)} / ${l.batch.maxBatchAgeMs} ms; spool limit ${mib(l.maxSpoolBytes)}; ` +
            `bodies up to ${mib(l.maxBodyBytes)}, ${mib(l.maxInflightBytes)} in flight; decoder ${collectorOptions.decoder}, ${cfg.collector.intake_threads} intake thread(s); SIGTERM stops (writing for up to ${settings.shutdownTimeoutS} s)\n`,
        );
        const signal = await new Promise<NodeJS.Signals>((resolvePromise) => {
          process.once('SIGINT', () => resolvePromise('SIGINT'));
          process.once('SIGTERM', () => resolvePromise('SIGTERM'));
        });
        const { left } = await c.stop(settings.shutdownTimeoutS * 1000);
        await stopSettling();
        process.stdout.write(`token-factory collect: ${signal}: stopped; ${left === 0 ? 'everything written' : `${left} batches left in the spool for the next start`}\n`);
      });
      // every handle is closed by now; should one linger, do not let it hold the exit
      setTimeout(() => process.exit(), 1000).unref();
    });
}
