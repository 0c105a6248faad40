/**
 * Numbered schema migrations. Each is a list of idempotent statements (IF NOT EXISTS),
 * rendered for the store's database and, when set, its cluster (ddl.ts). Never edit a
 * migration that has shipped: add the next number.
 */
import { renderTable, type DdlTarget, type TableDef } from './ddl.js';
import { OTEL_TABLES } from './otel-tables.js';
import { FACT_TABLES } from './fact-tables.js';
import { renderViews, VIEWS_TABLE, DEFAULT_VIEW_SETTINGS, type ViewSettings } from './views.js';

export interface Migration {
  version: number;
  name: string;
  statements(t: DdlTarget): string[];
}

export const MIGRATIONS_TABLE: TableDef = {
  name: 'tf_schema_migrations',
  columns: `
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC')`,
  engine: 'ReplacingMergeTree',
  orderBy: 'version',
};

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'otel raw tables (clickhouseexporter schema)',
    statements: (t) => OTEL_TABLES.flatMap((def) => renderTable(def, t)),
  },
  {
    version: 2,
    name: 'typed facts: llm_requests, trace_roots, gpu_samples, server_samples, server_histograms',
    statements: (t) => FACT_TABLES.flatMap((def) => renderTable(def, t)),
  },
];

/** Every statement of every migration and the views, in order: what `migrate --print` shows. */
export function allStatements(t: DdlTarget, views: ViewSettings = DEFAULT_VIEW_SETTINGS): string[] {
  return [
    ...renderTable(MIGRATIONS_TABLE, t),
    ...MIGRATIONS.flatMap((m) => m.statements(t)),
    ...renderTable(VIEWS_TABLE, t),
    ...renderViews(t, views).map((v) => v.ddl),
  ];
}
