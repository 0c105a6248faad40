/** Dashboard variables shared by the dashboards. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE } from './datasources.js';
import { MODELS_SQL, TENANTS_SQL } from './sql.js';

/**
 * A multi-value variable filled by a ClickHouse query over the range; "All" is `.*` so
 * that PromQL matchers (`model_name=~"$model"`) accept it, and SQL panels skip the
 * filter through `$__conditionalAll`.
 */
function clickhouseVariable(name: string, label: string, rawSql: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(CLICKHOUSE)
    .query({ editorType: 'sql', rawSql })
    .definition(rawSql)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

export const modelVariable = () => clickhouseVariable('model', 'Model', MODELS_SQL);
export const tenantVariable = () => clickhouseVariable('tenant', 'Tenant', TENANTS_SQL);
