/**
 * Service level objectives (config `slos`), their indicators over a window, error
 * budgets and multiwindow burn rates, and goodput (KPIS.md "Latency and reliability",
 * "Governance"), computed in ClickHouse from `llm_requests`.
 *
 * An `slos` entry (model, optional endpoint) covers the requests of that model (and
 * endpoint: llm_requests.endpoint, the gateway route or operation) and sets up to four
 * targets; each target set is one SLO, named `<model>[/<endpoint>]:<kind>` with kind the
 * config field (`meta/llama-3.1-70b-instruct:ttft_p95_ms`,
 * `meta/llama-3.1-70b-instruct/chat:error_rate`). Per SLO, events are the requests it
 * can judge and bad events those that miss:
 *
 * | kind          | events                  | bad event               | allowed bad ratio | sli (exact, over events)    |
 * |---------------|-------------------------|-------------------------|-------------------|-----------------------------|
 * | `ttft_p95_ms` | requests with a TTFT    | ttft_ms > target        | 0.05              | ttft_ms p95                 |
 * | `tpot_ms`     | requests with a TPOT    | tpot_ms > target        | 0.05              | tpot_ms p95                 |
 * | `e2e_p99_ms`  | all requests            | e2e_ms > target         | 0.01              | e2e_ms p99                  |
 * | `error_rate`  | all requests            | errored                 | target            | error_rate                  |
 *
 * A percentile target is read as "at most 1 − p of the requests may exceed it", so the
 * latency SLOs get an error budget like the error-rate one (`tpot_ms` names no
 * percentile: it is held at p95 like TTFT). Latency SLIs count every request, errored
 * ones too, so they equal the quantiles of the unit-economics report.
 * - `bad_ratio` = bad_events / events; `slo_met` = sli ≤ target.
 * - `error_budget_remaining` = 1 − bad_ratio / allowed_bad_ratio over the window (1: all
 *   left, 0: spent, negative: overspent); null without events or with a zero allowance.
 * - `slo_burn_rate_5m|30m|1h|6h` = bad_ratio / allowed_bad_ratio over the 5 min, 30 min,
 *   1 h, 6 h ending at the window's `to` (whatever its `from`), for multiwindow
 *   multi-burn-rate alerts (1 = spending the budget exactly over the SLO period); null
 *   when that window has no events.
 * - `slo_attainment` (per entry, repeated on each of its SLOs) = requests that met the
 *   entry's TTFT and TPOT targets without error / requests. A target the request cannot
 *   be judged on counts as missed (no TTFT recorded), except TPOT for requests with at
 *   most one output token (no inter-token time exists): met.
 * - `goodput_tokens_per_gpu_hour` = tokens of those requests / GPU-hours attributed to
 *   all the entry's requests (REQUEST_COST_CTES).
 *
 * `goodput()` groups by request dimensions instead: each request is judged against its
 * most specific entry (model + endpoint, else model only; first in config order);
 * requests no entry covers are left out.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { inventoryParams } from './inventory.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES, TO } from './sql/gpu-hours.js';
import { REQUEST_COST_CTES } from './sql/request-cost.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import { checkDimensions, REQUEST_DIMENSION_NAMES, REQUEST_DIMENSIONS, type KpiResult, type RequestDimension } from './unit-economics.js';
import { resolveWindow, windowParams, type WindowQuery } from './window.js';

export const SLO_KINDS = ['ttft_p95_ms', 'tpot_ms', 'e2e_p99_ms', 'error_rate'] as const;
export type SloKind = (typeof SLO_KINDS)[number];

/** Burn-rate windows ending at `to`: name → seconds. */
export const BURN_WINDOWS = { '5m': 300, '30m': 1800, '1h': 3600, '6h': 21600 } as const;
export type BurnWindow = keyof typeof BURN_WINDOWS;

export interface SloDef {
  slo: string;
  /** 1-based index of the config entry */
  entry: number;
  model: string;
  endpoint: string | undefined;
  kind: SloKind;
  target: number;
  allowed_bad_ratio: number;
}

const ALLOWED: Record<Exclude<SloKind, 'error_rate'>, number> = { ttft_p95_ms: 0.05, tpot_ms: 0.05, e2e_p99_ms: 0.01 };

