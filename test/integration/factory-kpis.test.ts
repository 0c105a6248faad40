/**
 * The hand-worked factory: every KPI of KPIS.md on a small factory, worked out by hand.
 * Data: test/fixtures/factory/ (generate.mjs makes it), config token-factory.yaml there.
 *
 * GPUs, sampled every 15 min 10:00 … 12:00 (max_sample_gap_s 900), constant power:
 *   node-a GPU 0, 1  H100  llama-70b (node + index)  400 W  active 0.8 / 0.6
 *   node-b GPU 0     B200  llama-8b  (UUID)          800 W  active 0.5
 *   node-b GPU 1     B200  unassigned (no rule)      500 W  active 0
 * Each GPU-hour: 4 samples × 900 s covered = 1 GPU-hour; energy = W × 3600 s.
 *   H100: 1 h × 2.0 + 0.4 kWh × 1.5 × 0.10 = 2.06 USD   → llama-70b 4.12 USD/h
 *   B200: 1 h × 4.0 + 0.8 kWh × 0.15       = 4.12 USD   → llama-8b  4.12 USD/h
 *   B200 unassigned: 4.0 + 0.5 kWh × 0.15   = 4.075 USD  → unassigned 4.075 USD/h
 *   Window 10:00–12:00: GPU cost 2 × (4.12 + 4.12 + 4.075) = 24.63 USD, 8 GPU-hours.
 *
 * Requests (token_weights input 1, output 3 → weight = in + 3 × out):
 *   a acme    70b 10:05 in 1000 out  500  w 2500  e2e 2000 ttft 200
 *   b globex  70b 10:20 in 3000 out 1000  w 6000  e2e 6000 ttft 1000  ERROR
 *   c initech 70b 10:40 in 1500 out  500  w 3000  e2e 2500 ttft 250   (delivered twice)
 *   f acme     8b 10:10 in 2000 out 1000  w 5000  e2e 4000 ttft 400
 *   g initech  8b 10:50 in  500 out  500  w 2000  e2e 1000 ttft 100
 *   d acme    70b 11:02 in  500 out  500  w 2000  e2e 3000 ttft 300
 *   e globex  70b 11:30 in 1000 out 1000  w 4000  e2e 5000 ttft 500
 * Attribution, µ$, largest remainder per deployment-hour:
 *   70b@10 (4 120 000, Σw 11 500): a 895 652.17 → 895 652; b 2 149 565.22 → 2 149 565;
 *          c 1 074 782.61 → 1 074 783 (floors sum to 4 119 999; the one left goes to .61)
 *   70b@11 (Σw 6 000): d 1 373 333.33 → 1 373 333; e 2 746 666.67 → 2 746 667
 *   8b@10  (Σw 7 000): f 2 942 857.14 → 2 942 857; g 1 177 142.86 → 1 177 143
 *   8b@11: no requests → idle 4.12 USD. Unassigned: 8.15 USD.
 *   Σ requests 12.36 + idle 4.12 + unassigned 8.15 = 24.63 = Σ GPU cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { loadConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { loadFactoryFixture } from '../fixtures/factory/load-fixture.js';
import { costTotals, gpuCostMicro, unitEconomics } from '../../pipelines/kpi/unit-economics.js';
import { gpuUsage } from '../../pipelines/kpi/gpu-usage.js';

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/factory/${f}`, import.meta.url));
let store: Store;
let config: Config;
const M70 = 'meta/llama-3.1-70b-instruct';
const M8 = 'meta/llama-3.1-8b-instruct';
const window = { from: new Date('2026-11-23T10:00:00Z'), to: new Date('2026-11-23T12:00:00Z') };

beforeAll(async () => {
  config = loadConfig({ file: fixture('token-factory.yaml'), env: {} }).config;
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store, { views: config.attribution });
  await loadFactoryFixture(store);
});
afterAll(() => store.close());

describe('cost: GPU time, energy, attribution', () => {
  it('per deployment and hour: request, idle and unassigned cost add up to the GPU cost', async () => {
    const r = await costTotals(store, config, { ...window, by: ['deployment', 'hour'] });
    const h10 = '2026-11-23T10:00:00Z';
    const h11 = '2026-11-23T11:00:00Z';
    expect(r.rows).toEqual([
      { deployment: 'llama-70b', hour: h10, gpu_hours: expect.closeTo(2, 12), gpu_cost_usd: 4.12, request_cost_usd: 4.12, idle_cost_usd: 0, unassigned_cost_usd: 0 },
      { deployment: 'llama-70b', hour: h11, gpu_hours: expect.closeTo(2, 12), gpu_cost_usd: 4.12, request_cost_usd: 4.12, idle_cost_usd: 0, unassigned_cost_usd: 0 },
      { deployment: 'llama-8b', hour: h10, gpu_hours: expect.closeTo(1, 12), gpu_cost_usd: 4.12, request_cost_usd: 4.12, idle_cost_usd: 0, unassigned_cost_usd: 0 },
      { deployment: 'llama-8b', hour: h11, gpu_hours: expect.closeTo(1, 12), gpu_cost_usd: 4.12, request_cost_usd: 0, idle_cost_usd: 4.12, unassigned_cost_usd: 0 },
      { deployment: 'unassigned', hour: h10, gpu_hours: expect.closeTo(1, 12), gpu_cost_usd: 4.075, request_cost_usd: 0, idle_cost_usd: 0, unassigned_cost_usd: 4.075 },
      { deployment: 'unassigned', hour: h11, gpu_hours: expect.closeTo(1, 12), gpu_cost_usd: 4.075, request_cost_usd: 0, idle_cost_usd: 0, unassigned_cost_usd: 4.075 },
    ]);
    const total = await costTotals(store, config, window);
    expect(total.rows).toEqual([{ gpu_hours: expect.closeTo(8, 12), gpu_cost_usd: 24.63, request_cost_usd: 12.36, idle_cost_usd: 4.12, unassigned_cost_usd: 8.15 }]);
    expect(await gpuCostMicro(store, config, window)).toBe(24_630_000);
  });

  it('by node: GPU-hours, busy ratio, energy, cost and the tokens the GPUs served', async () => {
    const r = await gpuUsage(store, config, { ...window, by: ['node'] });
    expect(r.rows).toEqual([
      // node-a: 2 H100 × 2 h; busy (0.8 + 0.6) / 2; 4 × 0.4 kWh; 4 × 2.06 USD;
      // tokens: all of llama-70b's: 5500 + 1500 in, 2000 + 1500 out
      { node: 'node-a', gpus: 2, gpu_hours: 4, busy_ratio: expect.closeTo(0.7, 12), energy_kwh: expect.closeTo(1.6, 12), cost_usd: 8.24,
        input_tokens: 7000, output_tokens: 3500, tokens: 10500, tokens_per_gpu_hour: 2625, output_tokens_per_gpu_hour: 875, tokens_per_kwh: expect.closeTo(10500 / 1.6, 9) },
      // node-b: 2 B200 × 2 h; busy (0.5 × 2 + 0 × 2) / 4; (0.8 + 0.5) × 2 kWh; 8.24 + 8.15 USD;
      // tokens: llama-8b's (the unassigned GPU served none): 2500 in, 1500 out
      { node: 'node-b', gpus: 2, gpu_hours: 4, busy_ratio: expect.closeTo(0.25, 12), energy_kwh: expect.closeTo(2.6, 12), cost_usd: 16.39,
        input_tokens: 2500, output_tokens: 1500, tokens: 4000, tokens_per_gpu_hour: 1000, output_tokens_per_gpu_hour: 375, tokens_per_kwh: expect.closeTo(4000 / 2.6, 9) },
    ]);
  });
});

describe('tokens and unit economics', () => {
  it('by tenant: tokens, errors, cost split into input and output', async () => {
    const r = await unitEconomics(store, config, { ...window, by: ['tenant'] });
    const cols = ['tenant', 'requests', 'input_tokens', 'output_tokens', 'tokens', 'errors', 'wasted_tokens', 'error_rate', 'cost_usd', 'cost_input_usd', 'cost_output_usd'];
    expect(r.rows.map((row) => Object.fromEntries(cols.map((c) => [c, row[c]])))).toEqual([
      // acme a + d + f: cost 895 652 + 1 373 333 + 2 942 857 = 5 211 842 µ$
      //   input share (cost × in / weight): 358 260.8 + 343 333.25 + 1 177 142.8 = 1 878 736.85 → 1 878 737
      //   output share: 537 391.2 + 1 029 999.75 + 1 765 714.2 = 3 333 105.15 → 3 333 105
      { tenant: 'acme', requests: 3, input_tokens: 3500, output_tokens: 2000, tokens: 5500, errors: 0, wasted_tokens: 0, error_rate: 0, cost_usd: 5.211842, cost_input_usd: 1.878737, cost_output_usd: 3.333105 },
      // globex b + e: 2 149 565 + 2 746 667 = 4 896 232; b errored: 4000 tokens wasted
      //   input: 1 074 782.5 + 686 666.75 = 1 761 449.25 → 1 761 449; output: 1 074 782.5 + 2 060 000.25 = 3 134 782.75 → 3 134 783
      { tenant: 'globex', requests: 2, input_tokens: 4000, output_tokens: 2000, tokens: 6000, errors: 1, wasted_tokens: 4000, error_rate: 0.5, cost_usd: 4.896232, cost_input_usd: 1.761449, cost_output_usd: 3.134783 },
      // initech c (once) + g: 1 074 783 + 1 177 143 = 2 251 926
      //   input: 537 391.5 + 294 285.75 = 831 677.25 → 831 677; output: 537 391.5 + 882 857.25 = 1 420 248.75 → 1 420 249
      { tenant: 'initech', requests: 2, input_tokens: 2000, output_tokens: 1000, tokens: 3000, errors: 0, wasted_tokens: 0, error_rate: 0, cost_usd: 2.251926, cost_input_usd: 0.831677, cost_output_usd: 1.420249 },
    ]);
    // per M tokens: acme 5.211842 / 5500 × 1e6; input 1.878737 / 3500 × 1e6; output 3.333105 / 2000 × 1e6
    expect(r.rows[0]!.cost_per_mtok_usd).toBeCloseTo(947.607636, 5);
    expect(r.rows[0]!.cost_per_mtok_input_usd).toBeCloseTo(536.782, 5);
    expect(r.rows[0]!.cost_per_mtok_output_usd).toBeCloseTo(1666.5525, 5);
    // attributed GPU-hours of acme: 2 × 2500/11500 + 2 × 2000/6000 + 1 × 5000/7000
    const acmeGpuHours = (2 * 2500) / 11500 + (2 * 2000) / 6000 + 5000 / 7000;
    expect(r.rows[0]!.gpu_hours).toBeCloseTo(acmeGpuHours, 12);
    expect(r.rows[0]!.tokens_per_gpu_hour).toBeCloseTo(5500 / acmeGpuHours, 9);
  });

  it('by model and gpu_type: tokens per GPU-hour and cost per M tokens, energy', async () => {
    const r = await unitEconomics(store, config, { ...window, by: ['model', 'gpu_type'] });
    const cols = ['model', 'gpu_type', 'requests', 'tokens', 'cost_usd', 'gpu_hours', 'tokens_per_gpu_hour', 'output_tokens_per_gpu_hour'];
    expect(r.rows.map((row) => Object.fromEntries(cols.map((c) => [c, row[c]])))).toEqual([
      // 70b on 2 H100 for 2 h, both hours served: 7500 + 3000 tokens (2000 + 1500 output), 8.24 USD
      { model: M70, gpu_type: 'H100', requests: 5, tokens: 10500, cost_usd: 8.24, gpu_hours: expect.closeTo(4, 12), tokens_per_gpu_hour: expect.closeTo(2625, 9), output_tokens_per_gpu_hour: expect.closeTo(875, 9) },
      // 8b on one B200, served in hour 10 only (hour 11 is idle, not spread): 4000 tokens, 4.12 USD
      { model: M8, gpu_type: 'B200', requests: 2, tokens: 4000, cost_usd: 4.12, gpu_hours: expect.closeTo(1, 12), tokens_per_gpu_hour: expect.closeTo(4000, 9), output_tokens_per_gpu_hour: expect.closeTo(1500, 9) },
    ]);
    // cost per M tokens: 8.24 / 10500 × 1e6 = 784.761904…; 4.12 / 4000 × 1e6 = 1030
    expect(r.rows[0]!.cost_per_mtok_usd).toBeCloseTo(784.761905, 5);
    expect(r.rows[1]!.cost_per_mtok_usd).toBeCloseTo(1030, 9);
    // energy attributed: 70b 2 × 0.4 kWh × 2 h = 1.6 kWh → 10500 / 1.6 tokens per kWh, 1.6 / 10500 × 1e6 kWh per M
    expect(r.rows[0]!.energy_kwh).toBeCloseTo(1.6, 12);
    expect(r.rows[0]!.tokens_per_kwh).toBeCloseTo(6562.5, 9);
    expect(r.rows[0]!.energy_kwh_per_mtok).toBeCloseTo(152.380952, 5);
  });

  it('latency quantiles, exact on raw rows', async () => {
    const r = await unitEconomics(store, config, { ...window, by: ['model'] });
    // 70b e2e sorted: 2000 2500 3000 5000 6000 — quantileExact takes the element at ⌊q × n⌋:
    // p50 → [2] = 3000, p90 → [4] = 6000; ttft 200 250 300 500 1000 → p50 300, p90 1000
    // tpot = (e2e − ttft) / (out − 1): a 1800/499, c 2250/499, d 2700/499, e 4500/999, b 5000/999
    //   sorted 3.607 (a), 4.5045 (e), 4.5090 (c), 5.0050 (b), 5.4108 (d) → p50 = c = 2250/499
    expect(r.rows[0]).toMatchObject({ model: M70, e2e_ms_p50: 3000, e2e_ms_p90: 6000, e2e_ms_p99: 6000, ttft_ms_p50: 300, ttft_ms_p90: 1000 });
    expect(r.rows[0]!.tpot_ms_p50).toBeCloseTo(2250 / 499, 9);
    // 8b: e2e 1000 4000 → p50 → [1] = 4000
    expect(r.rows[1]).toMatchObject({ model: M8, e2e_ms_p50: 4000, ttft_ms_p50: 400 });
  });

  it('a tenant filter sees only that tenant', async () => {
    const r = await unitEconomics(store, config, { ...window, by: ['model'], tenant: 'initech' });
    expect(r.rows.map((x) => [x.model, x.requests, x.tokens, x.cost_usd])).toEqual([
      [M70, 1, 2000, 1.074783],
      [M8, 1, 1000, 1.177143],
    ]);
  });
});
