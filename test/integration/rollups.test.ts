/**
 * Hourly rollups: settling, reading, and agreement with the raw computation.
 *
 * Data, generated in the engine through the raw tables (so the fact views and the
 * marking views of migration 3 run as in production), 2026-03-02 00:00–06:00 UTC:
 *
 * GPUs, one DCGM sample every 30 s (power W, GPU_UTIL 50 %):
 *   node-a GPU 0, 1  H100  500 W   llama-70b  (node + index)
 *   node-a GPU 2, 3  H100  500 W   spare-70b  (node + index; the model's second deployment: no requests → idle)
 *   node-b GPU 0–3   B200 1000 W   llama-8b   (UUIDs)
 *   node-c GPU 0     H100  500 W   unassigned — its series stops at 03:59:30
 * Every GPU-hour has 120 samples × 30 s = 3600 s covered (the last sample of a series
 * covers the 30 s since the one before) → 1 GPU-hour, and energy = W × 3600 s:
 *   H100: 1 h × 2.5 + 0.5 kWh × 1.25 PUE × 0.10 = 2.5625 USD = 2 562 500 µ$
 *   B200: 1 h × 4.2 + 1.0 kWh × 0.125          = 4.325 USD  = 4 325 000 µ$
 *   per hour: llama-70b 5 125 000, spare-70b 5 125 000 (idle), llama-8b 17 300 000 µ$,
 *   unassigned 2 562 500 µ$ in hours 0–3.
 *   6 h: request cost 6 × 22 425 000 = 134 550 000 µ$; idle 6 × 5 125 000 = 30 750 000;
 *   unassigned 4 × 2 562 500 = 10 250 000; GPU cost 175 550 000 µ$ = 175.55 USD;
 *   GPU-hours 8 GPUs × 6 h + 4 = 52.
 *
 * Requests: span n = 0 … 17 999 at 00:00 + n × 1.2 s (3 000 an hour), tenant
 * [acme, globex, initech][n % 3], model by n % 5: 0–1 llama-70b, 2–3 llama-8b, 4 an
 * unknown model (unassigned, cost 0); input 100 + n % 50, output 20 + n % 30 tokens;
 * error when n % 97 = 0; route by n % 2, service by ⌊n / 7⌋ % 2; e2e = e^(6 + 1.5 u) ms
 * (u uniform from a hash of n), TTFT a hash-chosen 5–30 % of it, none when n % 10 = 9.
 *   requests 18 000; input Σ = 18 000 × 100 + 360 × (0 + … + 49 = 1 225) = 2 241 000;
 *   output Σ = 18 000 × 20 + 600 × (0 + … + 29 = 435) = 621 000; tokens 2 862 000;
 *   errors: multiples of 97 below 18 000: ⌊17 999 / 97⌋ + 1 = 186.
 *
 * Config: max_sample_gap_s 240, max_lateness_s 3600 (hours starting before
 * newest − 1 h, floored to the hour, are settled).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { buildCostTotals, buildUnitEconomics, costTotals, unitEconomics, type RequestDimension } from '../../pipelines/kpi/unit-economics.js';
import { revenueMargin } from '../../pipelines/kpi/revenue.js';
import { runKpiSql } from '../../pipelines/kpi/server-latency.js';
import { BadRequestError } from '../../core/errors.js';
import {
  buildCostTotalsAuto,
  buildUnitEconomicsAuto,
  costTotalsAuto,
  costTotalsFromRollups,
  planRollupRead,
  revenueMarginFromRollups,
  rollupStatus,
  settleRollups,
  unitEconomicsAuto,
  unitEconomicsFromRollups,
} from '../../pipelines/rollups/index.js';
import { bucketKey, bucketValue, histogramColumns, histogramMerge, histogramPrepared, histogramQuantile, LATENCY_GAMMA } from '../../pipelines/rollups/latency-histogram.js';
import { expectRollupAgreement } from '../helpers/rollup-agreement.js';

const M70 = 'meta/llama-3.1-70b-instruct';
const M8 = 'meta/llama-3.1-8b-instruct';
const window = { from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-02T06:00:00Z') };
const wholeDay = { from: new Date('2026-03-02T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') };

const configInput = (h100HourlyUsd: number) => ({
  attribution: { max_sample_gap_s: 240, max_lateness_s: 3600 },
  gpu_types: {
    H100: { hourly_usd: h100HourlyUsd, kwh_usd: 0.1, pue: 1.25 },
    B200: { hourly_usd: 4.2, kwh_usd: 0.1, pue: 1.25 },
  },
  deployments: [
    { name: 'llama-70b', model: M70, gpus: { nodes: [{ node: 'node-a', gpus: [0, 1] }] } },
    { name: 'spare-70b', model: M70, gpus: { nodes: [{ node: 'node-a', gpus: [2, 3] }] } },
    { name: 'llama-8b', model: M8, gpus: { uuids: ['GPU-b0', 'GPU-b1', 'GPU-b2', 'GPU-b3'] } },
  ],
  prices: { [M70]: { input_usd_per_mtok: 0.6, output_usd_per_mtok: 1.8 }, [M8]: { input_usd_per_mtok: 0.1, output_usd_per_mtok: 0.2 } },
});

let store: Store;
let config: Config;

/** Spans n ∈ [from, to) of the generator above, plus `extra` attributes, through otel_traces. */
async function insertSpans(from: number, to: number): Promise<void> {
  await store.client.command({
    query: `
      INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, SpanAttributes, Duration, StatusCode)
      SELECT
        toDateTime64('2026-03-02 00:00:00', 9, 'UTC') + toIntervalMillisecond(n * 1200),
        lower(hex(toUInt128(n) + 1)), lower(hex(toUInt64(n) + 1)), '', 'chat', 'Client',
        ['gateway-a', 'gateway-b'][intDiv(n, 7) % 2 + 1],
        map('tenant.id', ['acme', 'globex', 'initech'][n % 3 + 1],
            'gen_ai.request.model', ['${M70}', '${M70}', '${M8}', '${M8}', 'mystery/model'][n % 5 + 1],
            'gen_ai.usage.input_tokens', toString(100 + n % 50),
            'gen_ai.usage.output_tokens', toString(20 + n % 30),
            'gen_ai.server.time_to_first_token', if(n % 10 = 9, '', toString(e2e_ms / 1000 * (0.05 + 0.25 * (sipHash64(n, 2) % 1000003) / 1000003))),
            'http.route', ['/v1/chat/completions', '/v1/completions'][n % 2 + 1],
            'error.type', if(n % 97 = 0, 'timeout', '')),
        toUInt64(e2e_ms * 1e6),
        if(n % 97 = 0, 'Error', 'Unset')
      FROM (SELECT number + {from:UInt64} AS n, exp(6 + 1.5 * (sipHash64(n, 1) % 1000003) / 1000003) AS e2e_ms FROM numbers({count:UInt64}))`,
    query_params: { from, count: to - from },
  });
}

