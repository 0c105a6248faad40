/**
 * Staleness, as Prometheus marks it: a series that was in a target's previous scrape and
 * is not in this one (or the scrape failed) is stale as of this scrape. otelcol-contrib's
 * prometheus receiver writes such a marker as a data point with the OTLP flag
 * NO_RECORDED_VALUE (Flags = 1) and no value (NaN); {@link StalenessTracker.markers}
 * builds the same rows, from the series' last row, at the scrape's time.
 *
 * Series identity: raw table, metric name, service, instance, attributes.
 */
import type { RawRows, UnixNano } from '../../core/schema/otel-rows.js';
import { METRIC_TABLES, type MetricTable } from './mappers/relabel.js';

/** OTLP DataPointFlags.FLAG_NO_RECORDED_VALUE */
export const FLAG_NO_RECORDED_VALUE = 1;

type AnyMetricRow = RawRows[MetricTable][number];

export class StalenessTracker {
  private last = new Map<string, { table: MetricTable; row: AnyMetricRow }>();

  /** Series of the previous scrape; `observe` replaces them with this scrape's. Returns the keys that vanished. */
  observe(rows: RawRows | undefined): { table: MetricTable; row: AnyMetricRow }[] {
    const now = new Map<string, { table: MetricTable; row: AnyMetricRow }>();
    if (rows) {
      for (const table of METRIC_TABLES) {
        for (const row of rows[table] as AnyMetricRow[]) now.set(seriesKey(table, row), { table, row });
      }
    }
    const vanished: { table: MetricTable; row: AnyMetricRow }[] = [];
    for (const [key, v] of this.last) if (!now.has(key)) vanished.push(v);
    this.last = now;
    return vanished;
  }

  /** Staleness markers for `vanished` series at `timeNs`. */
  static markers(vanished: readonly { table: MetricTable; row: AnyMetricRow }[], timeNs: UnixNano): Partial<RawRows> {
    const out: Partial<RawRows> = {};
    for (const { table, row } of vanished) {
      const marker = { ...row, TimeUnix: timeNs, Flags: FLAG_NO_RECORDED_VALUE } as Record<string, unknown>;
      if ('Value' in marker) marker['Value'] = Number.NaN;
      if ('Count' in marker) Object.assign(marker, { Count: 0, Sum: Number.NaN });
      if ('BucketCounts' in marker) Object.assign(marker, { BucketCounts: [], ExplicitBounds: [], Min: Number.NaN, Max: Number.NaN });
      if ('PositiveBucketCounts' in marker) Object.assign(marker, { PositiveBucketCounts: [], NegativeBucketCounts: [], ZeroCount: 0, Min: Number.NaN, Max: Number.NaN });
      if ('ValueAtQuantiles.Quantile' in marker) Object.assign(marker, { 'ValueAtQuantiles.Quantile': [], 'ValueAtQuantiles.Value': [] });
      if ('Exemplars.Value' in marker) Object.assign(marker, { 'Exemplars.FilteredAttributes': [], 'Exemplars.TimeUnix': [], 'Exemplars.Value': [], 'Exemplars.SpanId': [], 'Exemplars.TraceId': [] });
      ((out[table] ??= []) as unknown[]).push(marker);
    }
    return out;
  }
}

function seriesKey(table: MetricTable, row: AnyMetricRow): string {
  const attrs = Object.keys(row.Attributes)
    .sort()
    .map((k) => `${k}\u0001${row.Attributes[k]}`)
    .join('\u0002');
  return `${table}\u0000${row.MetricName}\u0000${row.ServiceName}\u0000${row.ResourceAttributes['service.instance.id'] ?? ''}\u0000${attrs}`;
}
