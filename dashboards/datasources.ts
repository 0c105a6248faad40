/**
 * The data sources the dashboards query, by the fixed uids the provisioning files give
 * them (deploy/grafana/provisioning/datasources/token-factory.yaml): a dashboard names
 * its data source by uid, so the two must agree (test/dashboards checks it).
 */
import type * as common from '@grafana/grafana-foundation-sdk/common';

/** Grafana's official ClickHouse data source plugin. */
export const CLICKHOUSE_PLUGIN_ID = 'grafana-clickhouse-datasource';

/** The token-factory Grafana app plugin (grafana-plugin/, built into grafana-plugin/dist). */
export const APP_PLUGIN_ID = 'tokenfactory-economics-app';

export const PROMETHEUS: common.DataSourceRef = { type: 'prometheus', uid: 'token-factory-prometheus' };
export const CLICKHOUSE: common.DataSourceRef = { type: CLICKHOUSE_PLUGIN_ID, uid: 'token-factory-clickhouse' };
