/**
 * Applies pending migrations; safe to run on every start and from several processes
 * (every statement is idempotent, the record is a ReplacingMergeTree keyed by version).
 */
import type { Store } from '../store/open-store.js';
import { renderTable, qualified, type DdlTarget } from './ddl.js';
import { MIGRATIONS, MIGRATIONS_TABLE, type Migration } from './migrations.js';
import { DEFAULT_VIEW_SETTINGS, syncViews, type ViewSettings } from './views.js';

export interface MigrateResult {
  applied: Pick<Migration, 'version' | 'name'>[];
  current: number;
  /** views created or re-created (their definition changed with the config) */
  views: string[];
}

export interface MigrateOptions {
  migrations?: readonly Migration[];
  /** config values the views are rendered with (attribution.tenant_attribute, ttft_attribute) */
  views?: ViewSettings;
}

export function ddlTarget(store: Pick<Store, 'database' | 'cluster'>): DdlTarget {
  return { database: store.database, cluster: store.cluster };
}

export async function migrate(store: Store, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = opts.migrations ?? MIGRATIONS;
  const t = ddlTarget(store);
  if (t.database !== 'default') {
    await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${t.database}\`${t.cluster ? ` ON CLUSTER \`${t.cluster}\`` : ''}` });
  }
  for (const sql of renderTable(MIGRATIONS_TABLE, t)) await store.client.command({ query: sql });
  const rs = await store.client.query({
    query: `SELECT max(version) AS v FROM ${qualified(t, MIGRATIONS_TABLE.name)}`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ v: number }>();
  let current = Number(row?.v ?? 0);
  const applied: MigrateResult['applied'] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    for (const sql of m.statements(t)) await store.client.command({ query: sql });
    await store.client.insert({
      table: qualified(t, MIGRATIONS_TABLE.name),
      values: [{ version: m.version, name: m.name, applied_at: new Date().toISOString().replace('T', ' ').replace('Z', '') }],
      format: 'JSONEachRow',
    });
    applied.push({ version: m.version, name: m.name });
    current = m.version;
  }
  const views = await syncViews(store, t, opts.views ?? DEFAULT_VIEW_SETTINGS);
  return { applied, current, views };
}
