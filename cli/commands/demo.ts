/**
 * `token-factory demo` (`npm start`): the whole product on one machine, nothing to
 * install. One process holds the embedded store (`./data`), the collector (OTLP/HTTP
 * receiver, spool, writer), the API with its `/metrics`, and a simulated factory
 * (simulator/, in a worker thread) that reaches the collector only the way a real one
 * would: gateway spans over OTLP/HTTP, dcgm-exporter and vLLM endpoints for the scraper.
 *
 * 1. Backfill: a week (`--backfill`) of the factory's history, as fast as the collector
 *    takes it, through OTLP with historical timestamps. A second start finds the data and
 *    only fills the time since the last GPU sample.
 * 2. Summary over the window: tokens per GPU-hour, cost per million tokens and p95 TTFT by
 *    model and GPU type; cost per successful workflow; annual revenue per GPU as rental vs
 *    token-as-a-service vs compute tokens; the URLs of the API and `/metrics`.
 * 3. Live traffic (`--speed` simulated seconds per real second) until Ctrl-C, scraped and
 *    received like production; Ctrl-C stops the factory, writes what is spooled and closes
 *    the store. `--exit` stops after the summary instead.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import { sampleIntervalFlag, seedFlag, speedFlag } from './simulation-flags.js';
import { scrapeTargetSchema, type Config } from '../../core/config/schema.js';
import { BadRequestError } from '../../core/errors.js';
import type { Store } from '../../core/store/open-store.js';
import { Scraper } from '../../collectors/prometheus/scrape-loop.js';
import { spoolRowsSink } from '../../collectors/writer/spool-sink.js';
import { revenuePerGpu } from '../../pipelines/kpi/revenue-per-gpu.js';
import { unitEconomicsAuto } from '../../pipelines/rollups/index.js';
import { workflowKpis } from '../../pipelines/kpi/workflows.js';
import type { BackfillProgress } from '../../simulator/backfill.js';
import type { GroundTruth } from '../../simulator/ground-truth.js';
import { startSimulator } from '../../simulator/simulator-host.js';
import { DEMO_TOPOLOGY, type TopologyInput } from '../../simulator/topology.js';
import { config as loadCliConfig, withStore } from '../context.js';
import { formatCell, render, type Column, type Row } from '../output.js';
import { startCollector, type RunningCollector } from './collect.js';

const HOUR_MS = 3_600_000;
const TICK_MS = 5_000;

// ---- flags (the CLI's input boundary) ----

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS, w: 7 * 24 * HOUR_MS };

/** "7d", "36h", "90m", "0" → ms. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new BadRequestError(`duration ${JSON.stringify(text)}: expected a number and a unit s, m, h, d or w (e.g. 7d, 12h)`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!);
}

const port = z.coerce.number().int().min(0).max(65535);
export const demoFlagsSchema = z
  .object({
    config: z.string().min(1).optional(),
    dataDir: z.string().min(1).optional(),
    backfill: z.string().default('7d'),
    speed: speedFlag,
    seed: seedFlag,
    sampleInterval: sampleIntervalFlag(300),
    exit: z.boolean().default(false),
    otlpPort: port.optional(),
    apiPort: port.optional(),
    metricsPort: port.optional(),
    format: z.enum(['table', 'json']).default('table'),
  })
  .strict();
export type DemoFlags = z.output<typeof demoFlagsSchema>;

const FLAG_NAMES: Record<string, string> = {
  dataDir: '--data-dir',
  sampleInterval: '--sample-interval',
  otlpPort: '--otlp-port',
  apiPort: '--api-port',
  metricsPort: '--metrics-port',
};

/** examples/demo.yaml of this package, wherever it runs from (sources or dist/). */
export function demoConfigFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'examples', 'demo.yaml');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new BadRequestError('examples/demo.yaml not found beside the package: pass --config');
}

// ---- the backfill window ----

export interface BackfillPlan {
  /** the summary's window: [windowFromMs, toMs) */
  windowFromMs: number;
  /** where the simulation starts: the window's start, or the last GPU sample already stored */
  resumeMs: number;
  toMs: number;
  /** nothing of the window was stored: the first sample is sent too */
  fresh: boolean;
}

/**
 * The window ends now (on the simulation's 5 s tick) and starts `backfillMs` earlier, on
 * the hour. If the store already has GPU samples in the window (an earlier demo), the
 * simulation resumes at the last one: only the time since then is backfilled.
 */