/** DCGM samples every 30 s in [from, to) for the given GPUs ([node, index, uuid, modelName, watts]). */
async function insertSamples(gpus: [string, number, string, string, number][], from: string, to: string): Promise<void> {
  await store.client.command({
    query: `
      INSERT INTO otel_metrics_gauge (ServiceName, MetricName, Attributes, TimeUnix, Value)
      SELECT 'dcgm-exporter', metric,
        map('gpu', toString(g.2), 'UUID', g.3, 'modelName', g.4, 'Hostname', g.1),
        t, if(metric = 'DCGM_FI_DEV_POWER_USAGE', g.5, 50)
      FROM (SELECT arrayJoin(arrayZip({nodes:Array(String)}, {idx:Array(UInt16)}, {uuids:Array(String)}, {models:Array(String)}, {watts:Array(Float64)})) AS g) AS gpus
      CROSS JOIN (SELECT toDateTime({from:String}, 'UTC') + toIntervalSecond(number * 30) AS t FROM numbers(toUInt64(dateDiff('second', toDateTime({from:String}, 'UTC'), toDateTime({to:String}, 'UTC')) / 30))) AS times
      ARRAY JOIN ['DCGM_FI_DEV_POWER_USAGE', 'DCGM_FI_DEV_GPU_UTIL'] AS metric`,
    query_params: { nodes: gpus.map((g) => g[0]), idx: gpus.map((g) => g[1]), uuids: gpus.map((g) => g[2]), models: gpus.map((g) => g[3]), watts: gpus.map((g) => g[4]), from, to },
  });
}

