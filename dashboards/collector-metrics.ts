/**
 * The collector's self-metrics (collectors/observability/collector-metrics.ts) that the
 * SRE dashboard and the alert rules read; test/dashboards checks each against the
 * names the collector really registers.
 */
export const COLLECTOR_METRICS = {
  /** items accepted into the spool {signal, source} */
  received: 'token_factory_collector_received_items_total',
  /** rows new to a raw table {signal, table} */
  written: 'token_factory_collector_written_rows_total',
  /** items refused one by one (OTLP partial success) {signal, reason} */
  rejected: 'token_factory_collector_rejected_items_total',
  /** requests refused whole {signal, status, reason} */
  rejectedRequests: 'token_factory_collector_rejected_requests_total',
  /** items not written {signal, reason}: `duplicate` is normal (a resend), the others are loss */
  dropped: 'token_factory_collector_dropped_items_total',
  /** items spooled, not yet written {signal} */
  queueItems: 'token_factory_collector_queue_items',
  /** sealed batches waiting for the writer */
  queueBatches: 'token_factory_collector_queue_batches',
  /** bytes of the on-disk spool */
  spoolBytes: 'token_factory_collector_spool_bytes',
  /** time to stage and commit one batch {lane, outcome} (histogram) */
  batchSeconds: 'token_factory_collector_batch_duration_seconds',
  /** the collector's own scrapes: 1 if the last scrape of {job, instance} succeeded */
  scrapeUp: 'token_factory_scrape_up',
} as const;
