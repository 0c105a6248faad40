/**
 * deploy/otelcol/config.yaml writes into token-factory's raw tables: its clickhouse
 * exporter names exactly the tables of core/schema/otel-tables.ts and does not create
 * them, and every column the exporter inserts exists in our table under the same name.
 * The exporter's column lists are those of its insert templates
 * (opentelemetry-collector-contrib `exporter/clickhouseexporter/internal/sql_templates/
 * *_insert.sql`), copied here: when the exporter adds a column, this list and the schema
 * change together.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { migrate } from '../../core/schema/migrate.js';
import { OTEL_TABLES } from '../../core/schema/otel-tables.js';
import { openStore, type Store } from '../../core/store/open-store.js';

const CONFIG = fileURLToPath(new URL('../../deploy/otelcol/config.yaml', import.meta.url));

const METRIC_BASE = [
  'ResourceAttributes', 'ResourceSchemaUrl', 'ScopeName', 'ScopeVersion', 'ScopeAttributes', 'ScopeDroppedAttrCount', 'ScopeSchemaUrl',
  'ServiceName', 'MetricName', 'MetricDescription', 'MetricUnit', 'Attributes', 'StartTimeUnix', 'TimeUnix',
];
const EXEMPLARS = ['Exemplars.FilteredAttributes', 'Exemplars.TimeUnix', 'Exemplars.Value', 'Exemplars.SpanId', 'Exemplars.TraceId'];

/** Columns of each table as the exporter's INSERT names them. */
const EXPORTER_COLUMNS: Record<string, string[]> = {
  otel_traces: [
    'Timestamp', 'TraceId', 'SpanId', 'ParentSpanId', 'TraceState', 'SpanName', 'SpanKind', 'ServiceName', 'ResourceAttributes', 'ScopeName', 'ScopeVersion',
    'SpanAttributes', 'Duration', 'StatusCode', 'StatusMessage', 'Events.Timestamp', 'Events.Name', 'Events.Attributes',
    'Links.TraceId', 'Links.SpanId', 'Links.TraceState', 'Links.Attributes',
  ],
  otel_metrics_gauge: [...METRIC_BASE, 'Value', 'Flags', ...EXEMPLARS],
  otel_metrics_sum: [...METRIC_BASE, 'Value', 'Flags', ...EXEMPLARS, 'AggregationTemporality', 'IsMonotonic'],
  otel_metrics_histogram: [...METRIC_BASE, 'Count', 'Sum', 'BucketCounts', 'ExplicitBounds', ...EXEMPLARS, 'Flags', 'Min', 'Max', 'AggregationTemporality'],
  otel_metrics_exponential_histogram: [
    ...METRIC_BASE, 'Count', 'Sum', 'Scale', 'ZeroCount', 'PositiveOffset', 'PositiveBucketCounts', 'NegativeOffset', 'NegativeBucketCounts',
    ...EXEMPLARS, 'Flags', 'Min', 'Max', 'AggregationTemporality',
  ],
  otel_metrics_summary: [...METRIC_BASE, 'Count', 'Sum', 'ValueAtQuantiles.Quantile', 'ValueAtQuantiles.Value', 'Flags'],
};

interface ExporterConfig {
  create_schema: boolean;
  traces_table_name: string;
  metrics_tables: Record<'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary', { name: string }>;
}

const config = parse(readFileSync(CONFIG, 'utf8')) as {
  receivers: Record<string, unknown> & { prometheus: { config: { scrape_configs: { job_name: string }[] } } };
  exporters: { clickhouse: ExporterConfig };
  service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
};
const exporter = config.exporters.clickhouse;

let store: Store;
beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
});

describe('deploy/otelcol/config.yaml', () => {
  it('exports into token-factory tables, which it does not create', () => {
    expect(exporter.create_schema).toBe(false);
    const named = [
      exporter.traces_table_name,
      exporter.metrics_tables.gauge.name,
      exporter.metrics_tables.sum.name,
      exporter.metrics_tables.histogram.name,
      exporter.metrics_tables.exponential_histogram.name,
      exporter.metrics_tables.summary.name,
    ];
    expect(named).toEqual(OTEL_TABLES.map((t) => t.name));
    expect(Object.keys(EXPORTER_COLUMNS)).toEqual(OTEL_TABLES.map((t) => t.name));
  });

  it('runs the OTLP and Prometheus receivers through a batch processor into the exporter', () => {
    expect(Object.keys(config.receivers).sort()).toEqual(['otlp', 'prometheus']);
    expect(config.receivers.prometheus.config.scrape_configs.map((s) => s.job_name)).toEqual(expect.arrayContaining(['dcgm-exporter', 'vllm']));
    expect(config.service.pipelines['traces']).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['clickhouse'] });
    expect(config.service.pipelines['metrics']).toEqual({ receivers: ['otlp', 'prometheus'], processors: ['memory_limiter', 'batch'], exporters: ['clickhouse'] });
  });

  it.each(Object.entries(EXPORTER_COLUMNS))('every column the exporter inserts into %s is a column of our table', async (table, columns) => {
    const rs = await store.client.query({
      query: 'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {table:String} ORDER BY position',
      query_params: { table },
      format: 'JSONEachRow',
    });
    const ours = (await rs.json<{ name: string }>()).map((r) => r.name);
    // and nothing more: a column the exporter does not fill would be empty in a site's data
    expect([...ours].sort()).toEqual([...columns].sort());
  });
});