export async function planBackfill(store: Store, nowMs: number, backfillMs: number): Promise<BackfillPlan> {
  const toMs = Math.floor(nowMs / TICK_MS) * TICK_MS;
  const windowFromMs = Math.floor((toMs - backfillMs) / HOUR_MS) * HOUR_MS;
  const rs = await store.client.query({ query: 'SELECT toUnixTimestamp(max(ts)) AS latest, count() AS n FROM gpu_samples', format: 'JSONEachRow' });
  const [r] = await rs.json<{ latest: number | string; n: number | string }>();
  const latestMs = r && Number(r.n) > 0 ? Number(r.latest) * 1000 : 0;
  if (latestMs >= windowFromMs) return { windowFromMs, resumeMs: Math.min(toMs, Math.floor(latestMs / TICK_MS) * TICK_MS), toMs, fresh: false };
  return { windowFromMs, resumeMs: windowFromMs, toMs, fresh: true };
}

// ---- the summary ----

export interface DemoSummary {
  window: { from: string; to: string };
  unit_economics: Row[];
  /** the workflows' own window: the last day of the summary's (see demoSummary) */
  workflows_window: { from: string; to: string };
  workflows: Row[];
  revenue_per_gpu: Row[];
}

/**
 * Workflows are summarised over the window's last day: the workflow query (every trace a
 * workflow, retries joined on workflow.id) costs several times the others, and a day
 * holds thousands of workflows.
 */
export const WORKFLOW_SUMMARY_MS = 24 * HOUR_MS;

const UE_KEYS = ['model', 'gpu_type', 'requests', 'tokens', 'gpu_hours', 'cost_usd', 'tokens_per_gpu_hour', 'cost_per_mtok_usd', 'ttft_ms_p95'] as const;
const WF_KEYS = ['workflow', 'workflows', 'successful_workflows', 'success_rate', 'workflow_cost_usd', 'cost_per_successful_workflow_usd'] as const;
const REV_KEYS = [
  'gpu_type',
  'gpus',
  'tokens_per_gpu_hour',
  'annual_revenue_gpu_hour_usd',
  'annual_revenue_taas_usd',
  'annual_revenue_taas_measured_usd',
  'annual_revenue_compute_tokens_usd',
  'annual_cost_usd',
] as const;

const pick = (row: Record<string, unknown>, keys: readonly string[]): Row => Object.fromEntries(keys.map((k) => [k, (row[k] ?? null) as Row[string]]));

/** The KPIs the demo shows, over the window, straight from the pipelines' KPI queries. */
export async function demoSummary(store: Store, cfg: Config, fromMs: number, toMs: number): Promise<DemoSummary> {
  const window = { from: new Date(fromMs), to: new Date(toMs) };
  const ue = await unitEconomicsAuto(store, cfg, { by: ['model', 'gpu_type'], ...window });
  const wf = await workflowKpis(store, cfg, { by: ['workflow'], from: new Date(Math.max(fromMs, toMs - WORKFLOW_SUMMARY_MS)), to: window.to });
  const rev = await revenuePerGpu(store, cfg, window);
  return {
    window: ue.window,
    unit_economics: ue.rows.filter((r) => r.gpu_type !== 'unassigned').map((r) => pick(r, UE_KEYS)),
    workflows_window: wf.window,
    workflows: wf.rows.map((r) => pick(r, WF_KEYS)).sort((a, b) => Number(b.workflows) - Number(a.workflows)),
    revenue_per_gpu: rev.rows.filter((r) => r.gpus !== null && Number(r.gpus) > 0).map((r) => pick(r, REV_KEYS)),
  };
}

export interface DemoUrls {
  api: string | undefined;
  kpi_metrics: string | undefined;
  collector_metrics: string | undefined;
  otlp: string;
}

