/**
 * Loads the configuration once: YAML file → zod validation → a frozen, typed object.
 * This module is the only one that reads `process.env` (for the config path and the
 * ClickHouse connection overrides DESIGN.md names: CLICKHOUSE_URL and friends).
 */
import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'token-factory.yaml';

export interface LoadConfigOptions {
  /** explicit file (--config); else $TOKEN_FACTORY_CONFIG; else ./token-factory.yaml if present; else defaults */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** the file read, or null when running on defaults */
  file: string | null;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.TOKEN_FACTORY_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file === undefined) return { config: parseConfig({}, '(defaults)', env), file: null };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read: ${(e as Error).message}`]);
  }
  return { config: parseConfigText(text, file, env), file };
}

/** Parses YAML text; YAML syntax errors name their line and column. */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = {}): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  return parseConfig(raw, file, env);
}

/** Validates a plain object (already parsed) and applies environment overrides. */
export function parseConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = {}): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [`expected a mapping at the top level, got ${describe(raw)}`]);
  }
  const withEnv = applyEnvOverrides(raw as Record<string, unknown>, env);
  const result = configSchema.safeParse(withEnv);
  if (!result.success) throw new ConfigError(file, result.error.issues.map((i) => formatIssue(i, withEnv)));
  return deepFreeze(result.data);
}

/**
 * CLICKHOUSE_URL (and USER, PASSWORD, DATABASE, CLUSTER) override the store field by
 * field: with CLICKHOUSE_URL the store is that server; the others apply to a server
 * store whether its URL came from the file or the environment.
 */
function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const fileStore = typeof raw.store === 'object' && raw.store !== null ? (raw.store as Record<string, unknown>) : {};
  const url = env.CLICKHOUSE_URL || fileStore.url;
  if (url === undefined) return raw;
  const store: Record<string, unknown> = env.CLICKHOUSE_URL ? { ...omit(fileStore, 'path'), url: env.CLICKHOUSE_URL } : { ...fileStore };
  if (env.CLICKHOUSE_USER) store.user = env.CLICKHOUSE_USER;
  if (env.CLICKHOUSE_PASSWORD) store.password = env.CLICKHOUSE_PASSWORD;
  if (env.CLICKHOUSE_DATABASE) store.database = env.CLICKHOUSE_DATABASE;
  if (env.CLICKHOUSE_CLUSTER) store.cluster = env.CLICKHOUSE_CLUSTER;
  return { ...raw, store };
}

function omit(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _, ...rest } = o;
  return rest;
}

/** `gpu_types.H100.hourly_usd: expected number, got "abc"` */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String).join('.') || '(top level)';
  const actual = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return actual.found
        ? `${path}: expected ${issue.expected}, got ${describe(actual.value)}`
        : `${path}: required (expected ${issue.expected})`;
    case 'unrecognized_keys':
      return issue.keys.map((k) => `${path === '(top level)' ? k : `${path}.${k}`}: unknown key`).join('; ');
    case 'invalid_union':
      return `${path}: ${describe(actual.value)} matches none of the allowed shapes`;
    default:
      return `${path}: ${issue.message}${actual.found ? `, got ${describe(actual.value)}` : ''}`;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let cur: unknown = input;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !(key in cur)) return { found: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: cur };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