export function sloName(model: string, endpoint: string | undefined, kind: SloKind): string {
  return `${model}${endpoint !== undefined ? `/${endpoint}` : ''}:${kind}`;
}

/** The SLOs of the config, in config order, kinds in SLO_KINDS order. */
export function sloDefs(config: Config): SloDef[] {
  return config.slos.flatMap((s, i) =>
    SLO_KINDS.flatMap((kind) => {
      const target = s[kind];
      if (target === undefined) return [];
      return [{ slo: sloName(s.model, s.endpoint, kind), entry: i + 1, model: s.model, endpoint: s.endpoint, kind, target, allowed_bad_ratio: kind === 'error_rate' ? target : ALLOWED[kind] }];
    }),
  );
}

/** Entry-level parameters (targets −1 when unset): what goodput and attainment judge by. */
function entryParams(config: Config) {
  return {
    e_models: config.slos.map((s) => s.model),
    e_endpoints: config.slos.map((s) => s.endpoint ?? ''),
    e_ttft: config.slos.map((s) => s.ttft_p95_ms ?? -1),
    e_tpot: config.slos.map((s) => s.tpot_ms ?? -1),
  };
}

const E_MODELS = '{e_models:Array(String)}';
const E_ENDPOINTS = '{e_endpoints:Array(String)}';
const E_TTFT = '{e_ttft:Array(Float64)}';
const E_TPOT = '{e_tpot:Array(Float64)}';
const S_NAMES = '{slo_names:Array(String)}';
const S_ENTRIES = '{slo_entries:Array(UInt32)}';
const S_KINDS = '{slo_kinds:Array(String)}';
const S_TARGETS = '{slo_targets:Array(Float64)}';
const S_ALLOWED = '{slo_allowed:Array(Float64)}';
const BURN_FROM = '{burn_from:DateTime64(3)}';

/** Whether entry `e` covers the request (needs model, endpoint in scope). */
const covers = (e: string) => `${E_MODELS}[${e}] = model AND (${E_ENDPOINTS}[${e}] = '' OR ${E_ENDPOINTS}[${e}] = endpoint)`;

/** The request met entry `e`'s TTFT and TPOT targets without error (needs ttft_ms, tpot_ms, output_tokens, is_error). */
const metEntry = (e: string) => `(
      (${E_TTFT}[${e}] < 0 OR (ttft_ms IS NOT NULL AND assumeNotNull(ttft_ms) <= ${E_TTFT}[${e}]))
      AND (${E_TPOT}[${e}] < 0 OR output_tokens <= 1 OR (tpot_ms IS NOT NULL AND assumeNotNull(tpot_ms) <= ${E_TPOT}[${e}]))
      AND NOT is_error)`;

/** Event and bad-event flags of SLO `d` for a request. */
const isEvent = (d: string) => `multiIf(${S_KINDS}[${d}] = 'ttft_p95_ms', ttft_ms IS NOT NULL, ${S_KINDS}[${d}] = 'tpot_ms', tpot_ms IS NOT NULL, 1)`;
const isBad = (d: string) => `multiIf(
      ${S_KINDS}[${d}] = 'ttft_p95_ms', ttft_ms IS NOT NULL AND assumeNotNull(ttft_ms) > ${S_TARGETS}[${d}],
      ${S_KINDS}[${d}] = 'tpot_ms', tpot_ms IS NOT NULL AND assumeNotNull(tpot_ms) > ${S_TARGETS}[${d}],
      ${S_KINDS}[${d}] = 'e2e_p99_ms', e2e_ms > ${S_TARGETS}[${d}],
      is_error = 1)`;
/** The SLOs covering a request, for ARRAY JOIN. */
const coveringSlos = `arrayFilter(d -> ${covers(`${S_ENTRIES}[d]`)}, arrayEnumerate(${S_NAMES}))`;

export interface SloQuery extends WindowQuery {
  /** only this tenant's requests (tenant-scoped API keys) */
  tenant?: string | undefined;
}

export interface SloRow {
  [key: string]: string | number | boolean | null;
}

