/**
 * A per-exporter mapper: the rows of one scrape (decoded as otelcol-contrib's prometheus
 * receiver would) → the same rows with the exporter's labels and names normalised so the
 * materialized views fill the typed tables (gpu_samples, server_samples,
 * server_histograms). Pure. Metrics a mapper does not know pass unchanged: everything is
 * stored raw. `notes` say what an operator should fix (logged once per target).
 */
import type { RawRows } from '../../../core/schema/otel-rows.js';

export interface ScrapeMapperTarget {
  job: string;
  labels: Readonly<Record<string, string>>;
}

export type ScrapeMapper = (rows: RawRows, target: ScrapeMapperTarget) => { rows: RawRows; notes: string[] };
