/**
 * Apache Arrow IPC stream output: ClickHouse writes the Arrow (`FORMAT ArrowStream`)
 * and the bytes are streamed to the response unchanged — no rows cross into JS.
 * Uncompressed: ClickHouse 26.x compresses Arrow buffers by default and the
 * JavaScript apache-arrow reader has no codec for them (FINDINGS.md). The window,
 * which the stream cannot carry, is in the `X-Window-From` / `X-Window-To` headers.
 */
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../../core/store/open-store.js';
import type { KpiSql } from '../kpi/server-latency.js';
import { windowJson } from '../kpi/window.js';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

export async function sendArrow(store: Store, k: KpiSql, res: Response): Promise<void> {
  const { stream } = await store.client.exec({
    query: `${k.query}\nFORMAT ArrowStream`,
    query_params: k.query_params,
    clickhouse_settings: {
      ...k.clickhouse_settings,
      output_format_arrow_compression_method: 'none',
      output_format_arrow_string_as_string: 1,
      output_format_arrow_low_cardinality_as_dictionary: 0,
    },
  });
  const w = windowJson(k.window);
  res.status(200).set({ 'content-type': ARROW_STREAM, 'x-window-from': w.from, 'x-window-to': w.to });
  // A failure after the first bytes cannot become a 4xx/5xx any more: pipeline destroys
  // the response, so the client sees a truncated stream, never a well-formed partial one.
  await pipeline(stream, res);
}
