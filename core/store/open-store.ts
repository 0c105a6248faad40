/**
 * The store factory: the one place that knows whether ClickHouse is embedded (chDB
 * in this process) or a server. Everything above it uses the `@clickhouse/client`
 * API on `store.client`.
 */
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { StoreConfig } from '../config/schema.js';
import { StoreUnavailableError } from '../errors.js';
import { acquireStoreLock, describeHolder } from './store-lock.js';

export interface Store {
  readonly client: ClickHouseClient;
  readonly kind: 'embedded' | 'server';
  /** database the tables live in */
  readonly database: string;
  /** cluster name when the DDL is ON CLUSTER */
  readonly cluster: string | undefined;
  /** a human description: the data directory or the server URL */
  readonly location: string;
  /** record the API URL this process serves, so other processes can use it */
  advertiseApi(url: string): void;
  close(): Promise<void>;
}

/** Settings every query runs with: UTC everywhere (KPIS.md: time is UTC). */
const SETTINGS: ClickHouseSettings = {
  session_timezone: 'UTC',
};

export interface OpenStoreOptions {
  /** what this process is, for the holder record (`ingest`, `collect`, …) */
  command: string;
}

export async function openStore(cfg: StoreConfig, opts: OpenStoreOptions): Promise<Store> {
  return cfg.kind === 'server' ? openServer(cfg) : openEmbedded(cfg.path, opts);
}

async function openServer(cfg: Extract<StoreConfig, { kind: 'server' }>): Promise<Store> {
  const client = createClient({
    url: cfg.url,
    username: cfg.user,
    password: cfg.password,
    database: cfg.database,
    clickhouse_settings: SETTINGS,
    application: 'token-factory',
  });
  const ping = await client.ping();
  if (!ping.success) {
    await client.close();
    throw new StoreUnavailableError(`ClickHouse at ${cfg.url} is not reachable: ${ping.error.message}`, { cause: ping.error });
  }
  return {
    client,
    kind: 'server',
    database: cfg.database,
    cluster: cfg.cluster,
    location: cfg.url,
    advertiseApi: () => {},
    close: () => client.close(),
  };
}

/** `:memory:` is chDB's ephemeral store: a fresh temporary directory for this process. */
export const MEMORY_PATH = ':memory:';

async function openEmbedded(path: string, opts: OpenStoreOptions): Promise<Store> {
  const memory = path === MEMORY_PATH;
  const dir = memory ? MEMORY_PATH : resolve(path);
  const lock = memory ? { ok: true as const, release: () => {}, setApiUrl: () => {} } : acquireStoreLock(dir, opts.command);
  if (!lock.ok) throw new StoreUnavailableError(describeHolder(path, lock.holder));
  let client: ClickHouseClient;
  try {
    client = createClient({
      // chDB's Connection is typed against the deprecated @clickhouse/client-common;
      // the runtime contract is the same (FINDINGS.md). The one cast in the project.
      connection: createChdbConnection({ path: dir }) as unknown as Parameters<typeof createClient>[0] extends infer O
        ? O extends { connection?: infer C }
          ? C
          : never
        : never,
      clickhouse_settings: SETTINGS,
    });
    await client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
  } catch (e) {
    lock.release();
    const code = (e as { code?: string }).code;
    const msg = (e as Error).message ?? String(e);
    if (code === '76' || /Code: 76\b/.test(msg)) {
      throw new StoreUnavailableError(`the store ${path} is locked by another ClickHouse process (${dir}/status)`, { cause: e });
    }
    throw new StoreUnavailableError(`cannot open the embedded store ${path}: ${msg.split('\n')[0]}`, { cause: e });
  }
  return {
    client,
    kind: 'embedded',
    database: 'default',
    cluster: undefined,
    location: dir,
    advertiseApi: (url) => lock.setApiUrl(url),
    close: async () => {
      await client.close();
      lock.release();
    },
  };
}
