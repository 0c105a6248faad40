/**
 * The report window [from, to). Without bounds it is the data's own: from the first
 * hour with a request or GPU sample to the end of the last one.
 */
import type { Store } from '../../core/store/open-store.js';
import { BadRequestError } from '../../core/errors.js';

export interface WindowQuery {
  from?: Date | undefined;
  to?: Date | undefined;
}

export interface Window {
  from: Date;
  to: Date;
}

/** `{ from, to }` as ISO strings: the "window" of KPIS.md's output shape. */
export function windowJson(w: Window): { from: string; to: string } {
  return { from: w.from.toISOString(), to: w.to.toISOString() };
}

/** Query parameters for `{from:DateTime64(3)}` / `{to:DateTime64(3)}`. */
export function windowParams(w: Window): { from: string; to: string } {
  const fmt = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  return { from: fmt(w.from), to: fmt(w.to) };
}

export async function resolveWindow(store: Store, q: WindowQuery): Promise<Window> {
  let { from, to } = q;
  if (!from || !to) {
    const rs = await store.client.query({
      query: `SELECT toUnixTimestamp(min(h)) AS lo, toUnixTimestamp(max(h)) + 3600 AS hi, count() AS n FROM (
                SELECT min(hour) AS h FROM llm_requests UNION ALL SELECT max(hour) FROM llm_requests
                UNION ALL SELECT toStartOfHour(min(ts)) FROM gpu_samples UNION ALL SELECT toStartOfHour(max(ts)) FROM gpu_samples)
              WHERE h > toDateTime(0)`,
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<{ lo: number; hi: number; n: number }>();
    const empty = !r || Number(r.n) === 0;
    from ??= new Date(empty ? 0 : Number(r.lo) * 1000);
    to ??= new Date(empty ? 0 : Number(r.hi) * 1000);
  }
  if (from > to) throw new BadRequestError(`empty window: from ${from.toISOString()} is after to ${to.toISOString()}`);
  return { from, to };
}