const H100 = 'NVIDIA H100 80GB HBM3';
const B200 = 'NVIDIA B200';
const NODE_C: [string, number, string, string, number][] = [['node-c', 0, 'GPU-c0', H100, 500]];

beforeAll(async () => {
  config = configSchema.parse(configInput(2.5));
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store, { views: config.attribution });
  await insertSpans(0, 18_000);
  await insertSamples(
    [
      ['node-a', 0, 'GPU-a0', H100, 500],
      ['node-a', 1, 'GPU-a1', H100, 500],
      ['node-a', 2, 'GPU-a2', H100, 500],
      ['node-a', 3, 'GPU-a3', H100, 500],
      ['node-b', 0, 'GPU-b0', B200, 1000],
      ['node-b', 1, 'GPU-b1', B200, 1000],
      ['node-b', 2, 'GPU-b2', B200, 1000],
      ['node-b', 3, 'GPU-b3', B200, 1000],
    ],
    '2026-03-02 00:00:00',
    '2026-03-02 06:00:00',
  );
  await insertSamples(NODE_C, '2026-03-02 00:00:00', '2026-03-02 04:00:00');
});
afterAll(() => store.close());

const expectAgreement = (raw: Record<string, unknown>[], rolled: Record<string, unknown>[]): number => expectRollupAgreement(raw, rolled).quantiles;

const GROUPINGS: RequestDimension[][] = [[], ['tenant', 'model'], ['deployment', 'hour'], ['gpu_type', 'endpoint', 'service'], ['day', 'deployment', 'tenant'], ['tenant', 'model', 'endpoint', 'deployment', 'gpu_type', 'service', 'hour']];