export function renderSummary(s: DemoSummary, urls: DemoUrls): string {
  const ue: Column[] = [
    { key: 'model' },
    { key: 'gpu_type', header: 'GPU' },
    { key: 'tokens', kind: 'int' },
    { key: 'gpu_hours', header: 'GPU-hours', kind: 'float' },
    { key: 'tokens_per_gpu_hour', header: 'tokens/GPU-h', kind: 'int' },
    { key: 'cost_per_mtok_usd', header: 'cost/M tokens', kind: 'usd' },
    { key: 'ttft_ms_p95', header: 'TTFT p95 ms', kind: 'int' },
  ];
  const wf: Column[] = [
    { key: 'workflow' },
    { key: 'workflows', kind: 'int' },
    { key: 'success_rate', header: 'success', kind: 'ratio' },
    { key: 'cost_per_successful_workflow_usd', header: 'cost per successful', kind: 'usd' },
  ];
  const rev: Column[] = [
    { key: 'gpu_type', header: 'GPU' },
    { key: 'tokens_per_gpu_hour', header: 'tokens/GPU-h', kind: 'int' },
    { key: 'annual_revenue_gpu_hour_usd', header: 'GPU-hour rental', kind: 'usd' },
    { key: 'annual_revenue_taas_usd', header: 'tokens (scenario)', kind: 'usd' },
    { key: 'annual_revenue_taas_measured_usd', header: 'tokens (measured)', kind: 'usd' },
    { key: 'annual_revenue_compute_tokens_usd', header: 'compute tokens', kind: 'usd' },
    { key: 'annual_cost_usd', header: 'cost', kind: 'usd' },
  ];
  const lines = [
    `\nThe simulated factory, ${s.window.from} → ${s.window.to}\n`,
    'Unit economics by model and GPU type',
    render(s.unit_economics, ue, 'table').trimEnd(),
    `\nCost per successful workflow, ${s.workflows_window.from} → ${s.workflows_window.to} (failed attempts and retries included)`,
    render(s.workflows, wf, 'table').trimEnd(),
    '\nAnnual revenue per GPU: rental vs token-as-a-service vs prepaid compute tokens',
    render(s.revenue_per_gpu, rev, 'table').trimEnd(),
    '',
    `API          ${urls.api ?? '(off)'}   e.g. ${urls.api ?? ''}/api/v1/unit-economics?by=model,gpu_type`,
    `KPI gauges   ${urls.kpi_metrics ?? '(off)'}`,
    `collector    ${urls.collector_metrics ?? '(off)'}`,
    `OTLP/HTTP    ${urls.otlp}/v1/traces  ${urls.otlp}/v1/metrics`,
    '',
  ];
  return lines.join('\n');
}

// ---- the run ----

export interface DemoRunOptions {
  config: Config;
  backfillMs: number;
  speed: number;
  seed: number;
  sampleIntervalS: number;
  /** stop after the summary */
  exit: boolean;
  ports: { otlp: number; api: number; metrics: number };
  topology?: TopologyInput;
  /** where the simulator runs (default: a worker thread when built) */
  thread?: 'auto' | 'local' | 'worker';
  /** the clock, ms (tests pin it) */
  now?: () => number;
  log?: (line: string) => void;
  onProgress?: (p: BackfillProgress, plan: BackfillPlan) => void;
  /** the summary is ready (before live traffic starts) */
  onSummary?: (s: DemoSummary, urls: DemoUrls) => void;
  /** live traffic runs until this settles (default: SIGINT or SIGTERM) */
  until?: Promise<unknown>;
  /** hand back the simulator's ground truth (tests) */
  truth?: boolean;
}

export interface DemoResult {
  plan: BackfillPlan;
  /** null when interrupted during the backfill */
  summary: DemoSummary | null;
  urls: DemoUrls;
  backfill: { spans: number; points: number; seconds: number } | null;
  truth: GroundTruth | undefined;
}

async function startCollectorOnFreePorts(store: Store, cfg: Config, o: DemoRunOptions, log: (l: string) => void): Promise<RunningCollector> {
  const at = (p: { otlp: number; api: number; metrics: number }) =>
    startCollector(store, cfg, {
      otlp: { host: cfg.otlp.host, port: p.otlp },
      api: { host: cfg.api.host, port: p.api },
      metrics: { host: cfg.otlp.host, port: p.metrics },
      log,
    });
  try {
    return await at(o.ports);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    log(`a port of ${JSON.stringify(o.ports)} is in use: taking free ports instead`);
    return at({ otlp: 0, api: 0, metrics: 0 });
  }
}

