/**
 * Annual revenue per GPU under three business models, per gpu_type (optionally per
 * gpu_type and model), with the GPU's annual cost and the margins (KPIS.md "Revenue and
 * margin"). Scenario values come from config (`revenue.*`) and may be overridden per
 * call (the Grafana plugin's sliders, the CLI's flags); measured values come from the
 * window's telemetry. Assumptions are reported beside the results, labelled as such.
 *
 * Per GPU of a gpu_type, 8 760 hours a year:
 * - `annual_revenue_gpu_hour_usd` = rate_usd_per_hour × 8760 × rental_utilization.
 * - `annual_revenue_taas_usd` (configured scenario) = peak_tokens_per_gpu_hour ×
 *   price_usd_per_mtok / 1e6 × scenario_token_active_utilization × 8760. The peak is
 *   `revenue.taas.peak_tokens_per_gpu_hour[gpu_type]`, else the measured 95th percentile
 *   of 5-minute token throughput per GPU (below), times `throughput_multiplier` (default
 *   1; e.g. 2 to ask "a next-generation GPU twice as fast at the same price").
 * - `annual_revenue_taas_measured_usd` = measured tokens_per_gpu_hour × price / 1e6 × 8760.
 *   tokens_per_gpu_hour is the attribution's (unit-economics.ts): tokens / GPU-hours
 *   attributed to them — GPU time of deployment-hours that served tokens; idle
 *   deployment-hours and unassigned GPUs are not in it. The multiplier does not apply:
 *   measured stays measured.
 * - `annual_revenue_compute_tokens_usd` = units_per_gpu_hour(gpu_type) × unit price ×
 *   8760 × rental_utilization. Prepaid units are consumed like rented GPU-hours, so the
 *   rental utilization applies. The unit price is that of the tier named by
 *   `compute_tokens_tier`, else the first tier in `revenue.compute_tokens.tiers` (the
 *   list price). Expiry is not modelled: no breakage is counted (prepaid units that expire
 *   unused would add revenue without GPU time; we have no data on it, so we stay
 *   conservative). null without tiers.
 * - `annual_cost_usd` = hourly_usd × 8760 + avg_power_kw × 8760 × pue × kwh_usd, where
 *   avg_power_kw is measured: energy_kwh / gpu_hours of the gpu_type's GPUs in the window
 *   (DCGM energy counter, else power — sql/gpu-hours.ts). null when the gpu_type has no
 *   cost model in config, or energy has a price and there was no GPU time to measure
 *   power on.
 * - `annual_margin_<model>_usd` = annual revenue − annual cost, for each business model.
 * - `break_even_usd_per_mtok` = the price per M tokens at which the configured TaaS
 *   scenario earns what rental does: rate × rental_utilization × 1e6 / (peak × token-active
 *   utilization).
 * - `token_active_utilization` (measured) = measured tokens_per_gpu_hour / peak (peak
 *   without the multiplier).
 *
 * Measured peak: requests are bucketed by 5 minutes (span start) per deployment (and
 * model); a bucket's throughput per GPU = its tokens / the deployment's GPUs seen (with a
 * DCGM sample) in that bucket × 12 per hour; buckets with tokens and GPUs count; the
 * peak of a gpu_type is `quantileExact(0.95)` over them (the element at ⌊0.95 n⌋ of the n
 * sorted values, no interpolation), the bucket's gpu_type being that of most of its GPUs.
 *
 * Money is rounded to the micro-dollar; a figure that cannot be computed is null.
 */
import { z } from 'zod';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { BadRequestError } from '../../core/errors.js';
import { inventoryParams, p, UNASSIGNED } from './inventory.js';
import { DEPLOYMENT_HOURLY_CTE, FROM, GPU_DEPLOYMENT, GPU_HOURLY_CTES, TO } from './sql/gpu-hours.js';
import { REQUEST_COST_CTES } from './sql/request-cost.js';
import { runKpiSql, type KpiSql } from './server-latency.js';
import { checkDimensions, type KpiResult } from './unit-economics.js';
import { resolveWindow, windowParams, type WindowQuery } from './window.js';

