/**
 * Numbered schema migrations. Each is a list of idempotent statements (IF NOT EXISTS),
 * rendered for the store's database and, when set, its cluster (ddl.ts). Never edit a
 * migration that has shipped: add the next number.
 */
import { ident, qualified, renderTable, storageTable, type DdlTarget, type TableDef } from './ddl.js';
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
  {
    version: 3,
    name: 'rollups: dirty-hour marks, rollup_hours, rollup_requests_hourly, rollup_deployments_hourly, rollup_requests_daily, rollup_days',
    statements: (t) => rollupStatements(t),
  },
  {
    version: 4,
    name: 'llm_requests.e2e_ms Nullable: NULL for spans that end at 0 or before they start',
    statements: (t) => nullableE2eStatements(t),
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

// ---------------------------------------------------------------------------------
// Migration 3: hourly rollups (pipelines/rollups/ computes and reads them).
//
// Attribution depends on whole deployment-hours and on config, so a rollup row is not
// folded in incrementally by a view: views only *mark* the hours that new facts touch
// (`rollup_dirty_hours`), and `settleRollups` recomputes those hours from the facts with
// the attribution SQL and writes them under a new version. `rollup_hours` records, per
// hour, the version that is current, up to which mark it is complete and the config
// fingerprint it was computed with; readers take only that version's rows.
// ---------------------------------------------------------------------------------

/** One row per (source, hour) after merges: the last time new facts touched the hour. */
export const ROLLUP_DIRTY_HOURS: TableDef = {
  name: 'rollup_dirty_hours',
  columns: `
    hour DateTime,
    source LowCardinality(String),
    marked_at DateTime64(3, 'UTC')`,
  engine: 'ReplacingMergeTree',
  engineArgs: ['marked_at'],
  orderBy: '(source, hour)',
};

/** Per hour and settle run: the version written, the marks it covers, the config it used. */
export const ROLLUP_HOURS: TableDef = {
  name: 'rollup_hours',
  columns: `
    hour DateTime,
    version UInt64,
    covers_marks_until DateTime64(3, 'UTC'),
    fingerprint String,
    settled_at DateTime64(3, 'UTC')`,
  engine: 'ReplacingMergeTree',
  engineArgs: ['version'],
  orderBy: 'hour',
};

/**
 * Requests per hour and request dimensions, with attributed cost, revenue and latency
 * histograms: log-scale buckets (bucket key → request count, as parallel arrays that
 * `sumMap` merges) from which any quantile is read at quantileExact's rank.
 */
export const ROLLUP_REQUESTS_HOURLY: TableDef = {
  name: 'rollup_requests_hourly',
  columns: `
    hour DateTime,
    version UInt64,
    tenant LowCardinality(String),
    model LowCardinality(String),
    endpoint LowCardinality(String),
    deployment LowCardinality(String),
    gpu_type LowCardinality(String),
    service LowCardinality(String),
    requests UInt64,
    input_tokens UInt64,
    output_tokens UInt64,
    errors UInt64,
    error_input_tokens UInt64,
    error_output_tokens UInt64,
    cost_micro Int64,
    cost_input_micro Float64,
    cost_output_micro Float64,
    gpu_hours Float64,
    energy_kwh Float64,
    revenue_micro Int64,
    billed_requests UInt64,
    unpriced_requests UInt64,
    unpriced_tokens UInt64,
    ttft_count UInt64,
    tpot_count UInt64,
    e2e_ms_keys Array(Int32) CODEC(ZSTD(1)),
    e2e_ms_counts Array(UInt64) CODEC(ZSTD(1)),
    ttft_ms_keys Array(Int32) CODEC(ZSTD(1)),
    ttft_ms_counts Array(UInt64) CODEC(ZSTD(1)),
    tpot_ms_keys Array(Int32) CODEC(ZSTD(1)),
    tpot_ms_counts Array(UInt64) CODEC(ZSTD(1))`,
  engine: 'ReplacingMergeTree',
  engineArgs: ['version'],
  partitionBy: 'toYYYYMM(hour)',
  orderBy: '(hour, tenant, model, endpoint, deployment, gpu_type, service)',
};

/** GPU time and cost per deployment-hour, and the part of it no request carries (idle, unassigned). */
export const ROLLUP_DEPLOYMENTS_HOURLY: TableDef = {
  name: 'rollup_deployments_hourly',
  columns: `
    hour DateTime,
    version UInt64,
    deployment LowCardinality(String),
    gpu_type LowCardinality(String),
    gpus UInt64,
    gpu_hours Float64,
    energy_kwh Float64,
    busy_s Float64,
    activity_s Float64,
    cost_micro Int64,
    served UInt8,
    idle_cost_micro Int64,
    unassigned_cost_micro Int64`,
  engine: 'ReplacingMergeTree',
  engineArgs: ['version'],
  partitionBy: 'toYYYYMM(hour)',
  orderBy: '(hour, deployment)',
};

/**
 * The request rollup merged per day (same columns; `hour` holds the start of the day, so
 * the same SQL reads both), for long windows: a month is 30 rows per key, not 720.
 */
export const ROLLUP_REQUESTS_DAILY: TableDef = { ...ROLLUP_REQUESTS_HOURLY, name: 'rollup_requests_daily' };

/** Per day and settle run: the version written and the newest hour version it was built from. */
export const ROLLUP_DAYS: TableDef = {
  name: 'rollup_days',
  columns: `
    day DateTime,
    version UInt64,
    hours_version UInt64,
    settled_at DateTime64(3, 'UTC')`,
  engine: 'ReplacingMergeTree',
  engineArgs: ['version'],
  orderBy: 'day',
};

export const ROLLUP_TABLES: readonly TableDef[] = [ROLLUP_DIRTY_HOURS, ROLLUP_HOURS, ROLLUP_REQUESTS_HOURLY, ROLLUP_DEPLOYMENTS_HOURLY, ROLLUP_REQUESTS_DAILY, ROLLUP_DAYS];

/**
 * A GPU sample changes the coverage of its neighbours too. Besides the `gpu` mark of its
 * hour, a sample within this many seconds of the hour's start or end also marks
 * `gpu_start` / `gpu_end`; the reader of the marks (pipelines/rollups) turns those into
 * the previous / next hour when max_sample_gap_s is at most this, and otherwise widens
 * every `gpu` mark by the gap.
 */
export const ROLLUP_GPU_EDGE_S = 600;

/** The marking views. */
function rollupStatements(t: DdlTarget): string[] {
  const cluster = t.cluster ? ` ON CLUSTER ${ident(t.cluster)}` : '';
  const marks = qualified(t, storageTable(ROLLUP_DIRTY_HOURS.name, t));
  const view = (name: string, select: string) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(t, name)}${cluster} TO ${marks} AS\n${select}`;
  return [
    ...ROLLUP_TABLES.flatMap((def) => renderTable(def, t)),
    view('rollup_dirty_requests_mv', `SELECT hour, 'requests' AS source, now64(3) AS marked_at FROM ${qualified(t, storageTable('llm_requests', t))} GROUP BY hour`),
    view(
      'rollup_dirty_gpu_mv',
      `SELECT hour, source, now64(3) AS marked_at FROM (
  SELECT toStartOfHour(ts) AS hour, min(ts) AS first_ts, max(ts) AS last_ts FROM ${qualified(t, storageTable('gpu_samples', t))} GROUP BY hour)
ARRAY JOIN arrayConcat(['gpu'], if(first_ts < hour + ${ROLLUP_GPU_EDGE_S}, ['gpu_start'], []), if(last_ts >= hour + ${3600 - ROLLUP_GPU_EDGE_S}, ['gpu_end'], [])) AS source`,
    ),
  ];
}

// ---------------------------------------------------------------------------------
// Migration 4: a span whose end is 0 or before its start has a Duration wrapped past
// 2^63 ns (the exporter's uint64 arithmetic); its llm_requests row now has e2e_ms NULL
// (views.ts). Existing installs: the column becomes Nullable, the rows the old view wrote
// from such spans (e2e_ms ≥ 2^63 / 1e6 ms) get NULL (and end_ts = ts). Each statement is
// idempotent. A mutation marks no rollup hour dirty: the rollups of those hours are
// recomputed because the same release changed the attribution/revenue SQL text and with
// it the rollup fingerprint (pipelines/rollups/fingerprint.ts).
// ---------------------------------------------------------------------------------

/** 2^63 ns in ms: no real span lasts this long (292 years); a Duration past it is a wrapped negative. */
const WRAPPED_E2E_MS = '9223372036854.775808';

function nullableE2eStatements(t: DdlTarget): string[] {
  const cluster = t.cluster ? ` ON CLUSTER ${ident(t.cluster)}` : '';
  const storage = qualified(t, storageTable('llm_requests', t));
  const modify = 'MODIFY COLUMN e2e_ms Nullable(Float64)';
  return [
    `ALTER TABLE ${storage}${cluster} ${modify}`,
    ...(t.cluster ? [`ALTER TABLE ${qualified(t, 'llm_requests')}${cluster} ${modify}`] : []),
    `ALTER TABLE ${storage}${cluster} UPDATE e2e_ms = NULL, end_ts = ts WHERE e2e_ms >= ${WRAPPED_E2E_MS} SETTINGS mutations_sync = 2`,
  ];
}
