/**
 * A panel target for Grafana's official ClickHouse data source
 * (`grafana-clickhouse-datasource`, v4), which the foundation SDK has no builder for.
 * The shape follows the plugin's saved query (src/types/sql.ts: `CHSqlQuery`):
 * `editorType: 'sql'`, `rawSql`, `queryType` ('table' | 'timeSeries' | …) and the
 * numeric `format` its backend reads (sqlds: 0 time series, 1 table).
 *
 * SQL may use the plugin's macros: `$__timeFilter(col)` (col within the dashboard's
 * range), `$__timeInterval(col)` (col rounded down to the panel's interval),
 * `$__interval_s`, `$__conditionalAll(condition, $var)`; and dashboard variables
 * (`${model:singlequote}`).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import { CLICKHOUSE } from './datasources.js';

export type ClickHouseQueryType = 'table' | 'timeSeries';

/** sqlds' FormatQueryOption. */
export const CLICKHOUSE_FORMAT = { timeSeries: 0, table: 1 } as const satisfies Record<ClickHouseQueryType, number>;

export interface ClickHouseQuery extends cog.Dataquery {
  refId?: string;
  hide?: boolean;
  datasource?: common.DataSourceRef;
  editorType: 'sql';
  queryType: ClickHouseQueryType;
  format: number;
  rawSql: string;
}

export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(rawSql: string) {
    this.internal = {
      datasource: CLICKHOUSE,
      editorType: 'sql',
      queryType: 'timeSeries',
      format: CLICKHOUSE_FORMAT.timeSeries,
      rawSql: dedent(rawSql),
      // the SDK's data query variants are discriminated by this marker method; it is
      // not serialised (JSON.stringify skips functions)
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: common.DataSourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  /** time series (a `time` column, long or wide) or a table */
  queryType(queryType: ClickHouseQueryType): this {
    this.internal.queryType = queryType;
    this.internal.format = CLICKHOUSE_FORMAT[queryType];
    return this;
  }

  table(): this {
    return this.queryType('table');
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }
}

/** Strips the common indentation of a template literal, so the SQL reads well in the editor. */
export function dedent(sql: string): string {
  const lines = sql.replace(/^\n+/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
