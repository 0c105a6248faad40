/**
 * Materialized views that fill the typed facts (fact-tables.ts) from the raw otel_*
 * tables as rows arrive. Two of them depend on configuration (which span attributes
 * hold the tenant and the TTFT), so they are rendered from config and re-created when
 * it changes (`syncViews`); a change applies to data arriving after it.
 */
import type { Store } from '../store/open-store.js';
import { qualified, renderTable, storageTable, type DdlTarget, type TableDef } from './ddl.js';

export interface ViewSettings {
  tenant_attribute: string;
  ttft_attribute: string;
}

export const DEFAULT_VIEW_SETTINGS: ViewSettings = {
  tenant_attribute: 'tenant.id',
  ttft_attribute: 'gen_ai.server.time_to_first_token',
};

/** A ClickHouse string literal. Config values end up in view DDL, so they are escaped, never pasted. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export const VIEWS_TABLE: TableDef = {
  name: 'tf_views',
  columns: `
    name String,
    ddl String,
    updated_at DateTime64(3, 'UTC')`,
  engine: 'ReplacingMergeTree',
  engineArgs: ['updated_at'],
  orderBy: 'name',
};

interface ViewDef {
  name: string;
  /** fact table written to */
  to: string;
  /** raw table read from */
  from: string;
  /** SELECT … FROM {from} — `{from}` is replaced by the source table */
  select: string;
}

const attr = (k: string) => `SpanAttributes[${sqlString(k)}]`;
const firstSet = (...keys: string[]) => `coalesce(${keys.map((k) => `nullIf(${attr(k)}, '')`).join(', ')}, '')`;
/** A Duration that did not wrap: below 2^63 ns (a view may output only the target's columns, so no alias). */
const DURATION_VALID = 'Duration < 9223372036854775808';
const HAS_TOKENS = ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.prompt_tokens', 'gen_ai.usage.completion_tokens']
  .map((k) => `mapContains(SpanAttributes, ${sqlString(k)})`)
  .join(' OR ');

