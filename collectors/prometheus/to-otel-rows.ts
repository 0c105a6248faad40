/**
 * Maps parsed Prometheus / OpenMetrics families to rows of the clickhouseexporter's
 * metric tables, the way otelcol-contrib's prometheus receiver builds OTLP metrics from
 * a scrape and the clickhouseexporter writes them, so rows from this decoder and from a
 * site's own collector read the same. Followed sources (opentelemetry-collector-contrib):
 * `receiver/prometheusreceiver/internal/{prom_to_otlp,metricfamily,metadata,util}.go`.
 *
 * Receiver behaviour kept:
 * - resource: `service.name` = job, `service.instance.id` = instance, `server.address` =
 *   host of instance unless it is localhost/loopback/unspecified, `server.port` = port
 *   (always set, "" when instance has none), `url.scheme`. A sample's own `job` /
 *   `instance` labels (federation, backfill) select its resource, as they do in the
 *   receiver, and never become attributes.
 * - counter → monotonic cumulative sum named by the sample (`foo_total` stays);
 *   gauge/untyped/unknown → gauge; histogram → cumulative histogram named by the family,
 *   `ExplicitBounds` = `le` bounds without +Inf, per-bucket (de-cumulated) counts;
 *   summary → summary; info and stateset → non-monotonic cumulative sums (info named
 *   by the family, without `_info`); gaugehistogram → gauges (`_bucket` samples named by
 *   the family with `le` kept, `_gsum`/`_gcount` by their own names).
 * - attributes: labels minus `__name__`, `job`, `instance` (and `le` for histograms,
 *   `quantile` for summaries); labels with empty values are omitted.
 * - bucket and summary counts are uint64 in OTLP: fractions are truncated.
 *
 * Deliberate differences:
 * - `StartTimeUnix` is the `_created` sample when there is one, else "0" ("unknown").
 *   The receiver sets the point's own timestamp and lets its stateful metrics adjuster
 *   rewrite it to the first scrape's time; a pure per-payload mapper cannot.
 * - a histogram without a +Inf bucket or with decreasing cumulative counts, and a
 *   summary without `_count`, is a `DecodeError` naming the line; the receiver drops such
 *   points silently. A histogram without `_count` takes its count from the +Inf bucket.
 * - points of one series at different timestamps (backfill) are separate rows; the
 *   receiver, which sees one scrape at a time, would reject all but the first.
 * - `ScopeVersion` is "" (the receiver writes the collector's version); the
 *   `otel_scope_*` labels and `target_info` are not turned into scope/resource data.
 *
 * Times: `TimeUnix`/`StartTimeUnix` are unix nanoseconds as decimal strings, computed
 * with string arithmetic from the millisecond/second numbers (no float multiply).
 */
import { DecodeError } from '../../core/errors.js';
import type {
  Attributes,
  GaugeRow,
  HistogramRow,
  MetricRowBase,
  RawRows,
  SumRow,
  SummaryRow,
  UnixNano,
} from '../../core/schema/otel-rows.js';
import { emptyRawRows } from '../../core/schema/otel-rows.js';
import type { Exemplar, MetricFamily, Sample } from './parse-exposition.js';
import { parseFloatToken } from './parse-number.js';
import { resourceAttributes } from './target-resource.js';
import { msToUnixNano, secondsToUnixNano } from './unix-nano.js';

export const PROMETHEUS_RECEIVER_SCOPE = 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver';

export interface ExpositionToRowsOptions {
  /** the scrape job: `service.name` and the `ServiceName` column */
  job: string;
  /** the scraped target, usually host:port: `service.instance.id` */
  instance: string;
  /** unix nanoseconds (decimal string) for samples written without a timestamp: the scrape time */
  defaultTimeNs: UnixNano;
  /** added to every row's `Attributes`; a sample's own label of the same name wins */
  extraLabels?: Record<string, string>;
  /** `url.scheme` of the resource; default "http" */
  scheme?: string;
}

