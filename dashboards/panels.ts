/**
 * Small builders over the foundation SDK that give every panel the same shape: a title,
 * a description saying where the figure comes from, a unit, and its targets (PromQL on
 * the token-factory Prometheus, or SQL on ClickHouse).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import { ClickHouseQueryBuilder } from './clickhouse-query.js';
import { CLICKHOUSE, PROMETHEUS } from './datasources.js';

export interface PanelOptions {
  title: string;
  description: string;
  unit: string;
  /** grid width, of 24 (default 12) */
  width?: number;
  /** grid height (default 8) */
  height?: number;
  min?: number;
  max?: number;
  decimals?: number;
}

/** A PromQL target; the legend is a Grafana legend template (`{{model}}`). */
export function promQuery(expr: string, legend: string, refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .expr(expr)
    .legendFormat(legend)
    .editorMode(prometheus.QueryEditorMode.Code)
    .range()
    .refId(refId);
}

/** An instant PromQL target (stat, bar gauge, table panels). */
export function promInstant(expr: string, legend: string, refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .expr(expr)
    .legendFormat(legend)
    .editorMode(prometheus.QueryEditorMode.Code)
    .instant()
    .format(prometheus.PromQueryFormat.Table)
    .refId(refId);
}

/** A ClickHouse SQL target returning a `time` column and values (long form: string columns split series). */
export function chSeries(sql: string, refId = 'A'): ClickHouseQueryBuilder {
  return new ClickHouseQueryBuilder(sql).queryType('timeSeries').refId(refId);
}

/** A ClickHouse SQL target returning a table. */
export function chTable(sql: string, refId = 'A'): ClickHouseQueryBuilder {
  return new ClickHouseQueryBuilder(sql).table().refId(refId);
}

/** refIds A, B, C … in order. */
export function refIds<T extends { refId(id: string): T }>(targets: T[]): T[] {
  return targets.map((t, i) => t.refId(String.fromCharCode(65 + i)));
}

function datasourceOf(targets: cog.Builder<cog.Dataquery>[]): common.DataSourceRef {
  return targets.every((t) => t instanceof ClickHouseQueryBuilder) ? CLICKHOUSE : PROMETHEUS;
}

export function timeSeriesPanel(o: PanelOptions, targets: cog.Builder<cog.Dataquery>[]): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(datasourceOf(targets))
    .targets(targets)
    .unit(o.unit)
    .span(o.width ?? 12)
    .height(o.height ?? 8)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).showLegend(true).calcs(['mean', 'max', 'lastNotNull']))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  if (o.decimals !== undefined) p.decimals(o.decimals);
  return p;
}

export function statPanel(o: PanelOptions, targets: cog.Builder<cog.Dataquery>[], thresholds?: dashboard.Threshold[]): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(datasourceOf(targets))
    .targets(targets)
    .unit(o.unit)
    .span(o.width ?? 6)
    .height(o.height ?? 5)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None);
  if (thresholds) p.thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(thresholds));
  if (o.decimals !== undefined) p.decimals(o.decimals);
  return p;
}

export function barGaugePanel(o: PanelOptions, targets: cog.Builder<cog.Dataquery>[], thresholds: dashboard.Threshold[]): bargauge.PanelBuilder {
  const p = new bargauge.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(datasourceOf(targets))
    .targets(targets)
    .unit(o.unit)
    .span(o.width ?? 12)
    .height(o.height ?? 8)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(thresholds));
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  return p;
}

export function tablePanel(o: PanelOptions, targets: cog.Builder<cog.Dataquery>[]): table.PanelBuilder {
  const p = new table.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(datasourceOf(targets))
    .targets(targets)
    .unit(o.unit)
    .span(o.width ?? 24)
    .height(o.height ?? 8);
  if (o.decimals !== undefined) p.decimals(o.decimals);
  return p;
}

/** Threshold steps: the first has no lower bound (null), as Grafana expects. */
export function steps(base: string, ...rest: [number, string][]): dashboard.Threshold[] {
  return [{ value: null, color: base }, ...rest.map(([value, color]) => ({ value, color }))];
}

export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}
