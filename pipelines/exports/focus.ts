/**
 * Finance export (c): FinOps FOCUS cost and usage rows (FOCUS 1.3 column names; the
 * layout follows the specification's own per-token AI example,
 * specification/appendix/ai_billing_examples/per_token_foundation_model_api.md in
 * github.com/FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec).
 *
 * Point of view: the factory is the provider (ServiceProviderName = HostProviderName =
 * InvoiceIssuerName = `provider`) and each tenant a billing account it invoices. One row
 * per charge period (UTC day or hour, clipped to the export window) × tenant ×
 * deployment × model × token type (input, output: two SKUs, as they have two prices).
 *
 * - BilledCost = what the tenant is invoiced = revenue (price book × billable tokens,
 *   ../kpi/sql/request-revenue.ts). EffectiveCost = BilledCost: FOCUS requires them equal
 *   when no commitment or prepayment covers the charge, and the price book has none.
 * - ListCost / ListUnitPrice: the price book (`prices.<model>`); ContractedCost /
 *   ContractedUnitPrice: the tenant's plan (`tenants.<t>.prices.<model>`), else the list
 *   price. Unit prices are USD per PricingUnit "1000000 Tokens"; PricingQuantity =
 *   billable tokens / 1e6. A model with no price has null prices, pricing quantity,
 *   unit and category, and 0 cost.
 * - ConsumedQuantity = all tokens consumed (errored requests' too), ConsumedUnit "Tokens";
 *   PricingQuantity counts only the billable ones (errors are not billed unless
 *   bill_errors).
 * - Our own production cost — the GPU cost attributed to these tokens — is not a FOCUS
 *   cost column from the provider's side (those describe the charge to the customer);
 *   it is the custom column x_ProductionCost (FOCUS custom columns carry the `x_`
 *   prefix), and x_Margin = BilledCost − x_ProductionCost.
 * - ResourceId = ResourceName = deployment, SubAccountId = SubAccountName = tenant;
 *   BillingAccountId = tenant too (each tenant is invoiced on its own), "unattributed"
 *   for requests that name no tenant (BillingAccountId may not be null).
 * - BillingPeriod: the calendar month of the charge period.
 *
 * Exactness. Per row, money is integer micro-dollars. A request's revenue and cost are
 * split between its input and output rows without losing a micro-dollar: the output
 * row gets round(Σ output share) and the input row the rest, so Σ BilledCost = Σ
 * revenue_usd and Σ x_ProductionCost = Σ cost_usd of the per-request export, exactly.
 * ListCost and ContractedCost are unit price × PricingQuantity rounded half up to the
 * micro-dollar, so they can differ from BilledCost by the per-request roundings.
 */
import { pp } from '../kpi/sql/request-revenue.js';
import { micro } from './money.js';

export const FOCUS_GRANULARITIES = ['day', 'hour'] as const;
export type FocusGranularity = (typeof FOCUS_GRANULARITIES)[number];

export const FOCUS_COLUMNS = [
  'BilledCost', 'BillingAccountId', 'BillingAccountName', 'BillingCurrency', 'BillingPeriodEnd', 'BillingPeriodStart',
  'ChargeCategory', 'ChargeClass', 'ChargeDescription', 'ChargeFrequency', 'ChargePeriodEnd', 'ChargePeriodStart',
  'ConsumedQuantity', 'ConsumedUnit', 'ContractedCost', 'ContractedUnitPrice', 'EffectiveCost', 'HostProviderName',
  'InvoiceIssuerName', 'ListCost', 'ListUnitPrice', 'PricingCategory', 'PricingQuantity', 'PricingUnit', 'ResourceId',
  'ResourceName', 'ResourceType', 'ServiceCategory', 'ServiceName', 'ServiceProviderName', 'ServiceSubcategory', 'SkuId',
  'SkuMeter', 'SubAccountId', 'SubAccountName', 'x_ProductionCost', 'x_Margin',
] as const;

const PERIOD: Record<FocusGranularity, { start: string; step: string }> = {
  day: { start: 'toStartOfDay(hour)', step: 'toIntervalDay(1)' },
  hour: { start: 'hour', step: 'toIntervalHour(1)' },
};

/** Round half up of (tokens × pico-dollars per token) to micro-dollars. */
const picoToMicro = (tokens: string, pico: string) => `intDiv(toUInt64(${tokens}) * toUInt64(${pico}) + 500000, 1000000)`;

/**
 * The FOCUS SELECT (after the shared CTEs and REQUEST_REVENUE_CTE). Parameters:
 * `{from}`/`{to}` (the window, for clipping charge periods), `{provider:String}`,
 * `{service_name:String}`, the price parameters, and `{tenant:String}` when filtered.
 */
