/**
 * What every command shares: loading the config (errors name the bad field) and
 * opening the store with migrations applied.
 */
import { loadConfig, type LoadedConfig } from '../core/config/load.js';
import { openStore, type Store } from '../core/store/open-store.js';
import { migrate } from '../core/schema/migrate.js';
import { dropStaleStaging } from '../collectors/writer/staged-load.js';
import { resolve } from 'node:path';
import { BadRequestError, StoreUnavailableError } from '../core/errors.js';
import { readStoreHolder } from '../core/store/store-lock.js';
import { FORMATS, type Format } from './output.js';

export interface CommonOptions {
  config?: string;
  format?: string;
}

export function config(opts: CommonOptions): LoadedConfig {
  return loadConfig(opts.config !== undefined ? { file: opts.config } : {});
}

export async function withStore<T>(loaded: LoadedConfig, command: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loaded.config.store, { command });
  try {
    await migrate(store, { views: loaded.config.attribution });
    await dropStaleStaging(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function format(opts: CommonOptions): Format {
  const f = opts.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(f)) throw new BadRequestError(`--format ${f}: expected one of ${FORMATS.join(', ')}`);
  return f as Format;
}

export function parseTime(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new BadRequestError(`${flag} ${JSON.stringify(value)}: expected an ISO 8601 time such as 2026-11-25T00:00:00Z`);
  return d;
}

/**
 * When another token-factory process holds the embedded store and serves the API,
 * report commands go through that API instead of meeting a lock error.
 */
export function holderApi(loaded: LoadedConfig): { url: string; key: string | undefined } | null {
  const store = loaded.config.store;
  if (store.kind !== 'embedded') return null;
  const holder = readStoreHolder(resolve(store.path));
  if (!holder || holder.pid === process.pid || !holder.api_url) return null;
  return { url: holder.api_url, key: loaded.config.api.keys.find((k) => k.tenant === undefined)?.key };
}

export async function getFromApi<T>(api: { url: string; key: string | undefined }, path: string, params: Record<string, string | undefined>): Promise<T> {
  const u = new URL(path, api.url);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(u, { headers: api.key ? { authorization: `Bearer ${api.key}` } : {} });
  } catch (e) {
    throw new StoreUnavailableError(`the store is held by the token-factory process serving ${api.url}, which does not answer: ${(e as Error).message}`, { cause: e });
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new BadRequestError(`${u.origin}${u.pathname}: ${res.status} ${body.error ?? res.statusText}`);
  return body;
}