describe('settling and reading the rollups', () => {
  it('before any settle, reads come from the facts', async () => {
    const plan = await planRollupRead(store, config, window);
    expect([plan.source, plan.reason]).toEqual(['raw', 'the rollups have not been settled yet']);
  });

  it('the first settle computes every touched hour: data hours and their GPU neighbours', async () => {
    const r = await settleRollups(store, config, { marginS: 0 });
    // marks: requests 00–05; GPU samples 00–05, reaching the previous hour from its first
    // 10 minutes and the next from its last (gap 240 s ≤ 600 s) →
    // 2026-03-01 23:00 … 2026-03-02 06:00 = 8 hours, one run → one batch. Newest fact: span
    // 17 999 at 05:59:58.8 → settled before ⌊(05:59:58.8 − 1 h) / 1 h⌋ = 04:00.
    // The days of those hours, 2026-03-01 and 2026-03-02, are merged into the daily rollup.
    expect(r).toMatchObject({ hours: 8, batches: 1, days: 2, late_hours: 0, stale_config_hours: 0, newest: '2026-03-02T05:59:58.000Z', settled_before: '2026-03-02T04:00:00.000Z' });
    const plan = await planRollupRead(store, config, window);
    expect([plan.source, plan.rollup_hours.length, plan.raw]).toEqual(['rollups', 6, null]);
    expect(await rollupStatus(store, config)).toMatchObject({ settled_hours: 8, current_hours: 8, dirty_hours: 0, stale_config_hours: 0 });
  });

  it('totals from the rollups are the hand-worked ones', async () => {
    const [all] = (await unitEconomicsFromRollups(store, config, { ...window, by: [] })).rows;
    expect(all).toMatchObject({ requests: 18_000, input_tokens: 2_241_000, output_tokens: 621_000, tokens: 2_862_000, errors: 186, cost_usd: 134.55 });
    // GPU-hours of the deployments that served them: llama-70b 2 × 6 + llama-8b 4 × 6 = 36
    // (spare-70b's 12 are idle, the unassigned GPU's 4 unassigned: no request carries them)
    expect(all!.gpu_hours).toBeCloseTo(36, 9);
    const costs = await costTotalsFromRollups(store, config, { ...window, by: ['deployment'] });
    expect(costs.rows.map((r) => [r.deployment, r.gpu_cost_usd, r.request_cost_usd, r.idle_cost_usd, r.unassigned_cost_usd])).toEqual([
      ['llama-70b', 30.75, 30.75, 0, 0],
      ['llama-8b', 103.8, 103.8, 0, 0],
      ['spare-70b', 30.75, 0, 30.75, 0],
      ['unassigned', 10.25, 0, 0, 10.25],
    ]);
    const [total] = (await costTotalsFromRollups(store, config, window)).rows;
    expect(total).toMatchObject({ gpu_cost_usd: 175.55, request_cost_usd: 134.55, idle_cost_usd: 30.75, unassigned_cost_usd: 10.25 });
    expect(total!.gpu_hours).toBeCloseTo(52, 9);
  });

  it('agrees with the raw computation: sums exactly, quantiles within 2 %', async () => {
    let quantiles = 0;
    for (const by of GROUPINGS) {
      const raw = await unitEconomics(store, config, { ...window, by });
      const rolled = await unitEconomicsFromRollups(store, config, { ...window, by });
      expect(rolled.window).toEqual(raw.window);
      quantiles += expectAgreement(raw.rows, rolled.rows);
    }
    expect(quantiles).toBeGreaterThan(1000);
    const scoped = { ...window, by: ['model'] as RequestDimension[], tenant: 'globex' };
    expectAgreement((await unitEconomics(store, config, scoped)).rows, (await unitEconomicsFromRollups(store, config, scoped)).rows);
    for (const by of [[], ['deployment'], ['hour', 'gpu_type'], ['day']] as ('deployment' | 'hour' | 'day' | 'gpu_type')[][]) {
      expect((await costTotalsFromRollups(store, config, { ...window, by })).rows).toEqual((await costTotals(store, config, { ...window, by })).rows.map((r) => ({ ...r, gpu_hours: expect.closeTo(r.gpu_hours, 9) })));
    }
    // the whole day: from the daily rollup, except by hour
    const plan = await planRollupRead(store, config, wholeDay, { days: true });
    expect([plan.source, plan.rollup_days, plan.rollup_hours]).toEqual(['rollups', [Date.parse('2026-03-02T00:00:00Z') / 1000], []]);
    for (const by of [['tenant', 'model'], ['day', 'gpu_type', 'service']] as RequestDimension[][]) {
      expectAgreement((await unitEconomics(store, config, { ...wholeDay, by })).rows, (await unitEconomicsFromRollups(store, config, { ...wholeDay, by })).rows);
    }
    const rev = { ...window, by: ['tenant', 'model'] as RequestDimension[] };
    expect((await revenueMarginFromRollups(store, config, rev)).rows).toEqual((await revenueMargin(store, config, rev)).rows);
  });

  it('the built queries (the API\'s Arrow path) give the same rows; ungrouped, an empty window has none', async () => {
    for (const by of [[], ['tenant', 'hour']] as RequestDimension[][]) {
      const built = await buildUnitEconomicsAuto(store, config, { ...window, by }, buildUnitEconomics);
      expect(built.clickhouse_settings.log_comment).toBe('kpi:unit_economics:rollups');
      expect(await runKpiSql(store, built)).toEqual(await unitEconomicsFromRollups(store, config, { ...window, by }));
    }
    const costs = await buildCostTotalsAuto(store, config, { ...window, by: ['gpu_type'] }, buildCostTotals);
    expect(await runKpiSql(store, costs)).toEqual(await costTotalsFromRollups(store, config, { ...window, by: ['gpu_type'] }));
    const empty = { from: new Date('2026-03-03T00:00:00Z'), to: new Date('2026-03-03T06:00:00Z') };
    expect((await unitEconomicsFromRollups(store, config, { ...empty, by: [] })).rows).toEqual([]);
    expect((await unitEconomics(store, config, { ...empty, by: [] })).rows).toEqual([]);
  });

  it('a window that is not made of whole hours: the rollups refuse it, auto reads the facts', async () => {
    const odd = { from: new Date('2026-03-02T00:30:00Z'), to: window.to, by: ['model'] as RequestDimension[] };
    await expect(unitEconomicsFromRollups(store, config, odd)).rejects.toThrow(BadRequestError);
    expect((await planRollupRead(store, config, odd)).source).toBe('raw');
    expect(await unitEconomicsAuto(store, config, odd)).toEqual(await unitEconomics(store, config, odd));
  });
});