const AGGREGATION_CUMULATIVE = 2;
const EMPTY_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;

/**
 * Maps parsed families to raw-table rows. Rows share frozen objects for their resource
 * attributes, scope attributes and empty exemplar columns: copy before changing them.
 */
export function expositionToRows(families: readonly MetricFamily[], opts: ExpositionToRowsOptions): RawRows {
  if (!/^-?\d+$/.test(opts.defaultTimeNs)) {
    throw new TypeError(`defaultTimeNs must be unix nanoseconds as a decimal string, got ${JSON.stringify(opts.defaultTimeNs)}`);
  }
  const mapper = new RowMapper(opts);
  for (const family of families) mapper.addFamily(family);
  return mapper.rows;
}

interface Resource {
  ServiceName: string;
  ResourceAttributes: Attributes;
}

type ExemplarColumns = Pick<
  MetricRowBase,
  'Exemplars.FilteredAttributes' | 'Exemplars.TimeUnix' | 'Exemplars.Value' | 'Exemplars.SpanId' | 'Exemplars.TraceId'
>;

/** One histogram or summary point: the samples of one series (labels minus le/quantile) at one time. */
interface Group {
  /** a sample of the group, for its labels, time and line */
  first: Sample;
  bounds: { bound: number; count: number; sample: Sample }[];
  sum?: number;
  count?: number;
  created?: number;
  exemplars: Exemplar[];
  lastLine: number;
}

class RowMapper {
  readonly rows: RawRows = emptyRawRows();
  private readonly resources = new Map<string, Resource>();
  private readonly defaultResource: Resource;
  private readonly extraLabels: Record<string, string>;
  private readonly attributeCache = new Map<ReadonlySet<string>, WeakMap<object, Attributes>>();
  private lastMs = NaN;
  private lastNs: UnixNano = '';

  constructor(private readonly opts: ExpositionToRowsOptions) {
    this.extraLabels = opts.extraLabels ?? {};
    this.defaultResource = this.resource(opts.job, opts.instance);
  }

  addFamily(family: MetricFamily): void {
    switch (family.type) {
      case 'counter':
        return this.addSums(family, true);
      case 'info':
      case 'stateset':
        return this.addSums(family, false);
      case 'histogram':
        return this.addHistograms(family);
      case 'summary':
        return this.addSummaries(family);
      case 'gaugehistogram':
      case 'gauge':
      case 'untyped':
      case 'unknown':
        return this.addGauges(family);
    }
  }

  // ---- gauges and sums ---------------------------------------------------------------

  private addGauges(family: MetricFamily): void {
    const out = this.rows.otel_metrics_gauge;
    const bucketName = family.name + '_bucket';
    for (const s of family.samples) {
      const name = family.type === 'gaugehistogram' && s.name === bucketName ? family.name : s.name;
      const r = this.resourceOf(s);
      const ex = exemplarColumns(s.exemplar);
      out.push({
        ResourceAttributes: r.ResourceAttributes,
        ResourceSchemaUrl: '',
        ScopeName: PROMETHEUS_RECEIVER_SCOPE,
        ScopeVersion: '',
        ScopeAttributes: EMPTY_ATTRIBUTES,
        ScopeDroppedAttrCount: 0,
        ScopeSchemaUrl: '',
        ServiceName: r.ServiceName,
        MetricName: name,
        MetricDescription: family.help,
        MetricUnit: family.unit,
        Attributes: this.attributes(s.labels, NO_DROP),
        StartTimeUnix: '0',
        TimeUnix: this.timeNs(s.timestampMs),
        Flags: 0,
        'Exemplars.FilteredAttributes': ex['Exemplars.FilteredAttributes'],
        'Exemplars.TimeUnix': ex['Exemplars.TimeUnix'],
        'Exemplars.Value': ex['Exemplars.Value'],
        'Exemplars.SpanId': ex['Exemplars.SpanId'],
        'Exemplars.TraceId': ex['Exemplars.TraceId'],
        Value: s.value,
      } satisfies GaugeRow);
    }
  }

