/**
 * Property: for any GPU samples, requests and cost model, every GPU micro-dollar is
 * accounted for exactly once — Σ request cost + idle + unassigned = Σ GPU cost — and
 * any grouping of the requests sums to the same request cost (KPIS.md "Attribution").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openStore, MEMORY_PATH, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { parseConfig } from '../../core/config/load.js';
import { costTotals, gpuCostMicro, unitEconomics } from '../../pipelines/kpi/unit-economics.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: MEMORY_PATH }, { command: 'test' });
  await migrate(store);
});
afterAll(() => store.close());

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0) / 1000;
const WINDOW_S = 3 * 3600;
const NODES = ['n1', 'n2'];
const TYPES = ['H100', 'B200'];
const MODELS = ['m-a', 'm-b', 'm-c']; // m-c has no deployment
const TENANTS = ['t1', 't2', 't3'];

const sampleArb = fc.record({
  gpu: fc.integer({ min: 0, max: 5 }), // node = gpu % 2, index = gpu >> 1
  t: fc.integer({ min: -600, max: WINDOW_S + 600 }),
  power: fc.double({ min: 0, max: 1000, noNaN: true }),
  energy: fc.integer({ min: 0, max: 2_000_000_000 }),
  active: fc.double({ min: 0, max: 1, noNaN: true }),
});
const requestArb = fc.record({
  t: fc.integer({ min: 0, max: WINDOW_S - 1 }),
  model: fc.constantFrom(...MODELS),
  tenant: fc.constantFrom(...TENANTS),
  input: fc.integer({ min: 0, max: 100_000 }),
  output: fc.integer({ min: 0, max: 20_000 }),
});
const costArb = fc.record({
  hourly: fc.tuple(fc.double({ min: 0, max: 20, noNaN: true }), fc.double({ min: 0, max: 20, noNaN: true })),
  kwh: fc.double({ min: 0, max: 1, noNaN: true }),
  pue: fc.double({ min: 1, max: 2, noNaN: true }),
  w_in: fc.double({ min: 0, max: 5, noNaN: true }),
  w_out: fc.double({ min: 0, max: 5, noNaN: true }),
  gap: fc.integer({ min: 30, max: 900 }),
});

type Cost = typeof costArb extends fc.Arbitrary<infer T> ? T : never;

function configFor(c: Cost) {
  return parseConfig(
    {
      attribution: { token_weights: { input: c.w_in, output: c.w_out }, max_sample_gap_s: c.gap },
      gpu_types: { H100: { hourly_usd: c.hourly[0], kwh_usd: c.kwh, pue: c.pue }, B200: { hourly_usd: c.hourly[1], kwh_usd: c.kwh, pue: c.pue } },
      deployments: [
        // GPUs 0 and 2 (n1 index 0 and 1) serve m-a; GPU 1 (n2 index 0) serves m-b; GPUs 3, 4, 5 belong to nobody
        { name: 'dep-a', model: 'm-a', gpus: { nodes: [{ node: 'n1', gpus: [0, 1] }] } },
        { name: 'dep-b', model: 'm-b', gpus: { uuids: ['GPU-1'] } },
      ],
    },
    'property',
  );
}

describe('cost identity (property)', () => {
  it('request + idle + unassigned cost = GPU cost, to the micro-dollar; groupings sum to the total', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sampleArb, { maxLength: 60 }), fc.array(requestArb, { maxLength: 40 }), costArb, async (samples, requests, cost) => {
        await store.client.command({ query: 'TRUNCATE TABLE gpu_samples' });
        await store.client.command({ query: 'TRUNCATE TABLE llm_requests' });
        const gpuRows = samples.flatMap((s) => {
          const base = {
            ts: T0 + s.t,
            uuid: `GPU-${s.gpu}`,
            gpu_index: s.gpu >> 1,
            node: NODES[s.gpu % 2],
            model_name: '',
            gpu_type: TYPES[s.gpu % 2],
            pod: '',
            namespace: '',
          };
          return [
            { ...base, metric: 'DCGM_FI_DEV_POWER_USAGE', value: s.power },
            { ...base, metric: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', value: s.energy },
            { ...base, metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', value: s.active },
          ];
        });
        if (gpuRows.length) await store.client.insert({ table: 'gpu_samples', values: gpuRows, format: 'JSONEachRow' });
        const reqRows = requests.map((r, i) => ({
          ts: `${BigInt(T0 + r.t) * 1_000_000_000n}`,
          hour: Math.floor((T0 + r.t) / 3600) * 3600,
          end_ts: `${BigInt(T0 + r.t + 1) * 1_000_000_000n}`,
          trace_id: `trace${i}`,
          span_id: `span${i}`,
          model: r.model,
          tenant: r.tenant,
          server_address: '',
          input_tokens: r.input,
          output_tokens: r.output,
          e2e_ms: 1000,
        }));
        if (reqRows.length) await store.client.insert({ table: 'llm_requests', values: reqRows, format: 'JSONEachRow' });

        const config = configFor(cost);
        const window = { from: new Date(T0 * 1000), to: new Date((T0 + WINDOW_S) * 1000) };
        const gpuMicro = await gpuCostMicro(store, config, window);
        const [totals] = (await costTotals(store, config, window)).rows;
        const micro = (usd: number) => Math.round(usd * 1e6);
        expect(micro(totals!.request_cost_usd) + micro(totals!.idle_cost_usd) + micro(totals!.unassigned_cost_usd)).toBe(gpuMicro);
        expect(micro(totals!.gpu_cost_usd)).toBe(gpuMicro);
        for (const by of [['tenant'], ['model', 'hour'], ['deployment', 'tenant']] as const) {
          const rows = (await unitEconomics(store, config, { ...window, by: [...by] })).rows;
          expect(rows.reduce((a, r) => a + micro(r.cost_usd as number), 0)).toBe(micro(totals!.request_cost_usd));
        }
      }),
      { numRuns: 15, seed: 20261125 },
    );
  });
});