describe('late data, redelivery and config changes', () => {
  it('a late span (delivered twice) folds into its hour: read from the facts until settled, then from the rollups', async () => {
    // span 3 250 (01:05:00) delivered again — same trace and span ids, counted once — and a
    // new span at 01:30: acme, llama-70b, 1 000 input + 500 output tokens.
    await insertSpans(3_250, 3_251);
    await store.client.command({
      query: `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, SpanAttributes, Duration, StatusCode)
              VALUES ('2026-03-02 01:30:00', 'late0000000000000000000000000001', 'late000000000001', '', 'chat', 'Client', 'gateway-a',
                      map('tenant.id', 'acme', 'gen_ai.request.model', '${M70}', 'gen_ai.usage.input_tokens', '1000', 'gen_ai.usage.output_tokens', '500'), 2000000000, 'Unset')`,
    });
    const plan = await planRollupRead(store, config, window);
    expect([plan.source, plan.raw]).toEqual(['mixed', { from: new Date('2026-03-02T01:00:00Z'), to: new Date('2026-03-02T02:00:00Z') }]);
    const by: RequestDimension[] = ['tenant', 'deployment', 'hour'];
    expectAgreement((await unitEconomics(store, config, { ...window, by })).rows, (await unitEconomicsAuto(store, config, { ...window, by })).rows);
    // cost totals and revenue read the same way (rollups + hour 01 from the facts)
    const costBy = { ...window, by: ['deployment', 'hour'] as ('deployment' | 'hour')[] };
    expect((await costTotalsAuto(store, config, costBy)).rows).toEqual((await costTotals(store, config, costBy)).rows.map((x) => ({ ...x, gpu_hours: expect.closeTo(x.gpu_hours, 9) })));
    const rev = { ...window, by: ['tenant'] as RequestDimension[] };
    expect((await revenueMarginFromRollups(store, config, rev)).rows).toEqual((await revenueMargin(store, config, rev)).rows);
    // the day holding the dirty hour no longer comes from the daily rollup: its clean hours do
    const dayPlan = await planRollupRead(store, config, wholeDay, { days: true });
    expect([dayPlan.source, dayPlan.rollup_days, dayPlan.rollup_hours.length]).toEqual(['mixed', [], 6]); // 00, 02–06
    expectAgreement((await unitEconomics(store, config, { ...wholeDay, by: ['model'] })).rows, (await unitEconomicsAuto(store, config, { ...wholeDay, by: ['model'] })).rows);

    const r = await settleRollups(store, config, { marginS: 0 });
    // hour 01 (late: before the settled horizon 04:00) and the open hours 04, 05
    expect(r).toMatchObject({ hours: 3, days: 1, late_hours: 1, stale_config_hours: 0 });
    expect((await planRollupRead(store, config, window)).source).toBe('rollups');
    expect((await planRollupRead(store, config, wholeDay, { days: true })).rollup_days).toHaveLength(1);
    const rows = (await unitEconomicsAuto(store, config, { ...window, by: ['deployment', 'hour'] })).rows;
    expectAgreement((await unitEconomics(store, config, { ...window, by: ['deployment', 'hour'] })).rows, rows);
    // llama-70b at 01: 1 200 requests + the late one; its hour still costs 5 125 000 µ$, now
    // spread over 1 500 more tokens. The redelivered span counts once.
    expect(rows.find((x) => x.deployment === 'llama-70b' && x.hour === '2026-03-02T01:00:00Z')).toMatchObject({ requests: 1201, cost_usd: 5.125 });
    const [all] = (await unitEconomicsAuto(store, config, { ...window, by: [] })).rows;
    expect(all).toMatchObject({ requests: 18_001, tokens: 2_863_500 });
  });

  it('a GPU series resuming after a silence re-settles the hour before the silence', async () => {
    // node-c's last sample (03:59:30) covered the 30 s since the one before; a sample at
    // 05:30 makes the series go on, so it now covers the gap cap, 240 s: hour 03 of the
    // unassigned GPU = 3 600 − 30 + 240 = 3 810 s = 1.058333 h, 500 W × 3 810 s = 0.529167 kWh
    //   → 1.058333 × 2.5 + 0.529167 × 0.125 = 2.645833 + 0.066146 = 2.711979 USD.
    // The lone 05:30 sample (no neighbour within 240 s, the series began earlier) covers
    // 240 s: 0.066667 h × 2.5 + 0.033333 kWh × 0.125 = 0.166667 + 0.004167 = 0.170833 USD.
    // The mark on hour 05 reaches no neighbour (05:30 is mid-hour); hour 03 comes from the
    // far-neighbour pass, 04 and 05 are open.
    await store.client.command({
      query: `INSERT INTO otel_metrics_gauge (ServiceName, MetricName, Attributes, TimeUnix, Value)
              VALUES ('dcgm-exporter', 'DCGM_FI_DEV_POWER_USAGE', map('gpu', '0', 'UUID', 'GPU-c0', 'modelName', '${H100}', 'Hostname', 'node-c'), '2026-03-02 05:30:00', 500)`,
    });
    const r = await settleRollups(store, config, { marginS: 0 });
    expect(r).toMatchObject({ hours: 3, late_hours: 0 }); // 03, 04, 05
    const rows = (await costTotalsAuto(store, config, { ...window, by: ['deployment', 'hour'] })).rows.filter((x) => x.deployment === 'unassigned');
    expect(rows.map((x) => [x.hour, x.unassigned_cost_usd])).toEqual([
      ['2026-03-02T00:00:00Z', 2.5625],
      ['2026-03-02T01:00:00Z', 2.5625],
      ['2026-03-02T02:00:00Z', 2.5625],
      ['2026-03-02T03:00:00Z', 2.711979],
      ['2026-03-02T04:00:00Z', 0], // the unknown model's requests: unassigned, cost 0
      ['2026-03-02T05:00:00Z', 0.170833],
    ]);
    expect((await costTotalsAuto(store, config, { ...window, by: ['hour'] })).rows).toEqual(
      (await costTotals(store, config, { ...window, by: ['hour'] })).rows.map((x) => ({ ...x, gpu_hours: expect.closeTo(x.gpu_hours, 9) })),
    );
  });

  it('a settle with nothing new recomputes only the open hours', async () => {
    expect(await settleRollups(store, config, { marginS: 0 })).toMatchObject({ hours: 2, late_hours: 0 }); // 04, 05
  });

  it('a config change: reads go to the facts until a settle recomputes every hour', async () => {
    const dearer = configSchema.parse(configInput(3.0));
    const plan = await planRollupRead(store, dearer, window);
    expect([plan.source, plan.reason]).toEqual(['raw', '6 hours not settled (config changed)']);
    const r = await settleRollups(store, dearer, { marginS: 0 });
    expect(r).toMatchObject({ hours: 8, stale_config_hours: 8 });
    const rows = (await costTotalsAuto(store, dearer, { ...window, by: ['deployment'] })).rows;
    // H100 GPU-hour: 3.0 + 0.0625 = 3.0625 USD → llama-70b and spare-70b 6 h × 2 GPUs × 3.0625 = 36.75
    expect(rows.map((x) => [x.deployment, x.gpu_cost_usd])).toEqual([
      ['llama-70b', 36.75],
      ['llama-8b', 103.8],
      ['spare-70b', 36.75],
      // hours 0–2: 3 × 3.0625; hour 03: 1.058333 × 3.0 + 0.066146 = 3.241146; hour 05: 0.2 + 0.004167 = 0.204167
      ['unassigned', 12.632813], // 9 187 500 + 3 241 146 + 204 167 µ$
    ]);
    for (const by of [['tenant', 'model'], ['deployment', 'hour']] as RequestDimension[][]) {
      expectAgreement((await unitEconomics(store, dearer, { ...window, by })).rows, (await unitEconomicsAuto(store, dearer, { ...window, by })).rows);
    }
  });
});

