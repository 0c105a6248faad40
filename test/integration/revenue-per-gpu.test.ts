/**
 * Annual revenue per GPU (pipelines/kpi/revenue-per-gpu.ts) on a hand-built window
 * [10:00, 11:00), facts inserted directly.
 *
 * GPUs (DCGM power only, samples at 10:00, 10:05, 10:10; max_sample_gap_s 300):
 *   node-x GPU 0 and 1, H100, deployment d1 (model m1): each sample covers 300 s (the last
 *   the 300 s since the one before) → 900 s = 0.25 GPU-h each, 0.5 for the type.
 *   Energy: 600 W × 900 s / 3.6e6 = 0.15 kWh and 400 W → 0.1 kWh; avg power 0.25 / 0.5 = 0.5 kW.
 *   node-y GPU 0, A100 (no deployment, no cost model), samples at 10:00, 10:05 at 300 W:
 *   600 s = 1/6 GPU-h, 300 × 600 / 3.6e6 = 0.05 kWh → 0.3 kW.
 * Requests of m1 (→ d1): 10:01 60 000 tokens, 10:06 120 000, 10:11 30 000 → 210 000 tokens
 *   over d1's 0.5 GPU-h → tokens_per_gpu_hour 420 000.
 * Measured peak (5-minute buckets, 2 GPUs each, × 12 per hour): 60 000/2×12 = 360 000,
 *   720 000, 180 000; quantileExact(0.95) of 3 values = the one at ⌊2.85⌋ = index 2 of the
 *   sorted list = 720 000. token_active_utilization = 420 000 / 720 000 = 0.58333…
 * Cost model: H100 2 USD/h, 0.1 USD/kWh, PUE 1.5 → annual cost 2 × 8760 + 0.5 × 8760 × 1.5 ×
 *   0.1 = 17 520 + 657 = 18 177. B200 4.2 USD/h, no energy price → 36 792.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { resolveScenario, revenuePerGpu } from '../../pipelines/kpi/revenue-per-gpu.js';

let store: Store;
const base = {
  gpu_types: {
    H100: { hourly_usd: 2, kwh_usd: 0.1, pue: 1.5, units_per_gpu_hour: 1 },
    B200: { hourly_usd: 4.2, units_per_gpu_hour: 2.2 },
  },
  deployments: [{ name: 'd1', model: 'm1', gpus: { nodes: [{ node: 'node-x', gpus: [0, 1] }] } }],
  revenue: {
    taas: { peak_tokens_per_gpu_hour: { B200: 50e6 } },
    compute_tokens: { tiers: [{ name: 'starter', unit_price_usd: 0.5, valid_days: 30 }, { name: 'pro', unit_price_usd: 2.4, valid_days: 365 }] },
  },
};
const config: Config = configSchema.parse(base);
const window = { from: new Date('2026-11-23T10:00:00Z'), to: new Date('2026-11-23T11:00:00Z') };

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  const gpu = (ts: string, uuid: string, node: string, idx: number, type: string, watts: number) => ({
    ts: `2026-11-23 ${ts}`, uuid, gpu_index: idx, node, model_name: `NVIDIA ${type}`, gpu_type: type, metric: 'DCGM_FI_DEV_POWER_USAGE', value: watts,
  });
  await store.client.insert({
    table: 'gpu_samples',
    format: 'JSONEachRow',
    values: [
      ...['10:00:00', '10:05:00', '10:10:00'].flatMap((t) => [gpu(t, 'GPU-X0', 'node-x', 0, 'H100', 600), gpu(t, 'GPU-X1', 'node-x', 1, 'H100', 400)]),
      ...['10:00:00', '10:05:00'].map((t) => gpu(t, 'GPU-Y0', 'node-y', 0, 'A100', 300)),
    ],
  });
  const req = (ts: string, id: string, input: number, output: number) => ({
    ts: `2026-11-23 ${ts}`, hour: '2026-11-23 10:00:00', end_ts: `2026-11-23 ${ts}`, trace_id: id, span_id: id, tenant: 't', model: 'm1', endpoint: 'chat', input_tokens: input, output_tokens: output,
  });
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: [req('10:01:00', 'r1', 50_000, 10_000), req('10:06:00', 'r2', 100_000, 20_000), req('10:11:00', 'r3', 25_000, 5_000)],
  });
});
afterAll(() => store.close());

describe('annual revenue per GPU', () => {
  it("KPIS.md's worked check: 18 396 rental, 157 680 and 315 360 TaaS, and the break-even price", async () => {
    const c = configSchema.parse({ ...base, revenue: { ...base.revenue, taas: { peak_tokens_per_gpu_hour: { H100: 30e6 } } } });
    const [h100] = (await revenuePerGpu(store, c, { ...window, gpu_type: 'H100' })).rows;
    // 3 USD/h × 8760 × 0.7 = 18 396; 30e6 × 1 USD/M / 1e6 × 0.6 × 8760 = 157 680
    expect(h100).toMatchObject({ gpu_type: 'H100', peak_source: 'config', peak_tokens_per_gpu_hour: 30e6, annual_revenue_gpu_hour_usd: 18396, annual_revenue_taas_usd: 157680 });
    // break-even: 3 × 0.7 × 1e6 / (30e6 × 0.6) = 2.1 / 18 = 0.11666… USD per M tokens
    expect(h100!.break_even_usd_per_mtok).toBeCloseTo(2.1 / 18, 12);
    // twice the throughput (60 M tokens/h): 315 360, break-even halves
    const [next] = (await revenuePerGpu(store, c, { ...window, gpu_type: 'H100', scenario: { throughput_multiplier: 2 } })).rows;
    expect(next).toMatchObject({ peak_tokens_per_gpu_hour: 60e6, annual_revenue_taas_usd: 315360 });
    expect(next!.break_even_usd_per_mtok).toBeCloseTo(2.1 / 36, 12);
    // at the break-even price TaaS earns exactly the rental revenue
    const [even] = (await revenuePerGpu(store, c, { ...window, gpu_type: 'H100', scenario: { price_usd_per_mtok: h100!.break_even_usd_per_mtok! } })).rows;
    expect(even!.annual_revenue_taas_usd).toBeCloseTo(18396, 6);
  });

  it('per gpu_type: measured throughput, peak, power and cost; configured types without data; unconfigured types with data', async () => {
    const r = await revenuePerGpu(store, config, window);
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T11:00:00.000Z' });
    expect(r.rows).toEqual([
      {
        gpu_type: 'A100', gpus: 1, gpu_hours: expect.closeTo(1 / 6, 12), tokens: 0, tokens_per_gpu_hour: null,
        peak_tokens_per_gpu_hour: null, peak_source: null, token_active_utilization: null, avg_power_kw: expect.closeTo(0.3, 12),
        rate_usd_per_hour: 3, rental_utilization: 0.7, price_usd_per_mtok: 1, scenario_token_active_utilization: 0.6, throughput_multiplier: 1,
        compute_tokens_tier: 'starter', compute_tokens_unit_price_usd: 0.5, units_per_gpu_hour: null, hourly_usd: null, kwh_usd: null, pue: null,
        // no cost model for A100: cost and margins unknown (null), rental revenue needs none
        annual_revenue_gpu_hour_usd: 18396, annual_revenue_taas_usd: null, annual_revenue_taas_measured_usd: null, annual_revenue_compute_tokens_usd: null,
        annual_cost_usd: null, annual_margin_gpu_hour_usd: null, annual_margin_taas_usd: null, annual_margin_taas_measured_usd: null,
        annual_margin_compute_tokens_usd: null, break_even_usd_per_mtok: null,
      },
      {
        gpu_type: 'B200', gpus: 0, gpu_hours: 0, tokens: 0, tokens_per_gpu_hour: null,
        peak_tokens_per_gpu_hour: 50e6, peak_source: 'config', token_active_utilization: null, avg_power_kw: null,
        rate_usd_per_hour: 3, rental_utilization: 0.7, price_usd_per_mtok: 1, scenario_token_active_utilization: 0.6, throughput_multiplier: 1,
        compute_tokens_tier: 'starter', compute_tokens_unit_price_usd: 0.5, units_per_gpu_hour: 2.2, hourly_usd: 4.2, kwh_usd: 0, pue: 1,
        annual_revenue_gpu_hour_usd: 18396,
        annual_revenue_taas_usd: 262800, // 50 × 0.6 × 8760
        annual_revenue_taas_measured_usd: null,
        annual_revenue_compute_tokens_usd: 6745.2, // 2.2 units × 0.5 × 8760 × 0.7
        annual_cost_usd: 36792, // 4.2 × 8760; energy has no price, so unmeasured power costs nothing
        annual_margin_gpu_hour_usd: -18396, annual_margin_taas_usd: 226008, annual_margin_taas_measured_usd: null,
        annual_margin_compute_tokens_usd: -30046.8,
        break_even_usd_per_mtok: expect.closeTo(0.07, 12), // 2.1e6 / (50e6 × 0.6)
      },
      {
        gpu_type: 'H100', gpus: 2, gpu_hours: expect.closeTo(0.5, 12), tokens: 210000, tokens_per_gpu_hour: expect.closeTo(420000, 6),
        peak_tokens_per_gpu_hour: 720000, peak_source: 'measured_p95', token_active_utilization: expect.closeTo(420000 / 720000, 12), avg_power_kw: expect.closeTo(0.5, 12),
        rate_usd_per_hour: 3, rental_utilization: 0.7, price_usd_per_mtok: 1, scenario_token_active_utilization: 0.6, throughput_multiplier: 1,
        compute_tokens_tier: 'starter', compute_tokens_unit_price_usd: 0.5, units_per_gpu_hour: 1, hourly_usd: 2, kwh_usd: 0.1, pue: 1.5,
        annual_revenue_gpu_hour_usd: 18396,
        annual_revenue_taas_usd: 3784.32, // 0.72 M × 1 × 0.6 × 8760
        annual_revenue_taas_measured_usd: 3679.2, // 0.42 M × 1 × 8760
        annual_revenue_compute_tokens_usd: 3066, // 1 × 0.5 × 8760 × 0.7
        annual_cost_usd: 18177,
        annual_margin_gpu_hour_usd: 219, annual_margin_taas_usd: -14392.68, annual_margin_taas_measured_usd: -14497.8,
        annual_margin_compute_tokens_usd: -15111,
        break_even_usd_per_mtok: expect.closeTo(2.1e6 / 432000, 12), // 3 × 0.7 × 1e6 / (720 000 × 0.6) = 4.8611…
      },
    ]);
  });

  it('scenario overrides (the plugin sliders): rate, utilizations, price, multiplier, tier', async () => {
    const r = await revenuePerGpu(store, config, {
      ...window,
      gpu_type: 'H100',
      scenario: { rate_usd_per_hour: 2, rental_utilization: '0.5', price_usd_per_mtok: 2, token_active_utilization: 0.8, throughput_multiplier: 2, compute_tokens_tier: 'pro' },
    });
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({
      rental_utilization: 0.5,
      annual_revenue_gpu_hour_usd: 8760, // 2 × 8760 × 0.5
      peak_tokens_per_gpu_hour: 1440000, // 720 000 × 2
      annual_revenue_taas_usd: 20183.04, // 1.44 × 2 × 0.8 × 8760
      annual_revenue_taas_measured_usd: 7358.4, // measured is not multiplied: 0.42 × 2 × 8760
      annual_revenue_compute_tokens_usd: 10512, // 1 × 2.4 × 8760 × 0.5
      annual_margin_gpu_hour_usd: -9417,
      annual_margin_taas_usd: 2006.04,
      annual_margin_taas_measured_usd: -10818.6,
      annual_margin_compute_tokens_usd: -7665,
    });
    // measured utilization is measured: tokens_per_gpu_hour / peak without the multiplier
    expect(r.rows[0]!.token_active_utilization).toBeCloseTo(420000 / 720000, 12);
    // 2 × 0.5 × 1e6 / (1.44e6 × 0.8) = 0.868055…
    expect(r.rows[0]!.break_even_usd_per_mtok).toBeCloseTo(1e6 / 1.152e6, 12);
  });

  it('per gpu_type and model', async () => {
    const r = await revenuePerGpu(store, config, { ...window, by: ['model'] });
    expect(r.rows.map((x) => [x.gpu_type, x.model, x.tokens, x.tokens_per_gpu_hour, x.peak_tokens_per_gpu_hour, x.annual_revenue_taas_measured_usd])).toEqual([
      ['H100', 'm1', 210000, 420000, 720000, 3679.2],
    ]);
  });

  it('validates scenario overrides with the field named', async () => {
    await expect(revenuePerGpu(store, config, { ...window, scenario: { rental_utilization: 1.5 } })).rejects.toThrow(/rental_utilization: .*1/);
    await expect(revenuePerGpu(store, config, { ...window, scenario: { price_usd_per_mtok: 'cheap' } })).rejects.toThrow(/price_usd_per_mtok: expected a number/);
    await expect(revenuePerGpu(store, config, { ...window, scenario: { throughput_multiplier: 0 } })).rejects.toThrow(/throughput_multiplier/);
    await expect(revenuePerGpu(store, config, { ...window, scenario: { rate: 3 } as never })).rejects.toThrow(/rate/);
    expect(() => resolveScenario(config, { compute_tokens_tier: 'gold' })).toThrow('compute_tokens_tier: unknown tier "gold"; configured: starter, pro');
    expect(resolveScenario(configSchema.parse({}), {})).toEqual({
      rate_usd_per_hour: 3, rental_utilization: 0.7, price_usd_per_mtok: 1, token_active_utilization: 0.6, throughput_multiplier: 1,
      compute_tokens_tier: null, compute_tokens_unit_price_usd: null,
    });
  });
});
