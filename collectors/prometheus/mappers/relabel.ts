/**
 * Helpers the per-exporter mappers share: rewrite metric rows one by one (every metric
 * table), and find the model a target serves in its config labels. Rows from the
 * decoder share frozen attribute objects: a changed row gets a copy.
 */
import type { MetricRowBase, RawRows } from '../../../core/schema/otel-rows.js';

export type MetricTable = Exclude<keyof RawRows, 'otel_traces'>;
export const METRIC_TABLES: readonly MetricTable[] = ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary'];

/** `fn` applied to every metric row; it returns the row itself when it changes nothing. */
export function mapMetricRows(rows: RawRows, fn: <R extends MetricRowBaseLike>(row: R) => R): RawRows {
  const out: RawRows = { ...rows };
  for (const table of METRIC_TABLES) {
    const list = rows[table] as MetricRowBaseLike[];
    (out[table] as MetricRowBaseLike[]) = list.map((r) => fn(r));
  }
  return out;
}

/** The columns mappers read and rewrite (the summary table has no exemplars, so not MetricRowBase itself). */
export type MetricRowBaseLike = Pick<MetricRowBase, 'MetricName' | 'Attributes' | 'ServiceName'>;

/** `row` with `Attributes` changed by `edit` (on a copy); the row itself when `edit` returns undefined. */
export function withAttributes<R extends MetricRowBaseLike>(row: R, edit: (a: Readonly<Record<string, string>>) => Record<string, string> | undefined): R {
  const next = edit(row.Attributes);
  return next === undefined ? row : { ...row, Attributes: next };
}

/** The model a target serves, from its config labels (`model_name`, else `model`). */
export function configuredModel(labels: Readonly<Record<string, string>>): string | undefined {
  const m = labels['model_name'] ?? labels['model'];
  return m === undefined || m === '' ? undefined : m;
}

/**
 * Sets `model_name` on rows of `prefix` that carry no model label (`model_name` or
 * `model`), from the target's config; notes when neither row nor config names one.
 */
export function ensureModel(rows: RawRows, prefix: string, labels: Readonly<Record<string, string>>, notes: string[], exporter: string): RawRows {
  const model = configuredModel(labels);
  let missing = 0;
  const out = mapMetricRows(rows, (row) => {
    if (!row.MetricName.startsWith(prefix)) return row;
    const a = row.Attributes;
    if ((a['model_name'] ?? '') !== '' || (a['model'] ?? '') !== '') return row;
    if (model === undefined) {
      missing++;
      return row;
    }
    return withAttributes(row, (attrs) => ({ ...attrs, model_name: model }));
  });
  if (missing > 0) notes.push(`${missing} ${exporter} series carry no model label and the scrape config names none: set labels.model_name for this target`);
  return out;
}