/** Runs the demo on an open store: backfill, summary, then live traffic unless `exit`. */
export async function runDemo(store: Store, o: DemoRunOptions): Promise<DemoResult> {
  const log = o.log ?? (() => {});
  const now = o.now ?? Date.now;
  // Ctrl-C (or `until`) stops the demo at any stage: during the backfill it ends it early
  const signal = o.until === undefined ? onSignal() : undefined;
  const stop = o.until ?? signal!.promise;
  const plan = await planBackfill(store, now(), o.backfillMs);
  if (!plan.fresh) {
    log(
      plan.resumeMs < plan.toMs
        ? `the store has data up to ${new Date(plan.resumeMs).toISOString()}: backfilling only since then`
        : 'the store is up to date: no backfill',
    );
  }
  const collector = await startCollectorOnFreePorts(store, o.config, o, log);
  const urls: DemoUrls = { api: collector.apiUrl, kpi_metrics: collector.apiUrl ? `${collector.apiUrl}/metrics` : undefined, collector_metrics: collector.metricsUrl, otlp: collector.otlpUrl };
  let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
  let scraper: Scraper | undefined;
  try {
    sim = await startSimulator({
      topology: o.topology ?? DEMO_TOPOLOGY,
      seed: o.seed,
      startMs: plan.resumeMs,
      otlpUrl: collector.otlpUrl,
      sampleIntervalS: o.sampleIntervalS,
      sampleAtStart: plan.fresh,
      thread: o.thread ?? 'auto',
    });
    let backfill: DemoResult['backfill'] = null;
    if (plan.resumeMs < plan.toMs) {
      let interrupted = false;
      const running = sim.backfill(plan.toMs, { drain: o.exit, ...(o.onProgress ? { onProgress: (p: BackfillProgress) => interrupted || o.onProgress!(p, plan) } : {}) });
      const first = await Promise.race([running, stop.then(() => 'stopped' as const)]);
      if (first === 'stopped') {
        interrupted = true;
        running.catch(() => {});
        log('interrupted during the backfill: what the collector acknowledged is kept; the next start resumes from it');
        return { plan, summary: null, urls, backfill: null, truth: undefined };
      }
      backfill = first;
      log(`backfill sent in ${first.seconds.toFixed(0)} s (${first.spans} spans, ${first.points} samples); the collector is writing what is spooled (${collector.spool.sealed.length} batches)`);
      const writing = Date.now();
      await collector.writer.flush(30 * 60_000);
      log(`written in ${((Date.now() - writing) / 1000).toFixed(0)} s more`);
    }
    const summary = await demoSummary(store, o.config, plan.windowFromMs, plan.toMs);
    o.onSummary?.(summary, urls);
    if (!o.exit) {
      await sim.startLive({ speed: o.speed });
      if (o.speed === 1) {
        const targets = sim.endpoints.map((e) => scrapeTargetSchema.parse({ job: e.job, url: e.url, kind: e.kind, interval_s: 15, timeout_s: 5 }));
        scraper = new Scraper(targets, { sink: spoolRowsSink(collector.spool, 'metrics'), metrics: collector.metrics });
        scraper.start();
      }
      log(`live traffic at ${o.speed}× (${o.speed === 1 ? `${sim.endpoints.length} exporters scraped every 15 s` : 'samples pushed as OTLP'}); Ctrl-C stops`);
      await stop;
      log('stopping: the factory, then the collector (writing what is spooled)');
      await sim.stopLive();
      await scraper?.stop();
    }
    const truth = o.truth ? await sim.truth() : undefined;
    return { plan, summary, urls, backfill, truth };
  } finally {
    signal?.cancel();
    await scraper?.stop();
    await sim?.close();
    const { left } = await collector.stop(30_000);
    if (left > 0) log(`${left} batches stay in the spool for the next start`);
  }
}

