/**
 * The HTTP API (express): the same queries as the CLI, JSON by default, Apache Arrow
 * IPC streams on request, and the Prometheus `/metrics` of the KPI gauges. API keys
 * from config: none configured → open (loopback by default); otherwise `Authorization:
 * Bearer <key>`, an admin key sees everything, a tenant key only its tenant's rows
 * (KPIs of the fleet, without tenant rows, answer it 403).
 *
 * - `GET /api/v1/health`
 * - `GET /api/v1/<kpi>?…`: every KPI query (kpi-routes.ts); `Accept:
 *   application/vnd.apache.arrow.stream` for Arrow where the KPI has a built query
 * - `GET /metrics`: the KPI gauges (pipelines/exposition/kpi-metrics.ts), admin keys only
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { TokenFactoryError } from '../../core/errors.js';
import { createKpiMetrics, metricsHandler, type KpiMetricsOptions } from '../exposition/kpi-metrics.js';
import { KPI_ROUTES, type KpiRoute } from './kpi-routes.js';
import { ARROW_STREAM, sendArrow } from './arrow.js';
import { runKpiSql } from '../kpi/server-latency.js';

class UnauthorizedError extends TokenFactoryError {
  override readonly status = 401;
}

class ForbiddenError extends TokenFactoryError {
  override readonly status = 403;
}

class NotAcceptableError extends TokenFactoryError {
  override readonly status = 406;
}

interface Caller {
  /** undefined: admin */
  tenant: string | undefined;
}

export interface ApiOptions {
  /** the /metrics gauges: their window and clock, or a registry to add them to */
  metrics?: KpiMetricsOptions;
}

export function createApi(store: Store, config: Config, opts: ApiOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/api/v1/health', (_req, res) => {
    res.json({ status: 'ok', store: store.kind });
  });

  for (const r of KPI_ROUTES) app.get(r.path, (req, res) => serveKpi(r, req, res, store, config));

  const registry: Registry = createKpiMetrics(store, config, opts.metrics);
  const metrics = metricsHandler(registry);
  app.get('/metrics', (req, res, next) => {
    requireAdmin(authenticate(req, config), '/metrics');
    return metrics(req, res, next);
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof TokenFactoryError ? err.status : 500;
    if (res.headersSent) {
      res.destroy(err instanceof Error ? err : undefined);
      return;
    }
    res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
  });
  return app;
}

async function serveKpi(r: KpiRoute, req: Request, res: Response, store: Store, config: Config): Promise<void> {
  const caller = authenticate(req, config);
  if (r.scope === 'admin') requireAdmin(caller, r.path);
  const kpi = await r.build(req.query, store, config, caller.tenant);
  const type = req.accepts(['application/json', ARROW_STREAM]);
  if (type === false) throw new NotAcceptableError(`${r.path} answers application/json or ${ARROW_STREAM}`);
  if (type === ARROW_STREAM) await sendArrow(store, kpi, res);
  else res.json(await runKpiSql(store, kpi));
}

function authenticate(req: Request, config: Config): Caller {
  if (config.api.keys.length === 0) return { tenant: undefined };
  const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
  const key = m ? config.api.keys.find((k) => k.key === m[1]) : undefined;
  if (!key) throw new UnauthorizedError('missing or unknown API key (Authorization: Bearer <key>)');
  return { tenant: key.tenant };
}

function requireAdmin(caller: Caller, path: string): void {
  if (caller.tenant !== undefined) throw new ForbiddenError(`${path} covers the whole fleet: it needs an admin key, not a tenant key`);
}

/** Listens; resolves with the base URL once bound. */
export async function listen(app: express.Express, host: string, port: number): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => {
      const addr = server.address() as AddressInfo;
      resolve({ server, url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` });
    });
    server.once('error', reject);
  });
}
