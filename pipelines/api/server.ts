/**
 * The HTTP API (express): the same queries as the CLI, JSON by default. API keys from
 * config: none configured → open (loopback by default); otherwise `Authorization:
 * Bearer <key>`, an admin key sees everything, a tenant key only its tenant's rows.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { BadRequestError, TokenFactoryError } from '../../core/errors.js';
import { tokenUsage } from '../kpi/token-usage.js';
import { usageParamsSchema } from './usage-params.js';

class UnauthorizedError extends TokenFactoryError {
  override readonly status = 401;
}

interface Caller {
  /** undefined: admin */
  tenant: string | undefined;
}

export function createApi(store: Store, config: Config): express.Express {
  const app = express();
  app.disable('x-powered-by');

  app.get('/api/v1/health', (_req, res) => {
    res.json({ status: 'ok', store: store.kind });
  });

  app.get('/api/v1/report', async (req, res) => {
    const caller = authenticate(req, config);
    const parsed = usageParamsSchema.safeParse(req.query);
    if (!parsed.success) {
      throw new BadRequestError(parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
    }
    const p = parsed.data;
    const result = await tokenUsage(store, config, {
      by: p.by,
      ...(p.from ? { from: p.from } : {}),
      ...(p.to ? { to: p.to } : {}),
      ...(caller.tenant !== undefined ? { tenant: caller.tenant } : {}),
    });
    res.json(result);
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof TokenFactoryError ? err.status : 500;
    res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
  });
  return app;
}

function authenticate(req: Request, config: Config): Caller {
  if (config.api.keys.length === 0) return { tenant: undefined };
  const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
  const key = m ? config.api.keys.find((k) => k.key === m[1]) : undefined;
  if (!key) throw new UnauthorizedError('missing or unknown API key (Authorization: Bearer <key>)');
  return { tenant: key.tenant };
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