export const HOURS_PER_YEAR = 8760;

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A number, or a string holding one (API query strings, CLI flags), checked by `schema`. */
const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && NUMBER_TEXT.test(v.trim()) ? Number(v) : v), schema);
const aNumber = () => z.number({ error: (issue) => (issue.code === 'invalid_type' ? 'expected a number' : undefined) });

/** Scenario overrides; each defaults to its config value (`revenue.*`). */
export const revenueScenarioSchema = z
  .object({
    rate_usd_per_hour: numeric(aNumber().nonnegative()).optional(),
    rental_utilization: numeric(aNumber().min(0).max(1)).optional(),
    price_usd_per_mtok: numeric(aNumber().nonnegative()).optional(),
    token_active_utilization: numeric(aNumber().min(0).max(1)).optional(),
    throughput_multiplier: numeric(aNumber().positive()).optional(),
    /** name of a `revenue.compute_tokens.tiers` entry (default: the first) */
    compute_tokens_tier: z.string().min(1).optional(),
  })
  .strict();
export type RevenueScenarioInput = z.input<typeof revenueScenarioSchema>;

export const REVENUE_PER_GPU_DIMENSIONS = ['model'] as const;
export type RevenuePerGpuDimension = (typeof REVENUE_PER_GPU_DIMENSIONS)[number];

export interface RevenuePerGpuQuery extends WindowQuery {
  /** rows per gpu_type, or per gpu_type and model with `['model']` */
  by?: RevenuePerGpuDimension[];
  /** only this gpu_type */
  gpu_type?: string | undefined;
  scenario?: RevenueScenarioInput;
}

export interface RevenuePerGpuRow {
  [key: string]: string | number | null;
  gpu_type: string;
  gpus: number;
  gpu_hours: number;
  tokens: number;
  tokens_per_gpu_hour: number | null;
  peak_tokens_per_gpu_hour: number | null;
  peak_source: string | null;
  token_active_utilization: number | null;
  avg_power_kw: number | null;
  /** the scenario's assumptions, repeated on every row */
  rate_usd_per_hour: number;
  rental_utilization: number;
  price_usd_per_mtok: number;
  scenario_token_active_utilization: number;
  throughput_multiplier: number;
  compute_tokens_tier: string | null;
  compute_tokens_unit_price_usd: number | null;
  /** the cost model of the gpu_type (null: not in config) */
  units_per_gpu_hour: number | null;
  hourly_usd: number | null;
  kwh_usd: number | null;
  pue: number | null;
  annual_revenue_gpu_hour_usd: number;
  annual_revenue_taas_usd: number | null;
  annual_revenue_taas_measured_usd: number | null;
  annual_revenue_compute_tokens_usd: number | null;
  annual_cost_usd: number | null;
  annual_margin_gpu_hour_usd: number | null;
  annual_margin_taas_usd: number | null;
  annual_margin_taas_measured_usd: number | null;
  annual_margin_compute_tokens_usd: number | null;
  break_even_usd_per_mtok: number | null;
}

/** The resolved scenario: config values with the overrides applied. */
export interface RevenueScenario {
  rate_usd_per_hour: number;
  rental_utilization: number;
  price_usd_per_mtok: number;
  token_active_utilization: number;
  throughput_multiplier: number;
  compute_tokens_tier: string | null;
  compute_tokens_unit_price_usd: number | null;
}

