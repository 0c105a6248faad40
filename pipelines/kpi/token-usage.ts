/**
 * Token usage straight from the raw spans (otel_traces): requests, input/output
 * tokens and errors per tenant, model, endpoint, service, hour or day — KPIS.md's
 * "Tokens" definitions. A request is a span carrying gen_ai.usage.* token counts;
 * identity (trace id, span id) counts once even where the raw table holds a span
 * twice (otelcol-contrib's exporter does not deduplicate).
 */
import type { Store } from '../../core/store/open-store.js';
import type { Config } from '../../core/config/schema.js';
import { BadRequestError } from '../../core/errors.js';
import { qualified } from '../../core/schema/ddl.js';
import { ddlTarget } from '../../core/schema/migrate.js';

/** Dimension name → SQL over the inner query's columns. Fixed map: never SQL from input. */
const DIMENSIONS = {
  tenant: 'tenant',
  model: 'model',
  endpoint: 'endpoint',
  service: 'service',
  hour: "formatDateTime(toStartOfHour(ts), '%Y-%m-%dT%H:00:00Z')",
  day: "formatDateTime(toStartOfDay(ts), '%Y-%m-%d')",
} as const;
export type UsageDimension = keyof typeof DIMENSIONS;
export const USAGE_DIMENSIONS = Object.keys(DIMENSIONS) as UsageDimension[];

export interface UsageQuery {
  by: UsageDimension[];
  /** [from, to) as Date; undefined → the data's own range */
  from?: Date;
  to?: Date;
  /** only this tenant's requests (tenant-scoped API keys) */
  tenant?: string;
}

export interface UsageRow {
  [dim: string]: string | number;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  tokens: number;
  errors: number;
}

export interface UsageResult {
  window: { from: string; to: string };
  rows: UsageRow[];
}

const attr = (key: string) => `SpanAttributes['${key}']`;
const firstSet = (...keys: string[]) => `coalesce(${keys.map((k) => `nullIf(${attr(k)}, '')`).join(', ')}, '')`;

/** The request facts every usage query reads (KPIS.md "Request"). */
function requestsSql(table: string): string {
  return `
    SELECT
      Timestamp AS ts,
      SpanAttributes[{tenant_attribute:String}] AS tenant,
      ${firstSet('gen_ai.response.model', 'gen_ai.request.model')} AS model,
      coalesce(nullIf(${attr('http.route')}, ''), nullIf(${attr('gen_ai.operation.name')}, ''), SpanName) AS endpoint,
      ServiceName AS service,
      toUInt64OrZero(${firstSet('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens')}) AS input,
      toUInt64OrZero(${firstSet('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens')}) AS output,
      StatusCode = 'Error' OR ${attr('error.type')} != '' AS is_error
    FROM ${table}
    WHERE Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)}
      AND (mapContains(SpanAttributes, 'gen_ai.usage.input_tokens') OR mapContains(SpanAttributes, 'gen_ai.usage.output_tokens')
        OR mapContains(SpanAttributes, 'gen_ai.usage.prompt_tokens') OR mapContains(SpanAttributes, 'gen_ai.usage.completion_tokens'))
    LIMIT 1 BY TraceId, SpanId`;
}

export async function tokenUsage(store: Store, config: Config, q: UsageQuery): Promise<UsageResult> {
  for (const d of q.by) if (!(d in DIMENSIONS)) throw new BadRequestError(`unknown dimension "${d}": expected one of ${USAGE_DIMENSIONS.join(', ')}`);
  const table = qualified(ddlTarget(store), 'otel_traces');
  const window = await resolveWindow(store, table, q);
  const dims = q.by.map((d) => `${DIMENSIONS[d]} AS ${d}`);
  const sql = `
    SELECT ${[...dims, 'count() AS requests', 'sum(input) AS input_tokens', 'sum(output) AS output_tokens', 'input_tokens + output_tokens AS tokens', 'countIf(is_error) AS errors'].join(',\n      ')}
    FROM (${requestsSql(table)})
    ${q.tenant !== undefined ? 'WHERE tenant = {tenant:String}' : ''}
    ${q.by.length ? `GROUP BY ${q.by.join(', ')} ORDER BY ${q.by.join(', ')}` : ''}`;
  const rs = await store.client.query({
    query: sql,
    query_params: { tenant_attribute: config.attribution.tenant_attribute, from: window.fromNs, to: window.toNs, tenant: q.tenant ?? '' },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, log_comment: 'kpi:token_usage' },
  });
  return { window: { from: window.from, to: window.to }, rows: await rs.json<UsageRow>() };
}

interface ResolvedWindow {
  from: string;
  to: string;
  fromNs: string;
  toNs: string;
}

/** Without --from/--to the window is the data's own: [first span's hour, last span's hour + 1h). */
async function resolveWindow(store: Store, table: string, q: UsageQuery): Promise<ResolvedWindow> {
  let from = q.from;
  let to = q.to;
  if (!from || !to) {
    const rs = await store.client.query({
      query: `SELECT toUnixTimestamp(toStartOfHour(min(Timestamp))) AS lo, toUnixTimestamp(toStartOfHour(max(Timestamp))) + 3600 AS hi, count() AS n FROM ${table}`,
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<{ lo: number; hi: number; n: number }>();
    const empty = !r || Number(r.n) === 0;
    from ??= new Date(empty ? 0 : Number(r.lo) * 1000);
    to ??= new Date(empty ? 0 : Number(r.hi) * 1000);
  }
  if (!(from < to) && !(from.getTime() === 0 && to.getTime() === 0)) throw new BadRequestError(`empty window: --from ${from.toISOString()} is not before --to ${to.toISOString()}`);
  return { from: from.toISOString(), to: to.toISOString(), fromNs: toNsParam(from), toNs: toNsParam(to) };
}

/** DateTime64(9) query parameter as ClickHouse reads it: 'YYYY-MM-DD hh:mm:ss.fff'. */
function toNsParam(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
