/**
 * Rows decoded in this process (a scrape) → the spool's `rows` lane: resolves once they
 * are on disk, as an acknowledged OTLP request does.
 */
import type { RawRows } from '../../core/schema/otel-rows.js';
import type { Signal } from '../observability/collector-metrics.js';
import { encodeRowsRecord } from './spool-record.js';
import type { Spool } from './spool.js';

export function spoolRowsSink(spool: Spool, signal: Signal): (rows: Partial<RawRows>, items: number) => Promise<void> {
  return async (rows) => {
    const record = encodeRowsRecord(signal, rows);
    if (record.items === 0) return;
    await spool.append('rows', record.parts, { [signal]: record.items });
  };
}
