/**
 * Exporter samples as OTLP metrics, shaped the way otelcol-contrib's prometheus
 * receiver turns a scrape into OTLP (so a backfill pushed over OTLP/HTTP lands in the
 * same rows a live scrape of the same moment would):
 *
 * - one resource per scrape target: `service.name` = job, `server.address` = the
 *   instance's host unless it is loopback/localhost/unspecified, `service.instance.id`
 *   = instance, `server.port`, `url.scheme`;
 * - scope `…/receiver/prometheusreceiver`, no version;
 * - gauges → gauges; counters → monotonic cumulative sums named as exposed (`_total`
 *   kept), start time unknown (0); histograms → cumulative histograms with the `le`
 *   bounds without +Inf and per-bucket (not cumulative) counts, no min/max;
 * - every value a double; labels → attributes; HELP → description; no unit.
 *
 * Points of one series at many sample times go in one export (a backfill batches an
 * hour of samples per target).
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Field } from './exporter-fields.js';

export const PROMETHEUS_RECEIVER_SCOPE = 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver';

export interface ScrapeIdentity {
  job: string;
  /** host:port of the target */
  instance: string;
}

export function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

const UNKNOWN_START: HrTime = [0, 0];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '0.0.0.0' || host === '::';
}

/** The receiver's resource of a scrape target (prom_to_otlp.go CreateResource). */
export function scrapeResourceAttributes(t: ScrapeIdentity): Attributes {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d*)$/.exec(t.instance);
  const host = m ? (m[1] ?? m[2] ?? '') : t.instance;
  const port = m ? m[3]! : '';
  const attrs: Attributes = { 'service.name': t.job };
  if (!isLoopback(host)) attrs['server.address'] = host;
  attrs['service.instance.id'] = t.instance;
  attrs['server.port'] = port;
  attrs['url.scheme'] = 'http';
  return attrs;
}

interface PendingMetric {
  field: Field<unknown>;
  points: DataPoint<number | Histogram>[];
}

/** Samples of one scrape target over time, taken into one OTLP ResourceMetrics. */
export class TargetSamples<S> {
  private readonly pending: PendingMetric[];
  private count = 0;

  constructor(
    readonly target: ScrapeIdentity,
    private readonly fields: readonly Field<S>[],
  ) {
    this.pending = fields.map((field) => ({ field: field as Field<unknown>, points: [] }));
  }

  /** data points waiting */
  get points(): number {
    return this.count;
  }

  /** Records what the target would expose at `tMs`. */
  add(tMs: number, subject: S): void {
    const time = hrTime(tMs);
    this.fields.forEach((f, i) => {
      const points = this.pending[i]!.points;
      if (f.type === 'histogram') {
        for (const s of f.series(subject)) {
          points.push({
            startTime: UNKNOWN_START,
            endTime: time,
            attributes: s.labels,
            value: { buckets: { boundaries: [...s.hist.bounds], counts: [...s.hist.counts] }, sum: s.hist.sum, count: s.hist.count },
          });
        }
      } else {
        for (const s of f.series(subject)) points.push({ startTime: UNKNOWN_START, endTime: time, attributes: s.labels, value: s.value });
      }
    });
    this.count = this.pending.reduce((n, p) => n + p.points.length, 0);
  }

  /** The samples recorded so far as one ResourceMetrics (undefined when none), and forgets them. */
  take(): ResourceMetrics | undefined {
    if (this.count === 0) return undefined;
    const metrics: MetricData[] = [];
    for (const p of this.pending) {
      if (p.points.length === 0) continue;
      const descriptor = { name: p.field.name, description: p.field.help, unit: '', valueType: ValueType.DOUBLE };
      if (p.field.type === 'histogram') {
        metrics.push({ descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: p.points as DataPoint<Histogram>[] });
      } else if (p.field.type === 'counter') {
        metrics.push({ descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: p.points as DataPoint<number>[] });
      } else {
        metrics.push({ descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: p.points as DataPoint<number>[] });
      }
      p.points = [];
    }
    this.count = 0;
    return {
      resource: resourceFromAttributes(scrapeResourceAttributes(this.target)),
      scopeMetrics: [{ scope: { name: PROMETHEUS_RECEIVER_SCOPE, version: '' }, metrics }],
    };
  }
}
