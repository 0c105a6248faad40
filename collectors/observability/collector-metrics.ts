/**
 * The collector's own health, as Prometheus metrics (prom-client), on one registry per
 * collector (never prom-client's global one, so tests and several collectors in one
 * process do not share counters). Names are `token_factory_` + what they count, with
 * the unit last (`_seconds`, `_bytes`) and `_total` on counters, as Prometheus names go.
 *
 * Items are what a sender counts: spans for traces, data points (rows of the metric
 * tables) for metrics. A request refused as a whole (malformed, too large, queue full)
 * cannot say how many items it held: it counts in `rejected_requests_total`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Signal = 'traces' | 'metrics';

export interface CollectorMetrics {
  readonly registry: Registry;
  /** items acknowledged to a sender (2xx) or taken from a scrape, now in the spool */
  readonly receivedItems: Counter<'signal' | 'source'>;
  /** items refused one by one in an accepted request (OTLP partial success) */
  readonly rejectedItems: Counter<'signal' | 'reason'>;
  /** requests refused whole: malformed (400), too large (413), unsupported (415/501), queue full (429/503) */
  readonly rejectedRequests: Counter<'signal' | 'status' | 'reason'>;
  /** rows new to a raw table */
  readonly writtenRows: Counter<'signal' | 'table'>;
  /** items not written: `duplicate` (already stored: a resend or a replay), `corrupt` (an unreadable spool record), `refused_by_store` */
  readonly droppedItems: Counter<'signal' | 'reason'>;
  /** items spooled and not yet written */
  readonly queueItems: Gauge<'signal'>;
  /** sealed batches waiting for the writer */
  readonly queueBatches: Gauge;
  /** bytes of the on-disk spool (open and sealed batches) */
  readonly spoolBytes: Gauge;
  /** time to stage and commit one batch */
  readonly batchSeconds: Histogram<'lane' | 'outcome'>;
  /** 1 when the last scrape of a target succeeded */
  readonly scrapeUp: Gauge<'job' | 'instance'>;
  readonly scrapeDurationSeconds: Gauge<'job' | 'instance'>;
  readonly scrapeSamples: Gauge<'job' | 'instance'>;
  /** series of a target that vanished at its last scrape */
  readonly scrapeStaleSeries: Gauge<'job' | 'instance'>;
  readonly scrapes: Counter<'job' | 'instance' | 'result'>;
}

export interface CollectorMetricsOptions {
  /** also export prom-client's process metrics (RSS, CPU, event-loop lag, GC); default true */
  processMetrics?: boolean;
}

export function createCollectorMetrics(opts: CollectorMetricsOptions = {}): CollectorMetrics {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'token_factory_collector_' });
  const registers = [registry];
  return {
    registry,
    receivedItems: new Counter({
      name: 'token_factory_collector_received_items_total',
      help: 'Items (spans, metric data points) accepted into the spool: acknowledged to an OTLP sender, or taken from a scrape.',
      labelNames: ['signal', 'source'],
      registers,
    }),
    rejectedItems: new Counter({
      name: 'token_factory_collector_rejected_items_total',
      help: 'Items refused one by one in an accepted request (OTLP partial success).',
      labelNames: ['signal', 'reason'],
      registers,
    }),
    rejectedRequests: new Counter({
      name: 'token_factory_collector_rejected_requests_total',
      help: 'Requests refused whole, by HTTP status and reason.',
      labelNames: ['signal', 'status', 'reason'],
      registers,
    }),
    writtenRows: new Counter({
      name: 'token_factory_collector_written_rows_total',
      help: 'Rows new to a raw table.',
      labelNames: ['signal', 'table'],
      registers,
    }),
    droppedItems: new Counter({
      name: 'token_factory_collector_dropped_items_total',
      help: 'Items not written: duplicate (already stored), corrupt (unreadable spool record), refused_by_store.',
      labelNames: ['signal', 'reason'],
      registers,
    }),
    queueItems: new Gauge({
      name: 'token_factory_collector_queue_items',
      help: 'Items spooled and not yet written.',
      labelNames: ['signal'],
      registers,
    }),
    queueBatches: new Gauge({ name: 'token_factory_collector_queue_batches', help: 'Sealed batches waiting for the writer.', registers }),
    spoolBytes: new Gauge({ name: 'token_factory_collector_spool_bytes', help: 'Bytes of the on-disk spool.', registers }),
    batchSeconds: new Histogram({
      name: 'token_factory_collector_batch_duration_seconds',
      help: 'Time to stage and commit one batch.',
      labelNames: ['lane', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    scrapeUp: new Gauge({ name: 'token_factory_scrape_up', help: '1 if the last scrape of the target succeeded, else 0.', labelNames: ['job', 'instance'], registers }),
    scrapeDurationSeconds: new Gauge({
      name: 'token_factory_scrape_duration_seconds',
      help: 'Duration of the last scrape of the target.',
      labelNames: ['job', 'instance'],
      registers,
    }),
    scrapeSamples: new Gauge({
      name: 'token_factory_scrape_samples_scraped',
      help: 'Samples in the last scrape of the target.',
      labelNames: ['job', 'instance'],
      registers,
    }),
    scrapeStaleSeries: new Gauge({
      name: 'token_factory_scrape_stale_series',
      help: 'Series of the target that were in the scrape before the last one and not in the last.',
      labelNames: ['job', 'instance'],
      registers,
    }),
    scrapes: new Counter({
      name: 'token_factory_scrapes_total',
      help: 'Scrapes by result (ok, http_error, timeout, unreachable, malformed).',
      labelNames: ['job', 'instance', 'result'],
      registers,
    }),
  };
}