export function focusSelect(granularity: FocusGranularity, filterTenant: boolean): string {
  const period = PERIOD[granularity];
  return `,
  focus_groups AS (
    SELECT
      toDateTime(${period.start}, 'UTC') AS period_start,
      tenant, deployment, model,
      max(priced) AS g_priced,
      sum(input_tokens) AS g_in_consumed,
      sum(output_tokens) AS g_out_consumed,
      sumIf(input_tokens, priced = 1 AND billable = 1) AS g_in_billable,
      sumIf(output_tokens, priced = 1 AND billable = 1) AS g_out_billable,
      -- one price per (tenant, model): the plan's, else the book's
      max(price_in_pico) AS g_in_pico,
      max(price_out_pico) AS g_out_pico,
      max(if(pb_model_idx > 0, arrayElement(${pp('pb_in_pico')}, pb_model_idx), price_in_pico)) AS g_list_in_pico,
      max(if(pb_model_idx > 0, arrayElement(${pp('pb_out_pico')}, pb_model_idx), price_out_pico)) AS g_list_out_pico,
      sum(revenue_micro) AS g_revenue_micro,
      sum(cost_micro) AS g_cost_micro,
      toInt64(round(sum(cost_output_micro))) AS g_cost_out_micro
    FROM req_revenue
    ${filterTenant ? 'WHERE tenant = {tenant:String}' : ''}
    GROUP BY period_start, tenant, deployment, model
  ),
  focus_rows AS (
    SELECT *,
      toInt64(${picoToMicro('g_out_billable', 'g_out_pico')}) AS g_revenue_out_micro
    FROM focus_groups
  )
  SELECT
    ${micro('billed_micro')} AS BilledCost,
    if(tenant = '', 'unattributed', tenant) AS BillingAccountId,
    BillingAccountId AS BillingAccountName,
    'USD' AS BillingCurrency,
    toDateTime(addMonths(toStartOfMonth(period_start), 1), 'UTC') AS BillingPeriodEnd,
    toDateTime(toStartOfMonth(period_start), 'UTC') AS BillingPeriodStart,
    'Usage' AS ChargeCategory,
    CAST(NULL AS Nullable(String)) AS ChargeClass,
    concat(if(token_type = 'input', 'Input', 'Output'), ' tokens of ', model, ' on ', deployment) AS ChargeDescription,
    'Usage-Based' AS ChargeFrequency,
    least(period_start + ${period.step}, toDateTime({to:DateTime64(3)}, 'UTC')) AS ChargePeriodEnd,
    greatest(period_start, toDateTime({from:DateTime64(3)}, 'UTC')) AS ChargePeriodStart,
    consumed AS ConsumedQuantity,
    'Tokens' AS ConsumedUnit,
    if(g_priced = 1, ${micro(picoToMicro('billable_tokens', 'contracted_pico'))}, ${micro('0')}) AS ContractedCost,
    if(g_priced = 1, ${micro('contracted_pico')}, NULL) AS ContractedUnitPrice,
    BilledCost AS EffectiveCost,
    {provider:String} AS HostProviderName,
    {provider:String} AS InvoiceIssuerName,
    if(g_priced = 1, ${micro(picoToMicro('billable_tokens', 'list_pico'))}, ${micro('0')}) AS ListCost,
    if(g_priced = 1, ${micro('list_pico')}, NULL) AS ListUnitPrice,
    if(g_priced = 1, 'Standard', NULL) AS PricingCategory,
    if(g_priced = 1, ${micro('billable_tokens')}, NULL) AS PricingQuantity,
    if(g_priced = 1, '1000000 Tokens', NULL) AS PricingUnit,
    deployment AS ResourceId,
    deployment AS ResourceName,
    'Model Deployment' AS ResourceType,
    'AI and Machine Learning' AS ServiceCategory,
    {service_name:String} AS ServiceName,
    {provider:String} AS ServiceProviderName,
    'Generative AI' AS ServiceSubcategory,
    concat(model, ':', token_type) AS SkuId,
    if(token_type = 'input', 'Input Tokens', 'Output Tokens') AS SkuMeter,
    nullIf(tenant, '') AS SubAccountId,
    nullIf(tenant, '') AS SubAccountName,
    ${micro('production_micro')} AS x_ProductionCost,
    ${micro('billed_micro - production_micro')} AS x_Margin
  FROM focus_rows
  ARRAY JOIN
    ['input', 'output'] AS token_type,
    [g_in_consumed, g_out_consumed] AS consumed,
    [g_in_billable, g_out_billable] AS billable_tokens,
    [g_in_pico, g_out_pico] AS contracted_pico,
    [g_list_in_pico, g_list_out_pico] AS list_pico,
    [g_revenue_micro - g_revenue_out_micro, g_revenue_out_micro] AS billed_micro,
    [g_cost_micro - g_cost_out_micro, g_cost_out_micro] AS production_micro
  WHERE consumed > 0 OR billed_micro != 0 OR production_micro != 0
  ORDER BY period_start, BillingAccountId, deployment, model, token_type`;
}
