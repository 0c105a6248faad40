/**
 * What every command shares: loading the config (errors name the bad field) and
 * opening the store with migrations applied.
 */
import { loadConfig, type LoadedConfig } from '../core/config/load.js';
import { openStore, type Store } from '../core/store/open-store.js';
import { migrate } from '../core/schema/migrate.js';
import { BadRequestError } from '../core/errors.js';
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
    await migrate(store);
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