  private addSums(family: MetricFamily, monotonic: boolean): void {
    const out = this.rows.otel_metrics_sum;
    const createdName = family.name + '_created';
    const created = monotonic ? this.createdTimes(family, createdName) : undefined;
    const metricName = family.type === 'info' ? family.name : undefined;
    for (const s of family.samples) {
      if (created !== undefined && s.name === createdName) continue;
      const start = created?.get(seriesTimeKey(s.labels, undefined, s.timestampMs));
      const r = this.resourceOf(s);
      const ex = exemplarColumns(s.exemplar);
      out.push({
        ResourceAttributes: r.ResourceAttributes,
        ResourceSchemaUrl: '',
        ScopeName: PROMETHEUS_RECEIVER_SCOPE,
        ScopeVersion: '',
        ScopeAttributes: EMPTY_ATTRIBUTES,
        ScopeDroppedAttrCount: 0,
        ScopeSchemaUrl: '',
        ServiceName: r.ServiceName,
        MetricName: metricName ?? s.name,
        MetricDescription: family.help,
        MetricUnit: family.unit,
        Attributes: this.attributes(s.labels, NO_DROP),
        StartTimeUnix: start === undefined ? '0' : secondsToUnixNano(start),
        TimeUnix: this.timeNs(s.timestampMs),
        Flags: 0,
        'Exemplars.FilteredAttributes': ex['Exemplars.FilteredAttributes'],
        'Exemplars.TimeUnix': ex['Exemplars.TimeUnix'],
        'Exemplars.Value': ex['Exemplars.Value'],
        'Exemplars.SpanId': ex['Exemplars.SpanId'],
        'Exemplars.TraceId': ex['Exemplars.TraceId'],
        Value: s.value,
        AggregationTemporality: AGGREGATION_CUMULATIVE,
        IsMonotonic: monotonic,
      } satisfies SumRow);
    }
  }

  /** `_created` values (unix seconds) by series and time. */
  private createdTimes(family: MetricFamily, createdName: string): Map<string, number> | undefined {
    let created: Map<string, number> | undefined;
    for (const s of family.samples) {
      if (s.name === createdName) {
        created ??= new Map();
        created.set(seriesTimeKey(s.labels, undefined, s.timestampMs), s.value);
      }
    }
    return created;
  }

  // ---- histograms and summaries -------------------------------------------------------

