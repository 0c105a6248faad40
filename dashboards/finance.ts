/**
 * Finance: cost per million tokens, revenue and margin per tenant, idle and unassigned
 * GPU cost, quotas and metering drift. Money comes from the hourly rollups
 * (pipelines/rollups/: attributed cost and billed revenue in integer micro-dollars per
 * hour, tenant, model, deployment; unspread cost per deployment-hour), so these panels
 * show settled hours; the last-hour gauges come from the token-factory /metrics.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { barGaugePanel, chSeries, chTable, promInstant, promQuery, row, statPanel, steps, tablePanel, timeSeriesPanel } from './panels.js';
import { CURRENT_ROLLUP, MODEL_FILTER, TENANT_FILTER } from './sql.js';
import { modelVariable, tenantVariable } from './variables.js';

export function financeDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('token-factory · Finance')
    .uid('token-factory-finance')
    .description('Cost per million tokens, revenue and margin per tenant, idle and unassigned GPU cost.')
    .tags(['token-factory', 'finance'])
    .time({ from: 'now-7d', to: 'now' })
    .refresh('15m')
    .timezone('utc')
    .readonly()
    .withVariable(modelVariable())
    .withVariable(tenantVariable())

    .withRow(row('Totals over the range (settled hours)'))
    .withPanel(
      statPanel(
        { title: 'Revenue', description: 'Σ billed revenue (KPIS.md revenue_usd) of the settled hours in range.', unit: 'currencyUSD', width: 6, decimals: 2 },
        [chTable(`SELECT sum(revenue_micro) / 1e6 AS revenue_usd FROM rollup_requests_hourly FINAL WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER} AND ${TENANT_FILTER}`)],
      ),
    )
    .withPanel(
      statPanel(
        { title: 'Attributed cost', description: 'Σ cost attributed to requests (KPIS.md cost_usd): GPU-hours × hourly_usd + energy, shared by weighted tokens.', unit: 'currencyUSD', width: 6, decimals: 2 },
        [chTable(`SELECT sum(cost_micro) / 1e6 AS cost_usd FROM rollup_requests_hourly FINAL WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER} AND ${TENANT_FILTER}`)],
      ),
    )
    .withPanel(
      statPanel(
        { title: 'Gross margin', description: 'margin_usd / revenue_usd of the requests in range (KPIS.md gross_margin); empty without revenue.', unit: 'percentunit', width: 6, decimals: 1 },
        [
          chTable(`
            SELECT if(sum(revenue_micro) = 0, NULL, (sum(revenue_micro) - sum(cost_micro)) / sum(revenue_micro)) AS gross_margin
            FROM rollup_requests_hourly FINAL
            WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER} AND ${TENANT_FILTER}`),
        ],
        steps('red', [0, 'orange'], [0.3, 'green']),
      ),
    )
    .withPanel(
      statPanel(
        { title: 'Idle + unassigned cost', description: 'GPU cost no request carried: deployment-hours without tokens (idle_cost_usd) and GPUs of no deployment (unassigned). Not filtered by model or tenant.', unit: 'currencyUSD', width: 6, decimals: 2 },
        [chTable(`SELECT (sum(idle_cost_micro) + sum(unassigned_cost_micro)) / 1e6 AS unspread_cost_usd FROM rollup_deployments_hourly FINAL WHERE ${CURRENT_ROLLUP}`)],
        steps('green', [1, 'orange']),
      ),
    )

    .withRow(row('Cost per million tokens'))
    .withPanel(
      timeSeriesPanel(
        { title: 'Cost per million tokens by model', description: 'Hourly cost_usd / tokens × 1e6, fully loaded for the requests (KPIS.md cost_per_mtok_usd); idle deployment-hours are not spread.', unit: 'currencyUSD', width: 12, min: 0 },
        [
          chSeries(`
            SELECT hour AS time, model,
              if(sum(input_tokens + output_tokens) = 0, NULL, sum(cost_micro) / sum(input_tokens + output_tokens)) AS cost_per_mtok_usd
            FROM rollup_requests_hourly FINAL
            WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER} AND ${TENANT_FILTER}
            GROUP BY time, model
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      barGaugePanel(
        { title: 'Cost per million tokens, last hour', description: 'token_factory_cost_per_mtok_usd per model and GPU type over the hour ending now.', unit: 'currencyUSD', width: 12, min: 0 },
        [promInstant('max by (model, gpu_type) (token_factory_cost_per_mtok_usd{model=~"$model"})', '{{model}} on {{gpu_type}}')],
        steps('green'),
      ),
    )

    .withRow(row('Tenants'))
    .withPanel(
      tablePanel(
        { title: 'Revenue and margin per tenant', description: 'Per tenant over the settled hours in range: requests, tokens, revenue_usd, cost_usd, margin_usd = revenue − cost, gross_margin = margin / revenue (empty without revenue).', unit: 'none', width: 24, height: 9 },
        [
          chTable(`
            SELECT tenant,
              sum(requests) AS requests,
              sum(input_tokens + output_tokens) AS tokens,
              sum(revenue_micro) / 1e6 AS revenue_usd,
              sum(cost_micro) / 1e6 AS cost_usd,
              (sum(revenue_micro) - sum(cost_micro)) / 1e6 AS margin_usd,
              if(sum(revenue_micro) = 0, NULL, (sum(revenue_micro) - sum(cost_micro)) / sum(revenue_micro)) AS gross_margin
            FROM rollup_requests_hourly FINAL
            WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER} AND ${TENANT_FILTER}
            GROUP BY tenant
            ORDER BY revenue_usd DESC`),
        ],
      )
        .overrideByRegexp('_usd$', [{ id: 'unit', value: 'currencyUSD' }, { id: 'decimals', value: 2 }])
        .overrideByName('gross_margin', [{ id: 'unit', value: 'percentunit' }, { id: 'decimals', value: 1 }]),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Revenue per tenant', description: 'Hourly billed revenue per tenant (revenue_usd).', unit: 'currencyUSD', width: 12, min: 0 },
        [
          chSeries(`
            SELECT hour AS time, tenant, sum(revenue_micro) / 1e6 AS revenue_usd
            FROM rollup_requests_hourly FINAL
            WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER} AND ${TENANT_FILTER}
            GROUP BY time, tenant
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      timeSeriesPanel(
        { title: 'Margin per tenant', description: 'Hourly margin_usd = revenue − attributed cost, per tenant.', unit: 'currencyUSD', width: 12 },
        [
          chSeries(`
            SELECT hour AS time, tenant, (sum(revenue_micro) - sum(cost_micro)) / 1e6 AS margin_usd
            FROM rollup_requests_hourly FINAL
            WHERE ${CURRENT_ROLLUP} AND ${MODEL_FILTER} AND ${TENANT_FILTER}
            GROUP BY time, tenant
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      barGaugePanel(
        { title: 'Quota used', description: 'token_factory_quota_used_ratio: the larger of the token and spend shares of the monthly quota used.', unit: 'percentunit', width: 24, min: 0, max: 1 },
        [promInstant('max by (tenant) (token_factory_quota_used_ratio{tenant=~"$tenant"})', '{{tenant}}')],
        steps('green', [0.8, 'orange'], [1, 'red']),
      ),
    )

    .withRow(row('Idle and unassigned GPU cost'))
    .withPanel(
      timeSeriesPanel(
        { title: 'Idle and unassigned cost per hour', description: 'idle_cost_usd: deployment-hours with GPU cost and no tokens; unassigned: GPUs mapped to no deployment. Reported, never spread over requests.', unit: 'currencyUSD', width: 12, min: 0 },
        [
          chSeries(`
            SELECT hour AS time, sum(idle_cost_micro) / 1e6 AS idle_cost_usd, sum(unassigned_cost_micro) / 1e6 AS unassigned_cost_usd
            FROM rollup_deployments_hourly FINAL
            WHERE ${CURRENT_ROLLUP}
            GROUP BY time
            ORDER BY time`),
        ],
      ),
    )
    .withPanel(
      tablePanel(
        { title: 'GPU cost per deployment', description: 'Per deployment over the settled hours in range: GPU-hours, GPU cost, and the part no request carried (idle or unassigned).', unit: 'none', width: 12 },
        [
          chTable(`
            SELECT deployment, any(gpu_type) AS gpu_type, sum(gpu_hours) AS gpu_hours, sum(cost_micro) / 1e6 AS gpu_cost_usd,
              sum(idle_cost_micro) / 1e6 AS idle_cost_usd, sum(unassigned_cost_micro) / 1e6 AS unassigned_cost_usd
            FROM rollup_deployments_hourly FINAL
            WHERE ${CURRENT_ROLLUP}
            GROUP BY deployment
            ORDER BY gpu_cost_usd DESC`),
        ],
      ).overrideByRegexp('_usd$', [{ id: 'unit', value: 'currencyUSD' }, { id: 'decimals', value: 2 }]),
    )

    .withRow(row('Metering'))
    .withPanel(
      timeSeriesPanel(
        { title: 'Metering drift', description: 'token_factory_metering_drift = (gateway-billed − server-counted tokens) / server-counted, per deployment over the hour ending at each scrape.', unit: 'percentunit', width: 24, decimals: 2 },
        [promQuery('max by (deployment) (token_factory_metering_drift)', '{{deployment}}')],
      ).thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps('green', [0.02, 'red']))),
    )
    .build();
}