export function resolveScenario(config: Config, input: RevenueScenarioInput = {}): RevenueScenario {
  const parsed = revenueScenarioSchema.safeParse(input);
  if (!parsed.success) {
    throw new BadRequestError(parsed.error.issues.map((i) => `${i.path.join('.') || 'scenario'}: ${i.message}`).join('; '));
  }
  const s = parsed.data;
  const tiers = config.revenue.compute_tokens.tiers;
  const tier = s.compute_tokens_tier !== undefined ? tiers.find((t) => t.name === s.compute_tokens_tier) : tiers[0];
  if (s.compute_tokens_tier !== undefined && !tier) {
    throw new BadRequestError(`compute_tokens_tier: unknown tier "${s.compute_tokens_tier}"; configured: ${tiers.map((t) => t.name).join(', ') || 'none'}`);
  }
  return {
    rate_usd_per_hour: s.rate_usd_per_hour ?? config.revenue.gpu_hour.rate_usd_per_hour,
    rental_utilization: s.rental_utilization ?? config.revenue.gpu_hour.rental_utilization,
    price_usd_per_mtok: s.price_usd_per_mtok ?? config.revenue.taas.price_usd_per_mtok,
    token_active_utilization: s.token_active_utilization ?? config.revenue.taas.token_active_utilization,
    throughput_multiplier: s.throughput_multiplier ?? 1,
    compute_tokens_tier: tier?.name ?? null,
    compute_tokens_unit_price_usd: tier?.unit_price_usd ?? null,
  };
}

/** Parameters of this query beyond the inventory and the window. */
function scenarioParams(config: Config, s: RevenueScenario, gpuType: string | undefined): Record<string, unknown> {
  const units: Record<string, number> = {};
  for (const [name, t] of Object.entries(config.gpu_types)) units[name] = t.units_per_gpu_hour;
  return {
    rpg_peak: config.revenue.taas.peak_tokens_per_gpu_hour,
    rpg_units: units,
    rpg_rate: s.rate_usd_per_hour,
    rpg_rental_util: s.rental_utilization,
    rpg_price: s.price_usd_per_mtok,
    rpg_tau: s.token_active_utilization,
    rpg_mult: s.throughput_multiplier,
    rpg_has_tier: s.compute_tokens_unit_price_usd === null ? 0 : 1,
    rpg_unit_price: s.compute_tokens_unit_price_usd ?? 0,
    rpg_tier: s.compute_tokens_tier ?? '',
    rpg_gpu_type: gpuType ?? '',
  };
}

const PEAK = '{rpg_peak:Map(String, Float64)}';
const UNITS = '{rpg_units:Map(String, Float64)}';
const RATE = '{rpg_rate:Float64}';
const RENTAL_UTIL = '{rpg_rental_util:Float64}';
const PRICE = '{rpg_price:Float64}';
const TAU = '{rpg_tau:Float64}';
const MULT = '{rpg_mult:Float64}';
const HAS_TIER = '{rpg_has_tier:UInt8}';
const UNIT_PRICE = '{rpg_unit_price:Float64}';
const TIER = '{rpg_tier:String}';
const ONLY_TYPE = '{rpg_gpu_type:String}';

