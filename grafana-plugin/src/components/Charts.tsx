/**
 * Charts with Grafana's own visualizations: `TimeSeries` (uPlot) for KPIs over time and
 * `BarGauge` for side-by-side figures. Both need pixel sizes, so they sit in `Sized`.
 */
import React, { useMemo } from 'react';
import {
  applyFieldOverrides,
  createDataFrame,
  FieldColorModeId,
  FieldType,
  getDisplayProcessor,
  VizOrientation,
  type DataFrame,
  type TimeRange,
} from '@grafana/data';
import { BarGauge, BarGaugeDisplayMode, LegendDisplayMode, PanelChrome, TimeSeries, useTheme2 } from '@grafana/ui';
import { column } from '../api/frames';
import { formatKpi, grafanaUnit } from '../format/format';
import { Sized } from './Sized';

const LINE_DEFAULTS = {
  drawStyle: 'line',
  lineInterpolation: 'linear',
  lineWidth: 2,
  fillOpacity: 10,
  showPoints: 'always',
  pointSize: 5,
  spanNulls: false,
  axisPlacement: 'auto',
  axisBorderShow: false,
  gradientMode: 'none',
  barAlignment: 0,
  stacking: { mode: 'none', group: 'A' },
  hideFrom: { legend: false, tooltip: false, viz: false },
};

export type SeriesSpec =
  /** one series per value of `by` (e.g. model), plotting `value` */
  | { by: string; value: string }
  /** one series per KPI column */
  | { values: Array<{ name: string; label: string }> };

/**
 * Series of a KPI frame with a time field (`hour` or `day`) → one DataFrame per series
 * (time + value), with units and display processors applied.
 */
export function seriesFrames(frame: DataFrame, time: string, spec: SeriesSpec): DataFrame[] {
  const times = column<number | null>(frame, time) ?? [];
  const make = (label: string, unitOf: string, idx: number[], values: Array<number | null>) =>
    createDataFrame({
      name: label,
      fields: [
        { name: 'time', type: FieldType.time, values: idx.map((i) => times[i]) },
        {
          name: label,
          type: FieldType.number,
          values,
          config: { unit: grafanaUnit(unitOf), displayName: label, color: { mode: FieldColorModeId.PaletteClassic }, custom: LINE_DEFAULTS },
        },
      ],
    });
  if ('by' in spec) {
    const keys = column<string>(frame, spec.by) ?? [];
    const vals = column<number | null>(frame, spec.value) ?? [];
    const groups = new Map<string, number[]>();
    keys.forEach((k, i) => groups.set(k, [...(groups.get(k) ?? []), i]));
    return [...groups.entries()].map(([k, idx]) => make(k, spec.value, idx, idx.map((i) => vals[i] ?? null)));
  }
  const all = times.map((_, i) => i);
  return spec.values.map((v) => make(v.label, v.name, all, all.map((i) => (column<number | null>(frame, v.name) ?? [])[i] ?? null)));
}

export function KpiTimeSeries({
  title,
  frame,
  time,
  spec,
  timeRange,
  height = 260,
}: {
  title: string;
  frame: DataFrame;
  time: string;
  spec: SeriesSpec;
  timeRange: TimeRange;
  height?: number;
}) {
  const theme = useTheme2();
  const frames = useMemo(
    () =>
      applyFieldOverrides({
        data: seriesFrames(frame, time, spec),
        fieldConfig: { defaults: {}, overrides: [] },
        replaceVariables: (v: string) => v,
        theme,
        timeZone: 'utc',
      }),
    [frame, time, spec, theme]
  );
  return (
    <Sized height={height}>
      {(width, h) => (
        <PanelChrome title={title} width={width} height={h}>
          {(innerWidth, innerHeight) => (
            <TimeSeries
              frames={frames}
              width={innerWidth}
              height={innerHeight}
              timeRange={timeRange}
              timeZone="utc"
              legend={{ displayMode: LegendDisplayMode.List, placement: 'bottom', showLegend: true, calcs: [] }}
            />
          )}
        </PanelChrome>
      )}
    </Sized>
  );
}

export interface Bar {
  name: string;
  label: string;
  value: number | null;
}

/** Horizontal bars on one scale (0 to the largest value), e.g. annual revenue per business model. */
export function Bars({ title, bars, height = 34 }: { title: string; bars: Bar[]; height?: number }) {
  const theme = useTheme2();
  const max = Math.max(1, ...bars.map((b) => Math.abs(b.value ?? 0)));
  const colors = ['blue', 'green', 'purple', 'orange', 'red'];
  return (
    <Sized height={bars.length * (height + 6) + 48}>
      {(width) => (
        <PanelChrome title={title} width={width} height={bars.length * (height + 6) + 48}>
          {(innerWidth) => (
            <div>
              {bars.map((b, i) => {
                const field = { min: 0, max, unit: grafanaUnit(b.name), color: { mode: FieldColorModeId.Fixed, fixedColor: colors[i % colors.length] } };
                const display = getDisplayProcessor({ field: { type: FieldType.number, config: field }, theme });
                const numeric = b.value ?? 0;
                return (
                  <div key={`${b.name} ${b.label}`} style={{ height, marginBottom: 6 }}>
                    <BarGauge
                      width={innerWidth}
                      height={height}
                      theme={theme}
                      field={field}
                      display={display}
                      value={{ ...display(numeric), numeric, text: formatKpi(b.name, b.value), prefix: undefined, suffix: undefined, title: b.label }}
                      text={{ titleSize: 13, valueSize: 16 }}
                      orientation={VizOrientation.Horizontal}
                      displayMode={BarGaugeDisplayMode.Basic}
                      showUnfilled
                      isOverflow={false}
                    />
                  </div>
                );
              })}
            </div>
          )}
        </PanelChrome>
      )}
    </Sized>
  );
}