  private addHistograms(family: MetricFamily): void {
    const out = this.rows.otel_metrics_histogram;
    for (const g of this.group(family, 'le', '_bucket')) {
      const desc = `histogram ${JSON.stringify(family.name)}${formatLabels(g.first.labels, 'le')}`;
      g.bounds.sort((a, b) => a.bound - b.bound);
      const last = g.bounds[g.bounds.length - 1];
      if (last === undefined || last.bound !== Infinity) {
        throw new DecodeError(`${desc} has no le="+Inf" bucket`, { line: g.lastLine, column: 1 });
      }
      const explicitBounds: number[] = [];
      const bucketCounts: number[] = [];
      let previous: (typeof g.bounds)[number] | undefined;
      for (const b of g.bounds) {
        if (previous !== undefined) {
          if (b.bound === previous.bound) {
            throw new DecodeError(`${desc} has two buckets le="${b.sample.labels['le']}"`, { line: b.sample.line, column: 1 });
          }
          if (b.count < previous.count) {
            throw new DecodeError(
              `${desc}: bucket le="${b.sample.labels['le']}" counts ${b.count}, less than ${previous.count} in bucket le="${previous.sample.labels['le']}" (cumulative counts must not decrease)`,
              { line: b.sample.line, column: 1 },
            );
          }
        }
        if (b.bound !== Infinity) explicitBounds.push(b.bound);
        bucketCounts.push(Math.trunc(previous === undefined ? b.count : b.count - previous.count));
        previous = b;
      }
      const r = this.resourceOf(g.first);
      const ex = exemplarColumns(...g.exemplars);
      out.push({
        ResourceAttributes: r.ResourceAttributes,
        ResourceSchemaUrl: '',
        ScopeName: PROMETHEUS_RECEIVER_SCOPE,
        ScopeVersion: '',
        ScopeAttributes: EMPTY_ATTRIBUTES,
        ScopeDroppedAttrCount: 0,
        ScopeSchemaUrl: '',
        ServiceName: r.ServiceName,
        MetricName: family.name,
        MetricDescription: family.help,
        MetricUnit: family.unit,
        Attributes: this.attributes(g.first.labels, DROP_LE),
        StartTimeUnix: g.created === undefined ? '0' : secondsToUnixNano(g.created),
        TimeUnix: this.timeNs(g.first.timestampMs),
        Flags: 0,
        'Exemplars.FilteredAttributes': ex['Exemplars.FilteredAttributes'],
        'Exemplars.TimeUnix': ex['Exemplars.TimeUnix'],
        'Exemplars.Value': ex['Exemplars.Value'],
        'Exemplars.SpanId': ex['Exemplars.SpanId'],
        'Exemplars.TraceId': ex['Exemplars.TraceId'],
        Count: Math.trunc(g.count ?? last.count),
        Sum: g.sum ?? 0,
        BucketCounts: bucketCounts,
        ExplicitBounds: explicitBounds,
        Min: 0,
        Max: 0,
        AggregationTemporality: AGGREGATION_CUMULATIVE,
      } satisfies HistogramRow);
    }
  }

  private addSummaries(family: MetricFamily): void {
    const out = this.rows.otel_metrics_summary;
    for (const g of this.group(family, 'quantile', '')) {
      if (g.count === undefined) {
        throw new DecodeError(
          `summary ${JSON.stringify(family.name)}${formatLabels(g.first.labels, 'quantile')} has no ${family.name}_count sample`,
          { line: g.lastLine, column: 1 },
        );
      }
      g.bounds.sort((a, b) => a.bound - b.bound);
      const r = this.resourceOf(g.first);
      out.push({
        ResourceAttributes: r.ResourceAttributes,
        ResourceSchemaUrl: '',
        ScopeName: PROMETHEUS_RECEIVER_SCOPE,
        ScopeVersion: '',
        ScopeAttributes: EMPTY_ATTRIBUTES,
        ScopeDroppedAttrCount: 0,
        ScopeSchemaUrl: '',
        ServiceName: r.ServiceName,
        MetricName: family.name,
        MetricDescription: family.help,
        MetricUnit: family.unit,
        Attributes: this.attributes(g.first.labels, DROP_QUANTILE),
        StartTimeUnix: g.created === undefined ? '0' : secondsToUnixNano(g.created),
        TimeUnix: this.timeNs(g.first.timestampMs),
        Flags: 0,
        Count: Math.trunc(g.count),
        Sum: g.sum ?? 0,
        'ValueAtQuantiles.Quantile': g.bounds.map((b) => b.bound),
        'ValueAtQuantiles.Value': g.bounds.map((b) => b.count),
      } satisfies SummaryRow);
    }
  }