const ratio = (num: string, den: string) => `if(${den} = 0, NULL, ${num} / ${den})`;
const burnCols = (Object.keys(BURN_WINDOWS) as BurnWindow[]).map(
  (w) => `if(events_${w} = 0 OR allowed_bad_ratio = 0, NULL, bad_events_${w} / events_${w} / allowed_bad_ratio) AS slo_burn_rate_${w}`,
);

/** The SQL of the SLO report: one row per SLO (sloDefs order), for JSON and Arrow. */
export async function buildSlo(store: Store, config: Config, q: SloQuery): Promise<KpiSql> {
  const window = await resolveWindow(store, q);
  const defs = sloDefs(config);
  const tenantFilter = q.tenant !== undefined ? 'AND tenant = {tenant:String}' : '';
  const burnCounts = (Object.entries(BURN_WINDOWS) as [BurnWindow, number][]).flatMap(([w, s]) => [
    `countIf(is_event AND ts >= ${TO} - toIntervalSecond(${s})) AS events_${w}`,
    `countIf(is_bad AND ts >= ${TO} - toIntervalSecond(${s})) AS bad_events_${w}`,
  ]);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES},
    slo_events AS (
      SELECT d AS slo_def, ${S_KINDS}[d] AS kind,
        req_tokens, gpu_hours, ttft_ms, tpot_ms, e2e_ms,
        ${isEvent('d')} AS is_event,
        ${isBad('d')} AS is_bad,
        ${metEntry(`${S_ENTRIES}[d]`)} AS met_slo
      FROM req_cost
      ARRAY JOIN ${coveringSlos} AS d
      WHERE 1 ${tenantFilter}
    ),
    slo_window AS (
      SELECT slo_def,
        count() AS requests,
        countIf(is_event) AS events,
        countIf(is_bad) AS bad_events,
        countIf(met_slo) AS good_requests,
        sumIf(req_tokens, met_slo) AS good_tokens,
        sum(gpu_hours) AS slo_gpu_hours,
        quantileExactIf(0.95)(assumeNotNull(ttft_ms), kind = 'ttft_p95_ms' AND ttft_ms IS NOT NULL) AS ttft_p95,
        quantileExactIf(0.95)(assumeNotNull(tpot_ms), kind = 'tpot_ms' AND tpot_ms IS NOT NULL) AS tpot_p95,
        quantileExactIf(0.99)(e2e_ms, kind = 'e2e_p99_ms') AS e2e_p99
      FROM slo_events
      GROUP BY slo_def
    ),
    burn_reqs AS (
      SELECT ts, tenant, model, endpoint, is_error, ttft_ms, e2e_ms, output_tokens,
        if(output_tokens > 1 AND ttft_ms IS NOT NULL, (e2e_ms - assumeNotNull(ttft_ms)) / (output_tokens - 1), NULL) AS tpot_ms
      FROM llm_requests
      WHERE hour >= toStartOfHour(${BURN_FROM}) AND hour < ${TO} AND ts >= ${BURN_FROM} AND ts < ${TO} ${tenantFilter}
      LIMIT 1 BY trace_id, span_id
    ),
    slo_burn AS (
      SELECT slo_def, ${burnCounts.join(', ')}
      FROM (SELECT d AS slo_def, ts, ${isEvent('d')} AS is_event, ${isBad('d')} AS is_bad FROM burn_reqs ARRAY JOIN ${coveringSlos} AS d)
      GROUP BY slo_def
    )
    SELECT
      ${S_NAMES}[slo_def] AS slo,
      ${E_MODELS}[${S_ENTRIES}[slo_def]] AS model,
      nullIf(${E_ENDPOINTS}[${S_ENTRIES}[slo_def]], '') AS endpoint,
      ${S_KINDS}[slo_def] AS kind,
      ${S_TARGETS}[slo_def] AS target,
      if(events = 0, NULL, multiIf(kind = 'ttft_p95_ms', ttft_p95, kind = 'tpot_ms', tpot_p95, kind = 'e2e_p99_ms', e2e_p99, bad_events / events)) AS sli,
      if(sli IS NULL, NULL, toBool(assumeNotNull(sli) <= target)) AS slo_met,
      requests, events, bad_events,
      ${ratio('bad_events', 'events')} AS bad_ratio,
      ${S_ALLOWED}[slo_def] AS allowed_bad_ratio,
      if(events = 0 OR allowed_bad_ratio = 0, NULL, 1 - bad_events / events / allowed_bad_ratio) AS error_budget_remaining,
      ${ratio('good_requests', 'requests')} AS slo_attainment,
      ${ratio('good_tokens', 'slo_gpu_hours')} AS goodput_tokens_per_gpu_hour,
      ${burnCols.join(',\n      ')}
    FROM (SELECT arrayJoin(arrayEnumerate(${S_NAMES})) AS slo_def) AS defs
    LEFT JOIN slo_window USING (slo_def)
    LEFT JOIN slo_burn USING (slo_def)
    ORDER BY slo_def`;
  return {
    window,
    query,
    query_params: {
      ...inventoryParams(config),
      ...windowParams(window),
      ...entryParams(config),
      burn_from: windowParams({ from: new Date(window.to.getTime() - BURN_WINDOWS['6h'] * 1000), to: window.to }).from,
      slo_names: defs.map((d) => d.slo),
      slo_entries: defs.map((d) => d.entry),
      slo_kinds: defs.map((d) => d.kind),
      slo_targets: defs.map((d) => d.target),
      slo_allowed: defs.map((d) => d.allowed_bad_ratio),
      tenant: q.tenant ?? '',
    },
    clickhouse_settings: { log_comment: 'kpi:slo' },
  };
}

/** SLIs, error budgets, burn rates, attainment and goodput per configured SLO. */
export async function slo(store: Store, config: Config, q: SloQuery): Promise<KpiResult<SloRow>> {
  return runKpiSql<SloRow>(store, await buildSlo(store, config, q));
}

export interface GoodputQuery extends WindowQuery {
  by: RequestDimension[];
  tenant?: string | undefined;
}

/** The SQL of goodput by request dimensions (each request judged by its most specific SLO entry). */
export async function buildGoodput(store: Store, config: Config, q: GoodputQuery): Promise<KpiSql> {
  checkDimensions(q.by, REQUEST_DIMENSION_NAMES);
  const window = await resolveWindow(store, q);
  const dims = q.by.map((d) => `${REQUEST_DIMENSIONS[d]} AS ${d}`);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES},
    judged AS (
      SELECT *,
        arrayFirstIndex(e -> ${E_MODELS}[e] = model AND ${E_ENDPOINTS}[e] = endpoint, arrayEnumerate(${E_MODELS})) AS endpoint_entry,
        arrayFirstIndex(e -> ${E_MODELS}[e] = model AND ${E_ENDPOINTS}[e] = '', arrayEnumerate(${E_MODELS})) AS model_entry,
        if(endpoint_entry > 0, endpoint_entry, model_entry) AS slo_entry,
        ${metEntry('slo_entry')} AS met_slo
      FROM req_cost
      WHERE slo_entry > 0 ${q.tenant !== undefined ? 'AND tenant = {tenant:String}' : ''}
    )
    SELECT ${[
      ...dims,
      'count() AS requests',
      'sum(req_tokens) AS tokens',
      'countIf(met_slo) AS good_requests',
      'sumIf(req_tokens, met_slo) AS good_tokens',
      'sum(gpu_hours) AS gpu_hours',
      `${ratio('good_requests', 'requests')} AS slo_attainment`,
      `${ratio('good_tokens', 'gpu_hours')} AS goodput_tokens_per_gpu_hour`,
    ].join(',\n      ')}
    FROM judged
    ${q.by.length ? `GROUP BY ${q.by.join(', ')} ORDER BY ${q.by.join(', ')}` : 'HAVING requests > 0'}`;
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window), ...entryParams(config), tenant: q.tenant ?? '' },
    clickhouse_settings: { log_comment: 'kpi:goodput' },
  };
}

/** goodput_tokens_per_gpu_hour and slo_attainment by any request dimensions. */
export async function goodput(store: Store, config: Config, q: GoodputQuery): Promise<KpiResult<SloRow>> {
  return runKpiSql<SloRow>(store, await buildGoodput(store, config, q));
}