describe('latency histograms', () => {
  it('a bucket value is within (γ − 1) / (γ + 1) = 0.99 % of every value of its bucket; zero and negatives too', async () => {
    const xs = [-1234.5, -0.02, 0, 1e-9, 0.37, 1, 2.5, 1019.99, 1020.01, 3.6e6];
    const rs = await store.client.query({
      query: `SELECT x, ${bucketValue(bucketKey('x'))} AS v FROM (SELECT arrayJoin({xs:Array(Float64)}) AS x)`,
      query_params: { xs },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ x: number; v: number }>();
    expect(rows.map((r) => r.x)).toEqual(xs);
    for (const { x, v } of rows) {
      if (x === 0) expect(v).toBe(0);
      else expect(Math.abs(v - x) / Math.abs(x)).toBeLessThanOrEqual((LATENCY_GAMMA - 1) / (LATENCY_GAMMA + 1) + 1e-12);
    }
  });

  it('±inf and NaN get key 0 instead of failing the query; the histogram leaves them and NULLs out', async () => {
    const keys = await store.client.query({
      query: `SELECT ${bucketKey('x')} AS k FROM (SELECT arrayJoin([inf, -inf, nan, 1.]) AS x)`,
      format: 'JSONEachRow',
    });
    // 1 → ⌊ln 1 / ln γ⌋ = 0 → key 40 000 + 0
    expect((await keys.json<{ k: number }>()).map((r) => r.k)).toEqual([0, 0, 0, 40_000]);
    // a NULL whose hidden value is ±inf (what toNullable over inf then nullIf leaves behind)
    const [k, c] = histogramColumns('x');
    const h = await store.client.query({
      query: `SELECT ${k} AS keys, ${c} AS counts FROM (SELECT if(y = 2, NULL, y) AS x FROM (SELECT arrayJoin([1., inf, 2.]) AS y))`,
      format: 'JSONEachRow',
    });
    expect(await h.json()).toEqual([{ keys: [40_000], counts: [1] }]);
  });

  it("quantiles are read at quantileExact's rank ⌊q·n⌋, not a neighbour's", async () => {
    // [1, 100]: quantileExact(0.5) takes element ⌊0.5 × 2⌋ = 1 (0-based) = 100, where DDSketch
    // (rank q·(n − 1) = 0.5) and quantileExactWeighted (rank ⌈q·n⌉ = 1st) take 1.
    // 1 … 10: p50 → element 5 = 6, p90 → element 9 = 10.
    const [keys, counts] = histogramColumns('x');
    const p = histogramPrepared('h');
    const q = (level: number) => histogramQuantile('v', 'c', 'm', level);
    const data = `data AS (SELECT 'pair' AS g, toNullable(arrayJoin([1., 100.])) AS x UNION ALL SELECT 'ten', toNullable(toFloat64(arrayJoin(range(1, 11)))))`;
    const exact = await store.client.query({
      query: `WITH ${data} SELECT g, quantileExact(0.5)(x) AS e50, quantileExact(0.9)(x) AS e90 FROM data GROUP BY g ORDER BY g`,
      format: 'JSONEachRow',
    });
    const fromHistogram = await store.client.query({
      query: `WITH ${data}
              SELECT g, ${q(0.5)} AS h50, ${q(0.9)} AS h90 FROM (
                SELECT g, ${p.values} AS v, ${p.cumulative} AS c, ${p.total} AS m FROM (
                  SELECT g, ${histogramMerge('k', 'n')} AS h FROM (SELECT g, ${keys} AS k, ${counts} AS n FROM data GROUP BY g) GROUP BY g))
              ORDER BY g`,
      format: 'JSONEachRow',
    });
    const e = await exact.json<{ g: string; e50: number; e90: number }>();
    const h = await fromHistogram.json<{ g: string; h50: number; h90: number }>();
    expect(e).toEqual([
      { g: 'pair', e50: 100, e90: 100 },
      { g: 'ten', e50: 6, e90: 10 },
    ]);
    const rows = e.map((r, i) => ({ ...r, ...h[i]! }));
    for (const r of rows) {
      expect(Math.abs(r.h50 - r.e50) / r.e50).toBeLessThan(0.01);
      expect(Math.abs(r.h90 - r.e90) / r.e90).toBeLessThan(0.01);
    }
  });
});
