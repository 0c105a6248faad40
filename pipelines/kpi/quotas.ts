/**
 * Tenant quotas (KPIS.md "Governance"): token and spend budgets per tenant and calendar
 * month (UTC), from `tenants.<t>.monthly_token_quota` and `monthly_budget_usd`.
 *
 * - The period is the calendar month of the last instant of the window (`to` − 1 ms, so
 *   `--to 2026-12-01T00:00:00Z` reports November); usage counts requests with span start in
 *   [month start, to). `to` defaults to the end of the data (window.ts).
 * - `tokens_used`: input + output tokens of billable requests (errored ones are not billed
 *   unless `attribution.bill_errors`), deduplicated on (trace_id, span_id) — quotas count
 *   what the tenant is billed for.
 * - `spend_usd`: the tenant's billed revenue (sql/request-revenue.ts: the tenant's plan
 *   prices, else the price book) — what the tenant spends, not what it costs us.
 * - `token_quota_used_ratio` = tokens_used / monthly_token_quota, `budget_used_ratio` =
 *   spend_usd / monthly_budget_usd (each null without that quota); `quota_used_ratio` =
 *   the larger of the two that exist.
 * - `quota_remaining` (tokens) and `budget_remaining_usd`: what is left, never below 0.
 * - `quota_exhaustion_eta`: linear on the last 24 hours' rate ([to − 24 h, to), across a
 *   month boundary too): to + remaining / rate, rounded up to the second, for each quota
 *   the tenant has; the earlier of the two. `to` itself when a quota is already used up;
 *   null when the rate is 0, there is no quota, or the ETA falls after the month ends (the
 *   quota resets first).
 *
 * Rows: every tenant in config and every tenant with requests in the period or the last
 * 24 hours (those without quotas show null ratios).
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { priceParams, REVENUE_COLUMNS } from './sql/request-revenue.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import type { KpiResult } from './unit-economics.js';
import { resolveWindow, windowParams } from './window.js';

export interface QuotaQuery {
  /** the evaluation time; its month (of to − 1 ms) is the period. Default: end of the data. */
  to?: Date | undefined;
  /** only this tenant (tenant-scoped API keys) */
  tenant?: string | undefined;
}

export interface QuotaRow {
  [key: string]: string | number | null;
  tenant: string;
  period: string;
  monthly_token_quota: number | null;
  monthly_budget_usd: number | null;
  tokens_used: number;
  spend_usd: number;
  tokens_last_24h: number;
  spend_last_24h_usd: number;
  token_quota_used_ratio: number | null;
  budget_used_ratio: number | null;
  quota_used_ratio: number | null;
  quota_remaining: number | null;
  budget_remaining_usd: number | null;
  quota_exhaustion_eta: string | null;
}

const PERIOD_START = '{q_period_start:DateTime64(3)}';
const PERIOD_END = '{q_period_end:DateTime64(3)}';
const RATE_FROM = '{q_rate_from:DateTime64(3)}';
const AT = '{to:DateTime64(3)}';
const TENANTS = '{q_tenants:Array(String)}';
const TOKEN_QUOTA = '{q_token_quota:Map(String, Float64)}';
const BUDGET_MICRO = '{q_budget_micro:Map(String, Int64)}';