/** Resolves on the first SIGINT or SIGTERM; `cancel` gives the signals back to Node. */
function onSignal(): { promise: Promise<NodeJS.Signals>; cancel: () => void } {
  let cancel = () => {};
  const promise = new Promise<NodeJS.Signals>((resolvePromise) => {
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    const done = (s: NodeJS.Signals) => {
      cancel();
      resolvePromise(s);
    };
    cancel = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
  return { promise, cancel };
}

// ---- progress on the terminal ----

function progressReporter(): { onProgress: (p: BackfillProgress, plan: BackfillPlan) => void; done: () => void } {
  const started = Date.now();
  const hours = (ms: number) => `${(ms / HOUR_MS).toFixed(1)} h`;
  if (process.stderr.isTTY) {
    let bar: SingleBar | undefined;
    return {
      onProgress: (p) => {
        if (!bar) {
          bar = new SingleBar(
            { format: 'backfill [{bar}] {percentage}% | {sim} of {total_sim} simulated | {spans} spans | {points} samples | {elapsed}s', stream: process.stderr, hideCursor: true },
            Presets.shades_classic,
          );
          bar.start(Math.max(1, p.totalMs), 0, { sim: hours(0), total_sim: hours(p.totalMs), spans: 0, points: 0, elapsed: 0 });
        }
        bar.update(p.doneMs, { sim: hours(p.doneMs), total_sim: hours(p.totalMs), spans: formatCell(p.spans, 'int'), points: formatCell(p.points, 'int'), elapsed: Math.round((Date.now() - started) / 1000) });
      },
      done: () => bar?.stop(),
    };
  }
  let lastStep = -1;
  return {
    onProgress: (p) => {
      const step = p.totalMs > 0 ? Math.floor((10 * p.doneMs) / p.totalMs) : 10;
      if (step === lastStep) return;
      lastStep = step;
      process.stderr.write(`backfill ${step * 10}%: ${hours(p.doneMs)} of ${hours(p.totalMs)} simulated, ${p.spans} spans, ${p.points} samples, ${Math.round((Date.now() - started) / 1000)} s\n`);
    },
    done: () => {},
  };
}

// ---- the command ----

interface DemoCliOptions {
  config?: string;
  dataDir?: string;
  backfill?: string;
  speed?: string;
  seed?: string;
  sampleInterval?: string;
  exit?: boolean;
  otlpPort?: string;
  apiPort?: string;
  metricsPort?: string;
  format?: string;
}

export function parseDemoFlags(opts: DemoCliOptions): DemoFlags {
  const parsed = demoFlagsSchema.safeParse(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    throw new BadRequestError(
      parsed.error.issues
        .map((i) => {
          const key = String(i.path[0] ?? '');
          return `${FLAG_NAMES[key] ?? `--${key}`}: ${i.message}`;
        })
        .join('; '),
    );
  }
  return parsed.data;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole product on a simulated AI factory: a week of backfill, a KPI summary, then live traffic until Ctrl-C')
    .option('-c, --config <file>', 'config file (default: examples/demo.yaml of this package)')
    .option('--data-dir <dir>', "the embedded store's data directory (default: store.path of the config, ./data)")
    .option('--backfill <duration>', 'history to simulate before going live, e.g. 7d, 12h, 0 (a second start fills only what is missing)', '7d')
    .option('--speed <n>', 'live traffic: simulated seconds per real second', '1')
    .option('--seed <n>', 'seed of the simulated factory', '42')
    .option('--sample-interval <s>', 'seconds between the exporter samples of the backfill (5–300)', '300')
    .option('--exit', 'exit after the summary (no live traffic)')
    .option('--otlp-port <port>', 'OTLP/HTTP port (default: otlp.port of the config; 0 picks a free one)')
    .option('--api-port <port>', 'API port (default: api.port of the config; 0 picks a free one)')
    .option('--metrics-port <port>', "port of the collector's own /metrics (default 9464; 0 picks a free one)")
    .option('-f, --format <format>', 'summary as a table or json', 'table')
    .action(async (raw: DemoCliOptions) => {
      const flags = parseDemoFlags(raw);
      const backfillMs = parseDuration(flags.backfill);
      const loaded = loadCliConfig({ config: flags.config ?? demoConfigFile() });
      const base = loaded.config;
      const cfg: Config = flags.dataDir !== undefined ? { ...base, store: { kind: 'embedded', path: resolve(flags.dataDir) } } : base;
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const progress = progressReporter();
      const started = Date.now();
      await withStore({ ...loaded, config: cfg }, 'demo', async (store) => {
        log(`token-factory demo: store ${store.location}`);
        await runDemo(store, {
          config: cfg,
          backfillMs,
          speed: flags.speed,
          seed: flags.seed,
          sampleIntervalS: flags.sampleInterval,
          exit: flags.exit,
          ports: { otlp: flags.otlpPort ?? cfg.otlp.port, api: flags.apiPort ?? cfg.api.port, metrics: flags.metricsPort ?? 9464 },
          log,
          onProgress: (p, plan) => progress.onProgress(p, plan),
          onSummary: (summary, urls) => {
            progress.done();
            log(`summary ready after ${Math.round((Date.now() - started) / 1000)} s`);
            process.stdout.write(flags.format === 'json' ? `${JSON.stringify({ ...summary, urls }, null, 2)}\n` : renderSummary(summary, urls));
          },
        });
      });
      log('token-factory demo: stopped; the data stays for the next start');
    });
}
