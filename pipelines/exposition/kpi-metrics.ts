/**
 * The KPI gauges SREs alert on, in Prometheus exposition format (prom-client), computed
 * when scraped: each gauge's `collect` reads one snapshot of the KPIs over the recent
 * window — by default the hour ending at the scrape, [now − 1 h, now) — so one scrape
 * runs each KPI query once, and all gauges of a scrape describe the same window.
 *
 * | metric (KPIS.md name, `token_factory_` prefix) | labels         | from                                  |
 * |------------------------------------------------|----------------|---------------------------------------|
 * | `token_factory_ttft_ms_p95`                    | model          | unitEconomics by model                |
 * | `token_factory_error_rate`                     | model          | unitEconomics by model                |
 * | `token_factory_tokens_per_gpu_hour`            | model, gpu_type| unitEconomics by model, gpu_type      |
 * | `token_factory_cost_per_mtok_usd`              | model, gpu_type| unitEconomics by model, gpu_type      |
 * | `token_factory_goodput_tokens_per_gpu_hour`    | model, gpu_type| goodput by model, gpu_type (slo.ts)   |
 * | `token_factory_slo_burn_rate`                  | slo, window    | slo: 5m/30m/1h/6h ending at the scrape|
 * | `token_factory_quota_used_ratio`               | tenant         | tenantQuotas at the scrape            |
 * | `token_factory_metering_drift`                 | deployment     | meteringReconciliation by deployment  |
 *
 * A KPI that is undefined for a label set (null: no tokens, no GPU time, no events) is
 * not exposed for it — absent, never 0 or NaN — so alerts do not fire on missing data.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { unitEconomics } from '../kpi/unit-economics.js';
import { goodput, slo, BURN_WINDOWS, type BurnWindow } from '../kpi/slo.js';
import { tenantQuotas } from '../kpi/quotas.js';
import { meteringReconciliation } from '../kpi/reconciliation.js';

export interface KpiMetricsOptions {
  /** length of the window the gauges cover, ending at the scrape (default 3600 s) */
  windowS?: number;
  /** the clock (tests pin it) */
  now?: () => Date;
  /** a snapshot serves every gauge of a scrape, and scrapes closer together than this (default 1000 ms) */
  cacheMs?: number;
  /** register into this registry (e.g. the collector's, beside its own metrics) instead of a new one */
  registry?: Registry;
}

type Row = Record<string, unknown>;

interface Snapshot {
  byModel: Row[];
  byModelGpu: Row[];
  goodput: Row[];
  burn: Row[];
  quotas: Row[];
  drift: Row[];
}

interface GaugeDef {
  name: string;
  help: string;
  labels: string[];
  rows(s: Snapshot): Row[];
  value: string;
}

const GAUGES: GaugeDef[] = [
  { name: 'token_factory_ttft_ms_p95', help: 'Time to first token, 95th percentile (ms), over the recent window', labels: ['model'], rows: (s) => s.byModel, value: 'ttft_ms_p95' },
  { name: 'token_factory_error_rate', help: 'Errored requests / requests over the recent window', labels: ['model'], rows: (s) => s.byModel, value: 'error_rate' },
  { name: 'token_factory_slo_burn_rate', help: 'Bad-event ratio / allowed bad ratio of an SLO over the window ending now', labels: ['slo', 'window'], rows: (s) => s.burn, value: 'slo_burn_rate' },
  { name: 'token_factory_tokens_per_gpu_hour', help: 'Tokens per GPU-hour of the serving deployments over the recent window', labels: ['model', 'gpu_type'], rows: (s) => s.byModelGpu, value: 'tokens_per_gpu_hour' },
  { name: 'token_factory_goodput_tokens_per_gpu_hour', help: 'Tokens of requests that met their SLO per GPU-hour over the recent window', labels: ['model', 'gpu_type'], rows: (s) => s.goodput, value: 'goodput_tokens_per_gpu_hour' },
  { name: 'token_factory_cost_per_mtok_usd', help: 'Fully loaded cost per million tokens (USD) over the recent window', labels: ['model', 'gpu_type'], rows: (s) => s.byModelGpu, value: 'cost_per_mtok_usd' },
  { name: 'token_factory_quota_used_ratio', help: 'Share of the monthly token or spend quota used (the larger)', labels: ['tenant'], rows: (s) => s.quotas, value: 'quota_used_ratio' },
  { name: 'token_factory_metering_drift', help: '(gateway tokens - server-counted tokens) / server-counted tokens over the recent window', labels: ['deployment'], rows: (s) => s.drift, value: 'metering_drift' },
];

/** Registers the KPI gauges; returns the registry they are in. */
export function createKpiMetrics(store: Store, config: Config, opts: KpiMetricsOptions = {}): Registry {
  const registry = opts.registry ?? new Registry();
  const windowMs = (opts.windowS ?? 3600) * 1000;
  const now = opts.now ?? (() => new Date());
  const cacheMs = opts.cacheMs ?? 1000;
  let cached: { at: number; snapshot: Promise<Snapshot> } | undefined;

  const take = async (): Promise<Snapshot> => {
    const to = now();
    const w = { from: new Date(to.getTime() - windowMs), to };
    const byModel = await unitEconomics(store, config, { by: ['model'], ...w });
    const byModelGpu = await unitEconomics(store, config, { by: ['model', 'gpu_type'], ...w });
    const good = await goodput(store, config, { by: ['model', 'gpu_type'], ...w });
    const slos = await slo(store, config, w);
    const quotas = await tenantQuotas(store, config, { to });
    const drift = await meteringReconciliation(store, config, { by: ['deployment'], ...w });
    const burn = slos.rows.flatMap((r) =>
      (Object.keys(BURN_WINDOWS) as BurnWindow[]).map((window) => ({ slo: r.slo, window, slo_burn_rate: r[`slo_burn_rate_${window}`] })),
    );
    return { byModel: byModel.rows, byModelGpu: byModelGpu.rows, goodput: good.rows, burn, quotas: quotas.rows, drift: drift.rows };
  };
  const snapshot = (): Promise<Snapshot> => {
    const t = Date.now();
    if (!cached || t - cached.at > cacheMs) {
      const entry = { at: t, snapshot: take() };
      cached = entry;
      // a failed snapshot is not reused: the next scrape tries again
      entry.snapshot.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.snapshot;
  };

  for (const def of GAUGES) {
    new Gauge({
      name: def.name,
      help: def.help,
      labelNames: def.labels,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const row of def.rows(s)) {
          const v = row[def.value];
          if (typeof v !== 'number' || !Number.isFinite(v)) continue;
          this.set(Object.fromEntries(def.labels.map((l) => [l, String(row[l] ?? '')])), v);
        }
      },
    });
  }
  return registry;
}

/** `GET /metrics` handler: the registry's exposition text. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req: Request, res: Response) => {
    const text = await registry.metrics();
    res.status(200).type(registry.contentType).send(text);
  };
}

/**
 * Serves `GET /metrics` alone on its own host and port (the collector's
 * `--metrics-port`): no API keys there, so bind it where only Prometheus reaches it.
 */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<{ server: Server; url: string }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(registry));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => {
      const addr = server.address() as AddressInfo;
      resolve({ server, url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` });
    });
    server.once('error', reject);
  });
}