/** The measured CTEs, keyed by gpu_type or by (gpu_type, model): fixed SQL, nothing from input. */
function measuredCtes(byModel: boolean): string {
  const m = byModel ? ', model' : '';
  return `
  type_gpus AS (
    SELECT gpu_type, uniqExact(uuid) AS type_gpus, sum(gpu_hours) AS type_gpu_hours, sum(energy_kwh) AS type_energy_kwh
    FROM gpu_hourly GROUP BY gpu_type
  ),
  type_tokens AS (
    SELECT gpu_type${m}, sum(req_tokens) AS served_tokens, sum(gpu_hours) AS served_gpu_hours, 1 AS has_served
    FROM req_cost WHERE gpu_type != '${UNASSIGNED}' GROUP BY gpu_type${m}
  ),
  bucket_gpu_points AS (
    SELECT toDateTime(toStartOfFiveMinutes(ts)) AS bucket, uuid,
      any(node) AS b_node, any(gpu_index) AS b_index, any(pod) AS b_pod, any(gpu_type) AS b_type
    FROM gpu_samples
    WHERE ts >= ${FROM} AND ts < ${TO}
    GROUP BY bucket, uuid
  ),
  bucket_type_gpus AS (
    SELECT bucket, ${GPU_DEPLOYMENT} AS deployment, gpu_type, count() AS n_gpus
    FROM (SELECT bucket, uuid, b_node AS node, b_index AS gpu_index, b_pod AS pod, b_type AS gpu_type FROM bucket_gpu_points)
    GROUP BY bucket, deployment, gpu_type
  ),
  bucket_gpus AS (
    SELECT bucket, deployment, argMax(gpu_type, n_gpus) AS bucket_gpu_type, sum(n_gpus) AS bucket_gpus
    FROM bucket_type_gpus WHERE deployment != '${UNASSIGNED}' GROUP BY bucket, deployment
  ),
  bucket_tokens AS (
    SELECT toDateTime(toStartOfFiveMinutes(ts)) AS bucket, deployment${m}, sum(req_tokens) AS bucket_tokens
    FROM reqs WHERE deployment != '${UNASSIGNED}' GROUP BY bucket, deployment${m}
  ),
  type_peaks AS (
    SELECT g.bucket_gpu_type AS gpu_type${byModel ? ', t.model AS model' : ''},
      quantileExact(0.95)(t.bucket_tokens / g.bucket_gpus * 12) AS measured_peak, 1 AS has_measured_peak
    FROM bucket_tokens AS t INNER JOIN bucket_gpus AS g ON t.bucket = g.bucket AND t.deployment = g.deployment
    WHERE t.bucket_tokens > 0 AND g.bucket_gpus > 0
    GROUP BY gpu_type${m}
  ),
  row_keys AS (
    ${
      byModel
        ? `SELECT gpu_type, model FROM type_tokens`
        : `SELECT arrayJoin(arrayDistinct(arrayConcat(mapKeys(${p('gt_hourly_usd')}), mapKeys(${PEAK})))) AS gpu_type
    UNION DISTINCT SELECT gpu_type FROM type_gpus WHERE gpu_type != ''`
    }
  )`;
}