  /**
   * Groups a histogram's or summary's samples into points: one per series (labels
   * without `boundLabel`) and timestamp, in order of first appearance.
   */
  private group(family: MetricFamily, boundLabel: 'le' | 'quantile', boundSuffix: string): Iterable<Group> {
    const groups = new Map<string, Group>();
    const boundName = family.name + boundSuffix;
    const sumName = family.name + '_sum';
    const countName = family.name + '_count';
    const createdName = family.name + '_created';
    for (const s of family.samples) {
      const key = seriesTimeKey(s.labels, boundLabel, s.timestampMs);
      let g = groups.get(key);
      if (g === undefined) {
        g = { first: s, bounds: [], exemplars: [], lastLine: s.line };
        groups.set(key, g);
      }
      g.lastLine = s.line;
      if (s.exemplar !== undefined) g.exemplars.push(s.exemplar);
      if (s.name === boundName) {
        const raw = s.labels[boundLabel];
        const bound = raw === undefined || raw === '' ? undefined : parseFloatToken(raw);
        if (bound === undefined || Number.isNaN(bound)) {
          throw new DecodeError(
            raw === undefined
              ? `${family.type} sample ${JSON.stringify(s.name)} has no '${boundLabel}' label`
              : `${family.type} sample ${JSON.stringify(s.name)} has an invalid ${boundLabel}=${JSON.stringify(raw)}`,
            { line: s.line, column: 1 },
          );
        }
        g.bounds.push({ bound, count: s.value, sample: s });
      } else if (s.name === sumName) {
        g.sum = s.value;
      } else if (s.name === countName) {
        g.count = s.value;
      } else if (s.name === createdName) {
        g.created = s.value;
      }
    }
    return groups.values();
  }

  // ---- shared columns ----------------------------------------------------------------

  /** The resource of a sample: its own `job`/`instance` labels win over the options'. */
  private resourceOf(s: Sample): Resource {
    const job = s.labels['job'];
    const instance = s.labels['instance'];
    if ((job === undefined || job === '') && (instance === undefined || instance === '')) return this.defaultResource;
    return this.resource(job || this.opts.job, instance || this.opts.instance);
  }

  /**
   * A row's `Attributes`. The parser shares one frozen labels object between the samples
   * of a series, so the attributes built from it are shared (and frozen) the same way.
   */
  private attributes(labels: Record<string, string>, drop: ReadonlySet<string>): Attributes {
    if (!Object.isFrozen(labels)) return this.buildAttributes(labels, drop);
    let cache = this.attributeCache.get(drop);
    if (cache === undefined) {
      cache = new WeakMap();
      this.attributeCache.set(drop, cache);
    }
    let attributes = cache.get(labels);
    if (attributes === undefined) {
      attributes = Object.freeze(this.buildAttributes(labels, drop));
      cache.set(labels, attributes);
    }
    return attributes;
  }

  private buildAttributes(labels: Record<string, string>, drop: ReadonlySet<string>): Attributes {
    const attributes: Attributes = {};
    for (const k in labels) {
      const v = labels[k];
      if (v === undefined || v === '' || ALWAYS_DROPPED.has(k) || drop.has(k)) continue;
      attributes[k] = v;
    }
    for (const k in this.extraLabels) {
      const v = this.extraLabels[k];
      if (v !== undefined && v !== '' && attributes[k] === undefined && !ALWAYS_DROPPED.has(k)) attributes[k] = v;
    }
    return attributes;
  }

  /** `TimeUnix` of a sample; consecutive samples usually share a timestamp, so the last one is cached. */
  private timeNs(timestampMs: number | undefined): UnixNano {
    if (timestampMs === undefined) return this.opts.defaultTimeNs;
    if (timestampMs !== this.lastMs) {
      this.lastMs = timestampMs;
      this.lastNs = msToUnixNano(timestampMs);
    }
    return this.lastNs;
  }

  private resource(job: string, instance: string): Resource {
    const key = job + '\u0000' + instance;
    let r = this.resources.get(key);
    if (r === undefined) {
      r = { ServiceName: job, ResourceAttributes: Object.freeze(resourceAttributes(job, instance, this.opts.scheme ?? 'http')) };
      this.resources.set(key, r);
    }
    return r;
  }
}

const ALWAYS_DROPPED: ReadonlySet<string> = new Set(['__name__', 'job', 'instance', '__scheme__', '__metrics_path__']);
const NO_DROP: ReadonlySet<string> = new Set();
const DROP_LE: ReadonlySet<string> = new Set(['le']);
const DROP_QUANTILE: ReadonlySet<string> = new Set(['quantile']);

