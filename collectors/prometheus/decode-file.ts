/**
 * A whole Prometheus text / OpenMetrics payload (a file, a scrape body) → raw rows:
 * `parseExposition` then `expositionToRows`. Pure: the caller reads the bytes.
 */
import { DecodeError } from '../../core/errors.js';
import type { RawRows, UnixNano } from '../../core/schema/otel-rows.js';
import { parseExposition, type Dialect } from './parse-exposition.js';
import { expositionToRows } from './to-otel-rows.js';

export interface DecodeExpositionOptions {
  job: string;
  instance: string;
  /**
   * Unix ns (decimal string) for samples written without a timestamp. When absent,
   * every sample must carry its own timestamp (backfill files), else `DecodeError`.
   */
  defaultTimeNs?: UnixNano | undefined;
  extraLabels?: Record<string, string>;
  dialect?: Dialect;
}

export function decodeExpositionFile(text: string, opts: DecodeExpositionOptions): RawRows {
  const families = parseExposition(text, opts.dialect === undefined ? {} : { dialect: opts.dialect });
  let defaultTimeNs = opts.defaultTimeNs;
  if (defaultTimeNs === undefined) {
    for (const f of families) {
      const s = f.samples.find((x) => x.timestampMs === undefined);
      if (s !== undefined) {
        throw new DecodeError(`sample ${JSON.stringify(s.name)} has no timestamp and no default time was given`, {
          line: s.line,
          column: 1,
        });
      }
    }
    defaultTimeNs = '0'; // unused: every sample has a timestamp
  }
  return expositionToRows(families, {
    job: opts.job,
    instance: opts.instance,
    defaultTimeNs,
    ...(opts.extraLabels === undefined ? {} : { extraLabels: opts.extraLabels }),
  });
}
