/**
 * SLOs, error budgets, burn rates, attainment and goodput (pipelines/kpi/slo.ts) on
 * requests and GPU samples written straight into the facts.
 *
 * Config: H100 at 3.6 USD/h; deployment d70 (model m70) on GPU-1; SLO entries
 *   1. m70: ttft_p95_ms 500, tpot_ms 50, e2e_p99_ms 10000, error_rate 0.25
 *   2. m70 / endpoint chat: ttft_p95_ms 300
 *   3. m8: error_rate 0 (no budget at all)
 * GPU-1 sampled every 5 min 10:00 … 10:55: 12 × 300 s = 1 GPU-hour in hour 10.
 * Window [10:00, 11:00) of 2026-11-23; burn windows end at 11:00.
 *
 *  req  time   tenant  model endpoint   in/out  e2e    ttft  error  tpot = (e2e − ttft)/(out − 1)
 *  r1   10:01  acme    m70   chat       100/11  1000   200          80
 *  r2   10:10  acme    m70   chat       100/21  1200   200          50
 *  r3   10:20  acme    m70   completion 200/41  2400   400          50
 *  r4   10:35  globex  m70   chat       100/11   700   600          10
 *  r5   10:40  globex  m70   completion  50/1    300   300          — (one output token: not applicable)
 *  r6   10:50  globex  m70   chat       100/51 12000   250   yes    235
 *  r7   10:56  acme    m70   chat       100/11   900   —            — (no TTFT: unknown)
 *  r8   10:58  acme    m70   completion  60/21   800   100          35
 *  r9   08:00  acme    m70   chat       100/11   500   700   yes    −20   (outside the window; inside the 6 h burn window)
 *  r10  11:00  acme    m70   chat       100/11   500   100   yes          (at `to`: outside everything)
 *  r11  10:05  globex  m8    chat        10/5    100    50
 *  r12  10:10  acme    m3    chat        10/5    100    50                (no SLO covers m3)
 * Tokens (weights) of r1…r8: 111, 121, 241, 111, 51, 151, 111, 81 = 978; d70's 1 GPU-hour is shared in
 * that proportion. quantileExact(p) is the (⌊p × n⌋ + 1)-th smallest value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { goodput, slo, sloDefs } from '../../pipelines/kpi/slo.js';

let store: Store;
const config: Config = configSchema.parse({
  gpu_types: { H100: { hourly_usd: 3.6 } },
  deployments: [{ name: 'd70', model: 'm70', gpus: { uuids: ['GPU-1'] } }],
  slos: [
    { model: 'm70', ttft_p95_ms: 500, tpot_ms: 50, e2e_p99_ms: 10000, error_rate: 0.25 },
    { model: 'm70', endpoint: 'chat', ttft_p95_ms: 300 },
    { model: 'm8', error_rate: 0 },
  ],
});
const from = new Date('2026-11-23T10:00:00Z');
const to = new Date('2026-11-23T11:00:00Z');

type Req = [id: string, time: string, tenant: string, model: string, endpoint: string, input: number, output: number, e2e: number, ttft: number | null, error: boolean];
const reqs: Req[] = [
  ['r1', '10:01:00', 'acme', 'm70', 'chat', 100, 11, 1000, 200, false],
  ['r2', '10:10:00', 'acme', 'm70', 'chat', 100, 21, 1200, 200, false],
  ['r3', '10:20:00', 'acme', 'm70', 'completion', 200, 41, 2400, 400, false],
  ['r4', '10:35:00', 'globex', 'm70', 'chat', 100, 11, 700, 600, false],
  ['r5', '10:40:00', 'globex', 'm70', 'completion', 50, 1, 300, 300, false],
  ['r6', '10:50:00', 'globex', 'm70', 'chat', 100, 51, 12000, 250, true],
  ['r7', '10:56:00', 'acme', 'm70', 'chat', 100, 11, 900, null, false],
  ['r8', '10:58:00', 'acme', 'm70', 'completion', 60, 21, 800, 100, false],
  ['r9', '08:00:00', 'acme', 'm70', 'chat', 100, 11, 500, 700, true],
  ['r10', '11:00:00', 'acme', 'm70', 'chat', 100, 11, 500, 100, true],
  ['r11', '10:05:00', 'globex', 'm8', 'chat', 10, 5, 100, 50, false],
  ['r12', '10:10:00', 'acme', 'm3', 'chat', 10, 5, 100, 50, false],
];

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: reqs.map(([id, time, tenant, model, endpoint, input, output, e2e, ttft, error]) => ({
      ts: `2026-11-23 ${time}`,
      hour: `2026-11-23 ${time.slice(0, 2)}:00:00`,
      end_ts: `2026-11-23 ${time}`,
      trace_id: `trace-${id}`,
      span_id: `span-${id}`,
      parent_span_id: '',
      service: 'gateway',
      span_name: 'chat',
      tenant,
      model,
      request_model: model,
      endpoint,
      server_address: '',
      input_tokens: input,
      output_tokens: output,
      e2e_ms: e2e,
      ttft_ms: ttft,
      is_error: error ? 1 : 0,
      error_type: error ? 'server_error' : '',
      workflow_id: '',
    })),
  });
  await store.client.insert({
    table: 'gpu_samples',
    format: 'JSONEachRow',
    values: Array.from({ length: 12 }, (_, k) => ({
      ts: `2026-11-23 10:${String(k * 5).padStart(2, '0')}:00`,
      uuid: 'GPU-1', gpu_index: 0, node: 'node-a', model_name: 'NVIDIA H100 80GB HBM3', gpu_type: 'H100', pod: '', namespace: '',
      metric: 'DCGM_FI_DEV_GPU_UTIL', value: 50,
    })),
  });
});
afterAll(() => store.close());

const c = (x: number) => expect.closeTo(x, 9);

describe('SLO definitions', () => {
  it('one SLO per target set, named <model>[/<endpoint>]:<kind>', () => {
    expect(sloDefs(config).map((d) => [d.slo, d.entry, d.target, d.allowed_bad_ratio])).toEqual([
      ['m70:ttft_p95_ms', 1, 500, 0.05],
      ['m70:tpot_ms', 1, 50, 0.05],
      ['m70:e2e_p99_ms', 1, 10000, 0.01],
      ['m70:error_rate', 1, 0.25, 0.25],
      ['m70/chat:ttft_p95_ms', 2, 300, 0.05],
      ['m8:error_rate', 3, 0, 0],
    ]);
  });
});

describe('SLIs, error budgets and burn rates', () => {
  it('every SLO over the window, burn rates over the windows ending at `to`', async () => {
    const r = await slo(store, config, { from, to });
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T11:00:00.000Z' });
    // Entry 1 covers r1…r8: met (TTFT ≤ 500, TPOT ≤ 50 or n/a, no error) r2, r3, r5, r8 → attainment 4/8;
    // their tokens 121 + 241 + 51 + 81 = 494 over the entry's 978/978 = 1 GPU-hour → goodput 494.
    const entry1 = { model: 'm70', endpoint: null, requests: 8, slo_attainment: 0.5, goodput_tokens_per_gpu_hour: c(494) };
    expect(r.rows).toEqual([
      {
        // TTFT events: the 7 requests with a TTFT, [100,200,200,250,300,400,600]; p95 → the 7th = 600 > 500.
        // Bad: r4 (600) → 1/7; budget 1 − (1/7)/0.05 = −13/7.
        // Burn: 5m [10:55,11:00) r8 ok (r7 has no TTFT) → 0/1; 30m r4 r5 r6 r8 → 1/4 / 0.05 = 5;
        // 1h 1/7 / 0.05 = 20/7; 6h adds r9 (700, bad) → 2/8 / 0.05 = 5.
        slo: 'm70:ttft_p95_ms', kind: 'ttft_p95_ms', target: 500, sli: 600, slo_met: false, events: 7, bad_events: 1,
        bad_ratio: c(1 / 7), allowed_bad_ratio: 0.05, error_budget_remaining: c(-13 / 7), ...entry1,
        slo_burn_rate_5m: 0, slo_burn_rate_30m: c(5), slo_burn_rate_1h: c(20 / 7), slo_burn_rate_6h: c(5),
      },
      {
        // TPOT events: r1 80, r2 50, r3 50, r4 10, r6 235, r8 35 (r5 n/a, r7 unknown) → p95 the 6th of 6 = 235.
        // Bad (> 50): r1, r6 → 1/3; budget 1 − (1/3)/0.05 = −17/3.
        // Burn: 5m r8 → 0; 30m r4 r6 r8 → 1/3 / 0.05 = 20/3; 1h 20/3; 6h r9 (−20, good) → 2/7 / 0.05 = 40/7.
        slo: 'm70:tpot_ms', kind: 'tpot_ms', target: 50, sli: 235, slo_met: false, events: 6, bad_events: 2,
        bad_ratio: c(1 / 3), allowed_bad_ratio: 0.05, error_budget_remaining: c(-17 / 3), ...entry1,
        slo_burn_rate_5m: 0, slo_burn_rate_30m: c(20 / 3), slo_burn_rate_1h: c(20 / 3), slo_burn_rate_6h: c(40 / 7),
      },
      {
        // e2e of the 8: p99 → the 8th smallest = 12000 > 10000; bad r6 → 1/8; budget 1 − 0.125/0.01 = −11.5.
        // Burn: 5m r7 r8 → 0; 30m r4…r8 → 1/5 / 0.01 = 20; 1h 12.5; 6h 1/9 / 0.01 = 100/9.
        slo: 'm70:e2e_p99_ms', kind: 'e2e_p99_ms', target: 10000, sli: 12000, slo_met: false, events: 8, bad_events: 1,
        bad_ratio: 0.125, allowed_bad_ratio: 0.01, error_budget_remaining: c(-11.5), ...entry1,
        slo_burn_rate_5m: 0, slo_burn_rate_30m: c(20), slo_burn_rate_1h: c(12.5), slo_burn_rate_6h: c(100 / 9),
      },
      {
        // errors: r6 → 1/8 = 0.125 ≤ 0.25: met; budget 1 − 0.125/0.25 = 0.5.
        // Burn: 5m 0/2 → 0; 30m 1/5 / 0.25 = 0.8; 1h 0.5; 6h r6 + r9 → 2/9 / 0.25 = 8/9.
        slo: 'm70:error_rate', kind: 'error_rate', target: 0.25, sli: 0.125, slo_met: true, events: 8, bad_events: 1,
        bad_ratio: 0.125, allowed_bad_ratio: 0.25, error_budget_remaining: 0.5, ...entry1,
        slo_burn_rate_5m: 0, slo_burn_rate_30m: c(0.8), slo_burn_rate_1h: 0.5, slo_burn_rate_6h: c(8 / 9),
      },
      {
        // Entry 2 covers the chat requests r1 r2 r4 r6 r7. TTFT events r1 r2 r4 r6: [200,200,250,600], p95 → 600;
        // bad r4 → 1/4; budget 1 − 0.25/0.05 = −4. Met (TTFT ≤ 300, no error): r1, r2 → 2/5; their tokens
        // 111 + 121 = 232 over the entry's (111+121+111+151+111)/978 = 605/978 GPU-hours → 232 × 978/605.
        // Burn: 5m only r7 (no TTFT) → no events → null; 30m r4 bad, r6 → 1/2 / 0.05 = 10; 1h 5;
        // 6h adds r9 (bad) → 2/5 / 0.05 = 8.
        slo: 'm70/chat:ttft_p95_ms', model: 'm70', endpoint: 'chat', kind: 'ttft_p95_ms', target: 300, sli: 600, slo_met: false,
        requests: 5, events: 4, bad_events: 1, bad_ratio: 0.25, allowed_bad_ratio: 0.05, error_budget_remaining: c(-4),
        slo_attainment: 0.4, goodput_tokens_per_gpu_hour: c((232 * 978) / 605),
        slo_burn_rate_5m: null, slo_burn_rate_30m: c(10), slo_burn_rate_1h: c(5), slo_burn_rate_6h: c(8),
      },
      {
        // m8: r11, no error: sli 0 ≤ 0, met; a zero target leaves no budget: budget and burn rates null.
        // Attainment 1/1; m8 has no GPUs of its own → no GPU-hours → goodput null.
        slo: 'm8:error_rate', model: 'm8', endpoint: null, kind: 'error_rate', target: 0, sli: 0, slo_met: true,
        requests: 1, events: 1, bad_events: 0, bad_ratio: 0, allowed_bad_ratio: 0, error_budget_remaining: null,
        slo_attainment: 1, goodput_tokens_per_gpu_hour: null,
        slo_burn_rate_5m: null, slo_burn_rate_30m: null, slo_burn_rate_1h: null, slo_burn_rate_6h: null,
      },
    ]);
  });

  it('a tenant sees SLOs over its own requests only', async () => {
    const r = await slo(store, config, { from, to, tenant: 'globex' });
    const pick = (x: Record<string, unknown>) => [x.slo, x.requests, x.events, x.bad_events, x.sli, x.slo_attainment, x.slo_burn_rate_6h];
    expect(r.rows.map(pick)).toEqual([
      // globex: r4 r5 r6 (entry 1), r4 r6 (entry 2), r11 (m8). Met entry 1: r5 → 1/3.
      // TTFT [250,300,600] → p95 600; bad r4; 6h: 1/3 / 0.05 = 20/3.
      ['m70:ttft_p95_ms', 3, 3, 1, 600, c(1 / 3), c(20 / 3)],
      // TPOT r4 10, r6 235 (r5 n/a) → p95 235; bad r6 → 1/2 / 0.05 = 10
      ['m70:tpot_ms', 3, 2, 1, 235, c(1 / 3), c(10)],
      // e2e [300, 700, 12000] → p99 12000; bad r6 → 1/3 / 0.01 = 100/3
      ['m70:e2e_p99_ms', 3, 3, 1, 12000, c(1 / 3), c(100 / 3)],
      // errors r6 → 1/3 > 0.25; 6h: 1/3 / 0.25 = 4/3 (acme's r9 is not globex's)
      ['m70:error_rate', 3, 3, 1, c(1 / 3), c(1 / 3), c(4 / 3)],
      // chat: r4 600 (bad), r6 250 → p95 600; met: none (r4 slow, r6 errored) → 0
      ['m70/chat:ttft_p95_ms', 2, 2, 1, 600, 0, c(10)],
      ['m8:error_rate', 1, 1, 0, 0, 1, null],
    ]);
  });

  it('an SLO without requests in the window has a row of nulls', async () => {
    const r = await slo(store, config, { from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-24T01:00:00Z') });
    expect(r.rows).toHaveLength(6);
    expect(r.rows[0]).toEqual({
      slo: 'm70:ttft_p95_ms', model: 'm70', endpoint: null, kind: 'ttft_p95_ms', target: 500, sli: null, slo_met: null,
      requests: 0, events: 0, bad_events: 0, bad_ratio: null, allowed_bad_ratio: 0.05, error_budget_remaining: null,
      slo_attainment: null, goodput_tokens_per_gpu_hour: null,
      slo_burn_rate_5m: null, slo_burn_rate_30m: null, slo_burn_rate_1h: null, slo_burn_rate_6h: null,
    });
  });
});

describe('goodput by request dimensions', () => {
  it('each request judged by its most specific SLO entry; requests no SLO covers left out', async () => {
    const r = await goodput(store, config, { by: ['model', 'gpu_type'], from, to });
    expect(r.rows).toEqual([
      // m70: chat requests by entry 2 (TTFT ≤ 300, no error): r1, r2 good; r4 slow, r6 errored, r7 unknown.
      // Others by entry 1: r3, r5, r8 good. Good: 5 of 8; tokens 111 + 121 + 241 + 51 + 81 = 605 over 1 GPU-hour.
      { model: 'm70', gpu_type: 'H100', requests: 8, tokens: 978, good_requests: 5, good_tokens: 605, gpu_hours: c(1), slo_attainment: 0.625, goodput_tokens_per_gpu_hour: c(605) },
      { model: 'm8', gpu_type: 'unassigned', requests: 1, tokens: 15, good_requests: 1, good_tokens: 15, gpu_hours: 0, slo_attainment: 1, goodput_tokens_per_gpu_hour: null },
    ]);
  });

  it('by tenant, and scoped to one tenant', async () => {
    const all = await goodput(store, config, { by: ['tenant'], from, to });
    // acme: r1 r2 r3 r7 r8 → good r1 r2 r3 r8 (111+121+241+81 = 554) over (111+121+241+111+81)/978 = 665/978 GPU-hours
    // globex: r4 r5 r6 r11 → good r5, r11 (51 + 15 = 66) over (111+51+151)/978 = 313/978 GPU-hours
    expect(all.rows.map((x) => [x.tenant, x.good_requests, x.good_tokens, x.goodput_tokens_per_gpu_hour])).toEqual([
      ['acme', 4, 554, c((554 * 978) / 665)],
      ['globex', 2, 66, c((66 * 978) / 313)],
    ]);
    const scoped = await goodput(store, config, { by: ['tenant'], from, to, tenant: 'globex' });
    expect(scoped.rows.map((x) => x.tenant)).toEqual(['globex']);
    expect((await goodput(store, config, { by: [], from, to, tenant: 'nobody' })).rows).toEqual([]);
  });
});
