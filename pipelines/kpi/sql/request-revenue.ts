/**
 * Revenue per request from the price book (KPIS.md "Revenue and margin"), as SQL.
 *
 * Price book: `prices.<model>` (input_usd_per_mtok, output_usd_per_mtok), overridden
 * for a tenant's plan by `tenants.<tenant>.prices.<model>`.
 *
 * Which model's price: KPIS.md "Inputs and how they join" names a request's model by
 * `gen_ai.response.model`, else `gen_ai.request.model` (llm_requests keeps the first as
 * `model` and the second as `request_model`). A server often answers with a more specific
 * name than the one priced ("llama-3.1-70b-instruct-2024-07" for "llama-3.1-70b-instruct"),
 * so when `model` has no price the request model's applies. The first price found, in
 * this order, is the request's:
 *   1. the tenant's plan for `model`;        2. the tenant's plan for `request_model`;
 *   3. the price book for `model`;           4. the price book for `request_model`.
 * A tenant's plan overrides the book (KPIS.md "tenant plans may override") under either
 * name the request carries: a tenant whose plan prices the requested name is not charged
 * the book price because the book also lists the served snapshot's name.
 *
 * Exact integer arithmetic, one rounding per request:
 * - a price in USD per million tokens is, per token, that many micro-dollars — or
 *   × 1e6 pico-dollars. Prices are bound as integer pico-dollars per token
 *   (`round(usd_per_mtok × 1e6)`, so a price is exact to 1e-6 USD per M tokens);
 * - revenue_micro = round_half_up((input_tokens × in_pico + output_tokens × out_pico) / 1e6),
 *   an Int64 of micro-dollars; sums of it are exact. 1 token at 1 USD/M = 1 µ$ exactly.
 * - errored requests (`is_error`) are not billed (revenue 0) unless
 *   `attribution.bill_errors: true`;
 * - a model with no price (neither the tenant's plan nor the price book) earns 0 and is
 *   flagged `priced = 0`, so reports can show the unpriced traffic rather than hide it.
 */
import type { Config } from '../../../core/config/schema.js';

export interface PriceParams {
  [name: string]: unknown;
  /** price book: model → price, as parallel arrays */
  pb_models: string[];
  pb_in_pico: number[];
  pb_out_pico: number[];
  /** tenant plan overrides: (tenant, model) → price, as parallel arrays */
  pb_tenants: string[];
  pb_tenant_models: string[];
  pb_tenant_in_pico: number[];
  pb_tenant_out_pico: number[];
  /** attribution.bill_errors as 0/1 */
  pb_bill_errors: number;
}

export const PRICE_PARAM_TYPES: Record<keyof PriceParams & string, string> = {
  pb_models: 'Array(String)',
  pb_in_pico: 'Array(UInt64)',
  pb_out_pico: 'Array(UInt64)',
  pb_tenants: 'Array(String)',
  pb_tenant_models: 'Array(String)',
  pb_tenant_in_pico: 'Array(UInt64)',
  pb_tenant_out_pico: 'Array(UInt64)',
  pb_bill_errors: 'UInt8',
};

/** `{name:Type}` placeholder for a price-book parameter. */
export function pp(name: keyof PriceParams & string): string {
  const type = PRICE_PARAM_TYPES[name];
  if (!type) throw new Error(`unknown price parameter ${name}`);
  return `{${name}:${type}}`;
}

/** USD per million tokens → integer pico-dollars per token. */
export function picoPerToken(usdPerMtok: number): number {
  return Math.round(usdPerMtok * 1e6);
}

export function priceParams(config: Config): PriceParams {
  const out: PriceParams = {
    pb_models: [],
    pb_in_pico: [],
    pb_out_pico: [],
    pb_tenants: [],
    pb_tenant_models: [],
    pb_tenant_in_pico: [],
    pb_tenant_out_pico: [],
    pb_bill_errors: config.attribution.bill_errors ? 1 : 0,
  };
  for (const [model, price] of Object.entries(config.prices)) {
    out.pb_models.push(model);
    out.pb_in_pico.push(picoPerToken(price.input_usd_per_mtok));
    out.pb_out_pico.push(picoPerToken(price.output_usd_per_mtok));
  }
  for (const [tenant, plan] of Object.entries(config.tenants)) {
    for (const [model, price] of Object.entries(plan.prices)) {
      out.pb_tenants.push(tenant);
      out.pb_tenant_models.push(model);
      out.pb_tenant_in_pico.push(picoPerToken(price.input_usd_per_mtok));
      out.pb_tenant_out_pico.push(picoPerToken(price.output_usd_per_mtok));
    }
  }
  return out;
}

/** The columns REQUEST_REVENUE_CTE / REVENUE_COLUMNS add, in order. */
export const REQUEST_REVENUE_COLUMNS = ['pb_tenant_resp_idx', 'pb_tenant_idx', 'pb_model_resp_idx', 'pb_model_idx', 'priced', 'price_in_pico', 'price_out_pico', 'billable', 'revenue_micro'] as const;

/**
 * Select-list expressions adding the revenue columns to any relation that has
 * `tenant`, `model`, `request_model`, `input_tokens`, `output_tokens` and `is_error` (e.g.
 * llm_requests deduplicated, when the cost attribution is not needed). `pb_tenant_idx` /
 * `pb_model_idx` index the plan / book entry used (0: none), in the lookup order above.
 */
export const REVENUE_COLUMNS = `
      arrayFirstIndex((pb_t, pb_m) -> pb_t = tenant AND pb_m = model, ${pp('pb_tenants')}, ${pp('pb_tenant_models')}) AS pb_tenant_resp_idx,
      if(pb_tenant_resp_idx > 0 OR request_model = '', pb_tenant_resp_idx,
         arrayFirstIndex((pb_t, pb_m) -> pb_t = tenant AND pb_m = request_model, ${pp('pb_tenants')}, ${pp('pb_tenant_models')})) AS pb_tenant_idx,
      indexOf(${pp('pb_models')}, model) AS pb_model_resp_idx,
      if(pb_model_resp_idx > 0 OR request_model = '', pb_model_resp_idx, indexOf(${pp('pb_models')}, request_model)) AS pb_model_idx,
      toUInt8(pb_tenant_idx > 0 OR pb_model_idx > 0) AS priced,
      toUInt64(multiIf(pb_tenant_idx > 0, arrayElement(${pp('pb_tenant_in_pico')}, pb_tenant_idx),
                       pb_model_idx > 0, arrayElement(${pp('pb_in_pico')}, pb_model_idx), 0)) AS price_in_pico,
      toUInt64(multiIf(pb_tenant_idx > 0, arrayElement(${pp('pb_tenant_out_pico')}, pb_tenant_idx),
                       pb_model_idx > 0, arrayElement(${pp('pb_out_pico')}, pb_model_idx), 0)) AS price_out_pico,
      toUInt8(NOT is_error OR ${pp('pb_bill_errors')} = 1) AS billable,
      toInt64(if(priced = 1 AND billable = 1,
                 intDiv(toUInt64(input_tokens) * price_in_pico + toUInt64(output_tokens) * price_out_pico + 500000, 1000000),
                 0)) AS revenue_micro`;

/**
 * CTE `req_revenue`: `req_cost` (REQUEST_COST_CTES) with REQUEST_REVENUE_COLUMNS — one
 * row per request with both its attributed cost (`cost_micro`) and its revenue
 * (`revenue_micro`). Needs the price parameters (priceParams).
 */
export const REQUEST_REVENUE_CTE = `
  req_revenue AS (
    SELECT *, ${REVENUE_COLUMNS}
    FROM req_cost
  )`;