/** Final select. Intermediate values are named apart from the output columns (alias shadowing). */
function selectSql(byModel: boolean): string {
  const on = (t: string) => `${t}.gpu_type = k.gpu_type${byModel ? ` AND ${t}.model = k.model` : ''}`;
  return `
  SELECT
    k.gpu_type AS gpu_type,${byModel ? '\n    k.model AS model,' : ''}
    g.type_gpus AS gpus,
    g.type_gpu_hours AS gpu_hours,
    s.served_tokens AS tokens,
    if(s.has_served = 1 AND s.served_gpu_hours > 0, s.served_tokens / s.served_gpu_hours, NULL) AS tokens_per_gpu_hour,
    multiIf(mapContains(${PEAK}, k.gpu_type), ${PEAK}[k.gpu_type], pk.has_measured_peak = 1, pk.measured_peak, NULL) AS base_peak,
    base_peak * ${MULT} AS peak_tokens_per_gpu_hour,
    multiIf(mapContains(${PEAK}, k.gpu_type), 'config', pk.has_measured_peak = 1, 'measured_p95', NULL) AS peak_source,
    if(base_peak > 0, tokens_per_gpu_hour / base_peak, NULL) AS token_active_utilization,
    if(g.type_gpu_hours > 0, g.type_energy_kwh / g.type_gpu_hours, NULL) AS avg_power_kw,
    ${RATE} AS rate_usd_per_hour,
    ${RENTAL_UTIL} AS rental_utilization,
    ${PRICE} AS price_usd_per_mtok,
    ${TAU} AS scenario_token_active_utilization,
    ${MULT} AS throughput_multiplier,
    if(${HAS_TIER} = 1, ${TIER}, NULL) AS compute_tokens_tier,
    if(${HAS_TIER} = 1, ${UNIT_PRICE}, NULL) AS compute_tokens_unit_price_usd,
    if(mapContains(${UNITS}, k.gpu_type), ${UNITS}[k.gpu_type], NULL) AS units_per_gpu_hour,
    if(mapContains(${p('gt_hourly_usd')}, k.gpu_type), ${p('gt_hourly_usd')}[k.gpu_type], NULL) AS hourly_usd,
    if(mapContains(${p('gt_kwh_usd')}, k.gpu_type), ${p('gt_kwh_usd')}[k.gpu_type], NULL) AS kwh_usd,
    if(mapContains(${p('gt_pue')}, k.gpu_type), ${p('gt_pue')}[k.gpu_type], NULL) AS pue,
    round(${RATE} * ${HOURS_PER_YEAR} * ${RENTAL_UTIL}, 6) AS annual_revenue_gpu_hour_usd,
    round(peak_tokens_per_gpu_hour * ${PRICE} / 1e6 * ${TAU} * ${HOURS_PER_YEAR}, 6) AS annual_revenue_taas_usd,
    round(tokens_per_gpu_hour * ${PRICE} / 1e6 * ${HOURS_PER_YEAR}, 6) AS annual_revenue_taas_measured_usd,
    if(${HAS_TIER} = 1, round(units_per_gpu_hour * ${UNIT_PRICE} * ${HOURS_PER_YEAR} * ${RENTAL_UTIL}, 6), NULL) AS annual_revenue_compute_tokens_usd,
    multiIf(kwh_usd IS NULL, NULL,
            kwh_usd * pue = 0, 0,
            avg_power_kw * ${HOURS_PER_YEAR} * pue * kwh_usd) AS annual_energy_cost,
    round(hourly_usd * ${HOURS_PER_YEAR} + annual_energy_cost, 6) AS annual_cost_usd,
    round(annual_revenue_gpu_hour_usd - annual_cost_usd, 6) AS annual_margin_gpu_hour_usd,
    round(annual_revenue_taas_usd - annual_cost_usd, 6) AS annual_margin_taas_usd,
    round(annual_revenue_taas_measured_usd - annual_cost_usd, 6) AS annual_margin_taas_measured_usd,
    round(annual_revenue_compute_tokens_usd - annual_cost_usd, 6) AS annual_margin_compute_tokens_usd,
    if(peak_tokens_per_gpu_hour * ${TAU} > 0, ${RATE} * ${RENTAL_UTIL} * 1e6 / (peak_tokens_per_gpu_hour * ${TAU}), NULL) AS break_even_usd_per_mtok
  FROM row_keys AS k
  LEFT JOIN type_gpus AS g ON g.gpu_type = k.gpu_type
  LEFT JOIN type_tokens AS s ON ${on('s')}
  LEFT JOIN type_peaks AS pk ON ${on('pk')}
  WHERE ${ONLY_TYPE} = '' OR k.gpu_type = ${ONLY_TYPE}`;
}

/** The SQL of revenue per GPU (for JSON and Arrow): rows per gpu_type (and model). */
export async function buildRevenuePerGpu(store: Store, config: Config, q: RevenuePerGpuQuery = {}): Promise<KpiSql> {
  const by = q.by ?? [];
  checkDimensions(by, REVENUE_PER_GPU_DIMENSIONS);
  const byModel = by.includes('model');
  const scenario = resolveScenario(config, q.scenario);
  const window = await resolveWindow(store, q);
  const query = `
    WITH ${GPU_HOURLY_CTES}, ${DEPLOYMENT_HOURLY_CTE}, ${REQUEST_COST_CTES}, ${measuredCtes(byModel)}
    SELECT * EXCEPT (base_peak, annual_energy_cost) FROM (${selectSql(byModel)})
    ORDER BY gpu_type${byModel ? ', model' : ''}`;
  return {
    window,
    query,
    query_params: { ...inventoryParams(config), ...windowParams(window), ...scenarioParams(config, scenario, q.gpu_type) },
    clickhouse_settings: { log_comment: 'kpi:revenue_per_gpu' },
  };
}

/** Annual revenue, cost and margin per GPU under the three business models. */
export async function revenuePerGpu(store: Store, config: Config, q: RevenuePerGpuQuery = {}): Promise<KpiResult<RevenuePerGpuRow>> {
  return runKpiSql<RevenuePerGpuRow>(store, await buildRevenuePerGpu(store, config, q));
}