const QUOTA_SQL = `
  WITH
  quota_reqs AS (
    SELECT ts, tenant, model, request_model, input_tokens, output_tokens, is_error
    FROM llm_requests
    WHERE hour >= toStartOfHour(least(${PERIOD_START}, ${RATE_FROM})) AND hour < ${AT}
      AND ts >= least(${PERIOD_START}, ${RATE_FROM}) AND ts < ${AT}
    LIMIT 1 BY trace_id, span_id
  ),
  quota_billed AS (
    SELECT ts, tenant, if(billable = 1, input_tokens + output_tokens, 0) AS billed_tokens, revenue_micro
    FROM (SELECT *, ${REVENUE_COLUMNS} FROM quota_reqs)
  ),
  usage AS (
    SELECT tenant,
      sumIf(billed_tokens, ts >= ${PERIOD_START}) AS period_tokens,
      sumIf(revenue_micro, ts >= ${PERIOD_START}) AS period_micro,
      sumIf(billed_tokens, ts >= ${RATE_FROM}) AS recent_tokens,
      sumIf(revenue_micro, ts >= ${RATE_FROM}) AS recent_micro
    FROM quota_billed GROUP BY tenant
  ),
  quota_tenants AS (
    SELECT arrayJoin(${TENANTS}) AS tenant
    UNION DISTINCT SELECT tenant FROM usage
  ),
  quota_rows AS (
    SELECT
      k.tenant AS tenant,
      formatDateTime(${PERIOD_START}, '%Y-%m') AS period,
      if(mapContains(${TOKEN_QUOTA}, k.tenant), ${TOKEN_QUOTA}[k.tenant], NULL) AS monthly_token_quota,
      if(mapContains(${BUDGET_MICRO}, k.tenant), ${BUDGET_MICRO}[k.tenant], NULL) AS budget_micro,
      budget_micro / 1e6 AS monthly_budget_usd,
      u.period_tokens AS tokens_used,
      u.period_micro / 1e6 AS spend_usd,
      u.recent_tokens AS tokens_last_24h,
      u.recent_micro / 1e6 AS spend_last_24h_usd,
      tokens_used / monthly_token_quota AS token_quota_used_ratio,
      u.period_micro / budget_micro AS budget_used_ratio,
      multiIf(token_quota_used_ratio IS NULL, budget_used_ratio, budget_used_ratio IS NULL, token_quota_used_ratio,
              greatest(token_quota_used_ratio, budget_used_ratio)) AS quota_used_ratio,
      if(monthly_token_quota IS NULL, NULL, greatest(monthly_token_quota - tokens_used, 0)) AS quota_remaining,
      if(budget_micro IS NULL, NULL, greatest(budget_micro - u.period_micro, 0)) AS budget_left_micro,
      budget_left_micro / 1e6 AS budget_remaining_usd,
      -- seconds until each quota runs out at the last 24 h rate (0: already out; NULL: never)
      multiIf(monthly_token_quota IS NULL, NULL, quota_remaining = 0, 0, u.recent_tokens = 0, NULL,
              ceil(quota_remaining * 86400 / u.recent_tokens)) AS token_eta_s,
      multiIf(budget_micro IS NULL, NULL, budget_left_micro = 0, 0, u.recent_micro = 0, NULL,
              ceil(budget_left_micro * 86400 / u.recent_micro)) AS budget_eta_s,
      multiIf(token_eta_s IS NULL, budget_eta_s, budget_eta_s IS NULL, token_eta_s, least(token_eta_s, budget_eta_s)) AS eta_s,
      ${AT} + toIntervalSecond(toInt64(eta_s)) AS eta_time,
      if(eta_s IS NULL OR eta_time >= ${PERIOD_END}, NULL, formatDateTime(toDateTime(eta_time), '%Y-%m-%dT%H:%i:%SZ')) AS quota_exhaustion_eta
    FROM quota_tenants AS k
    LEFT JOIN usage AS u ON u.tenant = k.tenant
    WHERE {q_only:String} = '' OR k.tenant = {q_only:String}
  )
  SELECT * EXCEPT (budget_micro, budget_left_micro, token_eta_s, budget_eta_s, eta_s, eta_time)
  FROM quota_rows
  ORDER BY tenant`;

/** The UTC calendar month holding the instant just before `to`. */
export function quotaPeriod(to: Date): { start: Date; end: Date } {
  const last = new Date(to.getTime() - 1);
  const start = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1));
  const end = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + 1, 1));
  return { start, end };
}

/** The SQL of the quota report (for JSON and Arrow): one row per tenant, ordered by tenant. */
export async function buildTenantQuotas(store: Store, config: Config, q: QuotaQuery = {}): Promise<KpiSql> {
  const to = q.to ?? (await resolveWindow(store, {})).to;
  const { start, end } = quotaPeriod(to);
  const rateFrom = new Date(to.getTime() - 86_400_000);
  const tokenQuota: Record<string, number> = {};
  const budgetMicro: Record<string, number> = {};
  for (const [tenant, t] of Object.entries(config.tenants)) {
    if (t.monthly_token_quota !== undefined) tokenQuota[tenant] = t.monthly_token_quota;
    if (t.monthly_budget_usd !== undefined) budgetMicro[tenant] = Math.round(t.monthly_budget_usd * 1e6);
  }
  const fmt = (d: Date) => windowParams({ from: d, to: d }).from;
  return {
    // the window reported: from the period's start to the evaluation time
    window: { from: start, to },
    query: QUOTA_SQL,
    query_params: {
      ...priceParams(config),
      to: fmt(to),
      q_period_start: fmt(start),
      q_period_end: fmt(end),
      q_rate_from: fmt(rateFrom),
      q_tenants: Object.keys(config.tenants),
      q_token_quota: tokenQuota,
      q_budget_micro: budgetMicro,
      q_only: q.tenant ?? '',
    },
    clickhouse_settings: { log_comment: 'kpi:tenant_quotas' },
  };
}

/** Token and spend use per tenant against its monthly quotas, with the exhaustion ETA. */
export async function tenantQuotas(store: Store, config: Config, q: QuotaQuery = {}): Promise<KpiResult<QuotaRow>> {
  return runKpiSql<QuotaRow>(store, await buildTenantQuotas(store, config, q));
}