function viewDefs(s: ViewSettings): ViewDef[] {
  const tenant = `SpanAttributes[${sqlString(s.tenant_attribute)}]`;
  const gpuSelect = `
    SELECT
      TimeUnix AS ts,
      Attributes['UUID'] AS uuid,
      toUInt16OrZero(Attributes['gpu']) AS gpu_index,
      coalesce(nullIf(Attributes['Hostname'], ''), nullIf(Attributes['hostname'], ''), nullIf(ResourceAttributes['host.name'], ''),
               nullIf(ResourceAttributes['server.address'], ''), ServiceName) AS node,
      Attributes['modelName'] AS model_name,
      if(regexpExtract(model_name, '^(?:NVIDIA )?([A-Za-z]+[0-9]+[A-Za-z]*)', 1) AS short = '', model_name, short) AS gpu_type,
      Attributes['pod'] AS pod,
      Attributes['namespace'] AS namespace,
      MetricName AS metric,
      Value AS value
    FROM {from}
    -- Flags bit 1: a staleness marker (no value), as otelcol's prometheus receiver writes them
    WHERE startsWith(MetricName, 'DCGM_FI_') AND Attributes['UUID'] != '' AND bitAnd(Flags, 1) = 0`;
  const serverColumns = `
      TimeUnix AS ts,
      ServiceName AS service,
      ResourceAttributes['service.instance.id'] AS instance,
      multiIf(startsWith(MetricName, 'vllm:'), 'vllm', startsWith(MetricName, 'sglang:'), 'sglang',
              startsWith(MetricName, 'nv_'), 'triton', startsWith(MetricName, 'tgi_'), 'tgi', '') AS server_kind,
      coalesce(nullIf(Attributes['model_name'], ''), nullIf(Attributes['model'], ''), '') AS model,
      replaceRegexpOne(MetricName, '^(vllm:|sglang:|nv_|tgi_)', '') AS metric,
      mapFilter((k, v) -> k NOT IN ('model_name', 'model'), Attributes) AS attributes`;
  const isServerMetric = `match(MetricName, '^(vllm:|sglang:|nv_|tgi_)') AND bitAnd(Flags, 1) = 0`;
  return [
    {
      name: 'llm_requests_mv',
      to: 'llm_requests',
      from: 'otel_traces',
      select: `
    SELECT
      Timestamp AS ts,
      toStartOfHour(Timestamp) AS hour,
      -- Duration is end − start modulo 2^64 (the clickhouseexporter's uint64 arithmetic): a span
      -- ending before it starts, or with end time 0 (unfinished), wraps past 2^63 ns (292 years).
      -- Such a request keeps its tokens and cost, but its end is unknown: end_ts = its start and
      -- e2e_ms (hence tpot_ms) NULL, so it cannot poison latency quantiles (KPIS.md "Latency").
      if(${DURATION_VALID}, Timestamp + toIntervalNanosecond(Duration), Timestamp) AS end_ts,
      TraceId AS trace_id,
      SpanId AS span_id,
      ParentSpanId AS parent_span_id,
      ServiceName AS service,
      SpanName AS span_name,
      ${tenant} AS tenant,
      ${firstSet('gen_ai.response.model', 'gen_ai.request.model')} AS model,
      ${attr('gen_ai.request.model')} AS request_model,
      coalesce(nullIf(${attr('http.route')}, ''), nullIf(${attr('gen_ai.operation.name')}, ''), SpanName) AS endpoint,
      ${attr('server.address')} AS server_address,
      toUInt64OrZero(${firstSet('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens')}) AS input_tokens,
      toUInt64OrZero(${firstSet('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens')}) AS output_tokens,
      if(${DURATION_VALID}, Duration / 1e6, NULL) AS e2e_ms,
      toFloat64OrNull(nullIf(SpanAttributes[${sqlString(s.ttft_attribute)}], '')) * 1000 AS ttft_ms,
      StatusCode = 'Error' OR ${attr('error.type')} != '' AS is_error,
      ${attr('error.type')} AS error_type,
      ${attr('workflow.id')} AS workflow_id
    FROM {from}
    WHERE ${HAS_TOKENS}`,
    },
    {
      name: 'trace_roots_mv',
      to: 'trace_roots',
      from: 'otel_traces',
      select: `
    SELECT
      Timestamp AS ts,
      -- an unfinished root (Duration wrapped: see llm_requests_mv) ends, for ordering, where it starts
      if(${DURATION_VALID}, Timestamp + toIntervalNanosecond(Duration), Timestamp) AS end_ts,
      TraceId AS trace_id,
      SpanId AS span_id,
      ${attr('workflow.id')} AS workflow_id,
      coalesce(nullIf(${attr('workflow.name')}, ''), SpanName) AS workflow_name,
      ${attr('workflow.outcome')} AS outcome,
      StatusCode = 'Error' AS is_error,
      ${tenant} AS tenant
    FROM {from}
    WHERE ParentSpanId = ''`,
    },
    { name: 'gpu_samples_gauge_mv', to: 'gpu_samples', from: 'otel_metrics_gauge', select: gpuSelect },
    { name: 'gpu_samples_sum_mv', to: 'gpu_samples', from: 'otel_metrics_sum', select: gpuSelect },
    {
      name: 'server_samples_gauge_mv',
      to: 'server_samples',
      from: 'otel_metrics_gauge',
      select: `SELECT ${serverColumns}, Value AS value FROM {from} WHERE ${isServerMetric}`,
    },
    {
      name: 'server_samples_sum_mv',
      to: 'server_samples',
      from: 'otel_metrics_sum',
      select: `SELECT ${serverColumns}, Value AS value FROM {from} WHERE ${isServerMetric}`,
    },
    {
      name: 'server_histograms_mv',
      to: 'server_histograms',
      from: 'otel_metrics_histogram',
      select: `SELECT ${serverColumns}, ExplicitBounds AS bounds, BucketCounts AS bucket_counts, Count AS count, Sum AS sum FROM {from} WHERE ${isServerMetric}`,
    },
  ];
}

/** The CREATE statement of every view, for this target and settings. */
export function renderViews(t: DdlTarget, s: ViewSettings): { name: string; ddl: string }[] {
  const cluster = t.cluster ? ` ON CLUSTER \`${t.cluster}\`` : '';
  return viewDefs(s).map((v) => ({
    name: v.name,
    ddl:
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(t, v.name)}${cluster} TO ${qualified(t, storageTable(v.to, t))} AS\n` +
      v.select.replace('{from}', qualified(t, storageTable(v.from, t))),
  }));
}

/** Creates missing views and re-creates those whose definition changed. */
export async function syncViews(store: Store, t: DdlTarget, s: ViewSettings): Promise<string[]> {
  for (const sql of renderTable(VIEWS_TABLE, t)) await store.client.command({ query: sql });
  const rs = await store.client.query({
    query: `SELECT name, argMax(ddl, updated_at) AS ddl FROM ${qualified(t, VIEWS_TABLE.name)} GROUP BY name`,
    format: 'JSONEachRow',
  });
  const known = new Map((await rs.json<{ name: string; ddl: string }>()).map((r) => [r.name, r.ddl]));
  const changed: string[] = [];
  const cluster = t.cluster ? ` ON CLUSTER \`${t.cluster}\`` : '';
  for (const v of renderViews(t, s)) {
    if (known.get(v.name) === v.ddl) continue;
    await store.client.command({ query: `DROP VIEW IF EXISTS ${qualified(t, v.name)}${cluster}` });
    await store.client.command({ query: v.ddl });
    await store.client.insert({
      table: qualified(t, VIEWS_TABLE.name),
      values: [{ name: v.name, ddl: v.ddl, updated_at: new Date().toISOString().replace('T', ' ').replace('Z', '') }],
      format: 'JSONEachRow',
    });
    changed.push(v.name);
  }
  return changed;
}
