/**
 * Latency quantiles from inference-server histograms (pipelines/kpi/server-latency.ts):
 * PromQL histogram_quantile over bucket increases, on hand-made histograms written
 * straight into server_histograms (per-bucket counts, the last bucket is +Inf).
 *
 * Window [10:00, 11:00) on 2026-11-23. Model m, vLLM, instances a and b.
 *
 * TTFT, bounds [0.05, 0.1, 0.25, 0.5] (+Inf):
 *   a  09:59:30 [1,1,1,1,0]   before the window: ignored
 *      10:00:00 [2,4,6,2,0]   first in the window: the baseline
 *      10:30:00 [2,10,16,4,0] → +[0,6,10,2,0]
 *      10:59:45 [3,12,20,6,1] → +[1,2,4,2,1]
 *      11:00:00 [9,9,9,9,9]   the window's end is exclusive
 *      a: [1,8,14,4,1] = 28 observations
 *   b  10:00:00 [0,5,5,0,0]   baseline
 *      10:20:00 [0,9,9,1,0]   → +[0,4,4,1,0]  (delivered twice: one step)
 *      10:40:00 [0,1,2,0,0]   count 19 → 3: a reset, the new counts are the increase +[0,1,2,0,0]
 *      10:50:00 [1,2,3,0,0]   → +[1,1,1,0,0]
 *      b: [1,6,7,1,0] = 15
 *   sum by model: [2,14,21,5,1] = 43, cumulative [2,16,37,42,43] at le [0.05,0.1,0.25,0.5,+Inf]
 *     p50: rank 0.5×43 = 21.5 → first cumulative ≥ 21.5 is 37 (le 0.25, previous le 0.1 at 16):
 *          0.1 + (0.25−0.1) × (21.5−16)/(37−16) = 0.1 + 0.15 × 5.5/21 = 0.139285714… s → 139.285714… ms
 *     p90: rank 38.7 → le 0.5 (42; previous 37): 0.25 + 0.25 × 1.7/5 = 0.335 s → 335 ms
 *     p95: rank 40.85 → 0.25 + 0.25 × 3.85/5 = 0.4425 s → 442.5 ms
 *     p99: rank 42.57 > 42 → the +Inf bucket → the last finite bound 0.5 s → 500 ms
 *   b alone: cumulative [1,7,14,15,15]; p50 rank 7.5 → le 0.25: 0.1 + 0.15 × 0.5/7 = 0.110714285… s
 *     p90 rank 13.5 → 0.1 + 0.15 × 6.5/7 = 0.239285714… s; p95 rank 14.25 → le 0.5 (15; prev 14):
 *     0.25 + 0.25 × 0.25/1 = 0.3125 s; p99 rank 14.85 → 0.25 + 0.25 × 0.85 = 0.4625 s
 *
 * ITL, bounds [0.01, 0.025, 0.05]:
 *   a inter_token_latency_seconds   10:00 [0,0,0,0]  10:30 [40,10,0,0] → +[40,10,0,0], cumulative [40,50,50,50]
 *     p50 rank 25 → the lowest bucket, interpolated from 0: 0.01 × 25/40 = 0.00625 s → 6.25 ms
 *     p90 rank 45 → 0.01 + 0.015 × 5/10 = 0.0175 s; p95 47.5 → 0.02125 s; p99 49.5 → 0.02425 s
 *   b time_per_output_token_seconds (older vLLM) 10:00 [5,5,0,0]  10:30 [5,15,5,0] → +[0,10,5,0], cumulative [0,10,15,15]
 *     p50 rank 7.5 → 0.01 + 0.015 × 7.5/10 = 0.02125 s; p90 13.5 → le 0.05: 0.025 + 0.025 × 3.5/5 = 0.0425 s
 *     p95 14.25 → 0.04625 s; p99 14.85 → 0.04925 s
 *   by model the group has the newer name (a), so b's older one is not added: a's values.
 *
 * E2E, bounds [1, 2.5, 5, 10]: a 10:00 [0,0,0,0,0]  10:30 [2,6,1,1,0]: 10 requests, cumulative [2,8,9,10,10]
 *   p50 rank 5 → 1 + 1.5 × 3/6 = 1.75 s; p90 rank 9 → le 5 (9; prev 8): 2.5 + 2.5 × 1/1 = 5 s
 *   p95 9.5 → le 10: 5 + 5 × 0.5 = 7.5 s; p99 9.9 → 5 + 5 × 0.9 = 9.5 s
 * Instance c has one scrape in the window: no increase, no row.
 * Model z (instance z), TTFT bounds [0, 1]: 10:00 [0,0,0]  10:10 [3,1,0] → cumulative [3,4,4]
 *   p50 rank 2 → the lowest bucket, whose upper bound is ≤ 0 → 0; p90 rank 3.6 → 0 + 1 × 0.6/1 = 0.6 s
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { bucketQuantileSql, serverLatency } from '../../pipelines/kpi/server-latency.js';

let store: Store;
const config: Config = configSchema.parse({});
const from = new Date('2026-11-23T10:00:00Z');
const to = new Date('2026-11-23T11:00:00Z');

interface Scrape {
  t: string;
  instance: string;
  metric: string;
  bounds: number[];
  counts: number[];
  model?: string;
}
const TTFT = [0.05, 0.1, 0.25, 0.5];
const ITL = [0.01, 0.025, 0.05];
const E2E = [1, 2.5, 5, 10];
const scrapes: Scrape[] = [
  { t: '09:59:30', instance: 'a', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [1, 1, 1, 1, 0] },
  { t: '10:00:00', instance: 'a', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [2, 4, 6, 2, 0] },
  { t: '10:30:00', instance: 'a', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [2, 10, 16, 4, 0] },
  { t: '10:59:45', instance: 'a', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [3, 12, 20, 6, 1] },
  { t: '11:00:00', instance: 'a', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [9, 9, 9, 9, 9] },
  { t: '10:00:00', instance: 'b', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [0, 5, 5, 0, 0] },
  { t: '10:20:00', instance: 'b', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [0, 9, 9, 1, 0] },
  { t: '10:20:00', instance: 'b', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [0, 9, 9, 1, 0] },
  { t: '10:40:00', instance: 'b', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [0, 1, 2, 0, 0] },
  { t: '10:50:00', instance: 'b', metric: 'time_to_first_token_seconds', bounds: TTFT, counts: [1, 2, 3, 0, 0] },
  { t: '10:00:00', instance: 'a', metric: 'inter_token_latency_seconds', bounds: ITL, counts: [0, 0, 0, 0] },
  { t: '10:30:00', instance: 'a', metric: 'inter_token_latency_seconds', bounds: ITL, counts: [40, 10, 0, 0] },
  { t: '10:00:00', instance: 'b', metric: 'time_per_output_token_seconds', bounds: ITL, counts: [5, 5, 0, 0] },
  { t: '10:30:00', instance: 'b', metric: 'time_per_output_token_seconds', bounds: ITL, counts: [5, 15, 5, 0] },
  { t: '10:00:00', instance: 'a', metric: 'e2e_request_latency_seconds', bounds: E2E, counts: [0, 0, 0, 0, 0] },
  { t: '10:30:00', instance: 'a', metric: 'e2e_request_latency_seconds', bounds: E2E, counts: [2, 6, 1, 1, 0] },
  { t: '10:10:00', instance: 'c', metric: 'e2e_request_latency_seconds', bounds: E2E, counts: [1, 1, 1, 1, 1] },
  { t: '10:00:00', instance: 'z', metric: 'time_to_first_token_seconds', bounds: [0, 1], counts: [0, 0, 0], model: 'z' },
  { t: '10:10:00', instance: 'z', metric: 'time_to_first_token_seconds', bounds: [0, 1], counts: [3, 1, 0], model: 'z' },
];

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  await store.client.insert({
    table: 'server_histograms',
    format: 'JSONEachRow',
    values: scrapes.map((s) => ({
      ts: `2026-11-23 ${s.t}`,
      service: 'vllm-m',
      instance: s.instance,
      server_kind: 'vllm',
      model: s.model ?? 'm',
      metric: s.metric,
      attributes: { engine: '0' },
      bounds: s.bounds,
      bucket_counts: s.counts,
      count: s.counts.reduce((a, b) => a + b, 0),
      sum: 0,
    })),
  });
});
afterAll(() => store.close());

const ms = (s: number) => expect.closeTo(s * 1000, 9);

describe('histogram_quantile over bucket increases', () => {
  it('by model: series summed per bucket, resets handled, older ITL name not double counted', async () => {
    const r = await serverLatency(store, config, { by: ['model'], from, to });
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T11:00:00.000Z' });
    expect(r.rows).toEqual([
      {
        model: 'm', requests: 10,
        ttft_ms_p50: ms(0.1 + 0.15 * 5.5 / 21), ttft_ms_p90: ms(0.335), ttft_ms_p95: ms(0.4425), ttft_ms_p99: ms(0.5),
        itl_ms_p50: ms(0.00625), itl_ms_p90: ms(0.0175), itl_ms_p95: ms(0.02125), itl_ms_p99: ms(0.02425),
        e2e_ms_p50: ms(1.75), e2e_ms_p90: ms(5), e2e_ms_p95: ms(7.5), e2e_ms_p99: ms(9.5),
      },
      {
        model: 'z', requests: null,
        ttft_ms_p50: 0, ttft_ms_p90: ms(0.6), ttft_ms_p95: ms(0.8), ttft_ms_p99: ms(0.96),
        itl_ms_p50: null, itl_ms_p90: null, itl_ms_p95: null, itl_ms_p99: null,
        e2e_ms_p50: null, e2e_ms_p90: null, e2e_ms_p95: null, e2e_ms_p99: null,
      },
    ]);
  });

  it('by instance: each series alone; the older ITL name where it is all there is; one scrape gives no row', async () => {
    const r = await serverLatency(store, config, { by: ['model', 'instance'], from, to });
    const pick = (x: Record<string, unknown>) => [x.instance, x.ttft_ms_p50, x.ttft_ms_p90, x.ttft_ms_p95, x.ttft_ms_p99, x.itl_ms_p50, x.itl_ms_p90, x.itl_ms_p95, x.itl_ms_p99];
    expect(r.rows.map(pick)).toEqual([
      // a alone: cumulative [1,9,23,27,28]; p50 rank 14 → 0.1 + 0.15 × 5/14; p90 25.2 → 0.25 + 0.25 × 2.2/4;
      // p95 26.6 → 0.25 + 0.25 × 3.6/4 = 0.475; p99 27.72 > 27 → 0.5
      ['a', ms(0.1 + 0.15 * 5 / 14), ms(0.25 + 0.25 * 2.2 / 4), ms(0.475), ms(0.5), ms(0.00625), ms(0.0175), ms(0.02125), ms(0.02425)],
      ['b', ms(0.1 + 0.15 * 0.5 / 7), ms(0.1 + 0.15 * 6.5 / 7), ms(0.3125), ms(0.4625), ms(0.02125), ms(0.0425), ms(0.04625), ms(0.04925)],
      ['z', 0, ms(0.6), ms(0.8), ms(0.96), null, null, null, null],
    ]);
  });

  it('by hour: a bucket going down while the count rises is a reset too', async () => {
    // Window [10:00, 12:00): a's 11:00:00 scrape [9,9,9,9,9] (count 45 > 42, bucket 0.1 fell 12 → 9) is a
    // reset: +[9,9,9,9,9] in hour 11 → cumulative [9,18,27,36,45]; p50 rank 22.5 → 0.1 + 0.15 × 4.5/9 = 0.175 s;
    // p99 rank 44.55 > 36 → 0.5 s. Hour 10 is as by model above.
    const r = await serverLatency(store, config, { by: ['model', 'hour'], from, to: new Date('2026-11-23T12:00:00Z') });
    expect(r.rows.filter((x) => x.model === 'm').map((x) => [x.hour, x.ttft_ms_p50, x.ttft_ms_p99])).toEqual([
      ['2026-11-23T10:00:00Z', ms(0.1 + 0.15 * 5.5 / 21), ms(0.5)],
      ['2026-11-23T11:00:00Z', ms(0.175), ms(0.5)],
    ]);
  });

  it('the interpolation agrees with ClickHouse quantilePrometheusHistogram on the same buckets', async () => {
    const levels = [0.1, 0.5, 0.9, 0.95, 0.99];
    const rs = await store.client.query({
      query: `SELECT ${levels.map((q, i) => `${bucketQuantileSql('h', q, `q${i}`)}`).join(',')},
                ${levels.map((q, i) => `(SELECT quantilePrometheusHistogram(${q})(t.1, t.2) FROM (SELECT arrayJoin(arrayZip(h_les, h_cum)) AS t)) AS ref_q${i}`).join(', ')}
              FROM (SELECT [0.05, 0.1, 0.25, 0.5, inf] AS h_les, [2., 16, 37, 42, 43] AS h_cum)`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<Record<string, number>>();
    for (let i = 0; i < levels.length; i++) expect(row![`h_s_q${i}`]).toBeCloseTo(row![`ref_q${i}`]!, 12);
    // p10: rank 4.3 → le 0.1 (16; prev 2): 0.05 + 0.05 × 2.3/14
    expect(row!.h_s_q0).toBeCloseTo(0.05 + 0.05 * 2.3 / 14, 12);
  });

  it('ungrouped: layouts that differ merge by le, as PromQL sum by (le) does', async () => {
    // m's cumulative [2,16,37,42,43] at le [0.05,0.1,0.25,0.5,+Inf] and z's [3,4,4] at [0,1,+Inf], summed per le:
    // le 0: 3, 0.05: 2, 0.1: 16, 0.25: 37, 0.5: 42, 1: 4, +Inf: 47 → made monotonic [3,3,16,37,42,42,47].
    // p50: rank 23.5 → le 0.25: 0.1 + 0.15 × 7.5/21; p95: rank 44.65 > 42 → the +Inf bucket → the last finite bound, 1 s.
    const r = await serverLatency(store, config, { by: [], from, to });
    expect(r.rows.map((x) => [x.requests, x.ttft_ms_p50, x.ttft_ms_p95, x.itl_ms_p50, x.e2e_ms_p99])).toEqual([
      [10, ms(0.1 + 0.15 * 7.5 / 21), ms(1), ms(0.00625), ms(9.5)],
    ]);
  });

  it('no observations in the window: no rows; the default window is the hours the histograms cover', async () => {
    expect((await serverLatency(store, config, { by: [], from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-24T01:00:00Z') })).rows).toEqual([]);
    expect((await serverLatency(store, config, { by: ['model'] })).window).toEqual({ from: '2026-11-23T09:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    await expect(serverLatency(store, config, { by: ['colour' as 'model'] })).rejects.toThrow(/unknown dimension "colour"/);
  });
});