const seriesKeys = new Map<string | undefined, WeakMap<object, string>>();

/**
 * Canonical key of a series (labels sorted by name, minus `without`) at one timestamp.
 * Memoized per labels object: the parser shares one between the samples of a series.
 */
function seriesTimeKey(labels: Record<string, string>, without: string | undefined, timestampMs: number | undefined): string {
  let cache = seriesKeys.get(without);
  if (cache === undefined) {
    cache = new WeakMap();
    seriesKeys.set(without, cache);
  }
  let key = cache.get(labels);
  if (key === undefined) {
    const names = Object.keys(labels);
    if (names.length > 1) names.sort();
    key = '';
    for (const k of names) {
      if (k !== without) key += '\u0000' + k + '\u0001' + labels[k];
    }
    cache.set(labels, key);
  }
  return timestampMs === undefined ? key : String(timestampMs) + key;
}

function formatLabels(labels: Record<string, string>, without: string): string {
  const parts: string[] = [];
  for (const k in labels) if (k !== without) parts.push(`${k}=${JSON.stringify(labels[k])}`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

// ---- exemplars -----------------------------------------------------------------------

/** Shared by every row without exemplars (most of them); frozen so no row can change another's. */
const NO_EXEMPLAR_COLUMNS: ExemplarColumns = Object.freeze({
  'Exemplars.FilteredAttributes': Object.freeze([]) as unknown as Attributes[],
  'Exemplars.TimeUnix': Object.freeze([]) as unknown as UnixNano[],
  'Exemplars.Value': Object.freeze([]) as unknown as number[],
  'Exemplars.SpanId': Object.freeze([]) as unknown as string[],
  'Exemplars.TraceId': Object.freeze([]) as unknown as string[],
});

/** Exemplar columns as the receiver converts them (convertExemplar in metricfamily.go). */
function exemplarColumns(...exemplars: (Exemplar | undefined)[]): ExemplarColumns {
  let cols: ExemplarColumns | undefined;
  for (const e of exemplars) {
    if (e === undefined) continue;
    cols ??= {
      'Exemplars.FilteredAttributes': [],
      'Exemplars.TimeUnix': [],
      'Exemplars.Value': [],
      'Exemplars.SpanId': [],
      'Exemplars.TraceId': [],
    };
    const filtered: Attributes = {};
    let traceId = '';
    let spanId = '';
    for (const k in e.labels) {
      const v = e.labels[k] ?? '';
      const lower = k.toLowerCase();
      const id = lower === 'trace_id' ? hexId(v, 16) : lower === 'span_id' ? hexId(v, 8) : undefined;
      if (id === undefined) filtered[k] = v;
      else if (lower === 'trace_id') traceId = id;
      else spanId = id;
    }
    cols['Exemplars.FilteredAttributes'].push(filtered);
    cols['Exemplars.TimeUnix'].push(e.timestampMs === undefined ? '0' : msToUnixNano(e.timestampMs));
    cols['Exemplars.Value'].push(e.value);
    cols['Exemplars.SpanId'].push(spanId);
    cols['Exemplars.TraceId'].push(traceId);
  }
  return cols ?? NO_EXEMPLAR_COLUMNS;
}

/**
 * A trace/span id label as the receiver reads it (decodeAndCopyToLowerBytes): hex,
 * truncated to or left-padded with zeros to `bytes`; the exporter writes lowercase hex,
 * "" for an all-zero id. Undefined when it is not hex (then it stays an attribute).
 */
function hexId(value: string, bytes: number): string | undefined {
  const width = bytes * 2;
  const used = Math.floor(value.length / 2) >= bytes ? value.slice(0, width) : value;
  if (used.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(used)) return undefined;
  const id = used.padStart(width, '0').toLowerCase();
  return /^0*$/.test(id) ? '' : id;
}
