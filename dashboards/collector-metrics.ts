/**
 * The collector's self-metrics (collectors/observability/) that the SRE dashboard and
 * the alert rules read. test/dashboards checks each against the names the collector
 * really registers.
 */
export const COLLECTOR_METRICS = {
  received: 'token_factory_collector_received_items_total',
  written: 'token_factory_collector_written_items_total',
  rejected: 'token_factory_collector_rejected_items_total',
  dropped: 'token_factory_collector_dropped_items_total',
  queueDepth: 'token_factory_collector_queue_items',
  spoolBytes: 'token_factory_collector_spool_bytes',
} as const;
