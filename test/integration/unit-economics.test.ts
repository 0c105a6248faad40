/**
 * Unit economics and attribution on the shipped sample with examples/token-factory.yaml.
 *
 * GPUs: node-a GPU 0 and 1 (H100, deployment llama-70b by node + index), samples at
 * 10:00:00 and 10:00:15 → each sample covers 15 s (the first until the next, the last
 * since the previous) → 30 s per GPU = 1/120 GPU-hour each, 1/60 for the deployment.
 * Energy counter (mJ): GPU 0 rises 9 387 500 between the samples → both samples count
 * that increase → 18 775 000 mJ = 0.005215277… kWh; GPU 1: 2 × 9 492 750 = 18 985 500 mJ
 * = 0.00527375 kWh.
 * Cost (H100: 2.5 USD/h, 0.10 USD/kWh, PUE 1.25):
 *   GPU 0: 30/3600 × 2.5 + 0.005215277… × 1.25 × 0.10 = 0.020833333 + 0.000651910 = 0.021485243 → 21 485 µ$
 *   GPU 1: 0.020833333 + 0.00527375 × 0.125 = 0.020833333 + 0.000659219 = 0.021492552 → 21 493 µ$
 *   llama-70b, hour 10: 42 978 µ$.
 * Requests of llama-70b in hour 10 (weights 1/1): 120, 250 and 380 tokens, Σ 750.
 *   42 978 × 120/750 = 6 876.48, × 250/750 = 14 326, × 380/750 = 21 775.52; floors sum
 *   to 42 977, the one micro-dollar left goes to the largest fraction (.52) → 21 776.
 *   So acme/70b cost = 42 978 µ$ = 0.042978 USD for 750 tokens → 57.304 USD per M tokens.
 * The 8b requests (server vllm-8b.factory.svc → llama-8b) have no GPU data: cost 0,
 * gpu_hours 0 → tokens_per_gpu_hour null.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { loadConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';
import { costTotals, gpuCostMicro, unitEconomics } from '../../pipelines/kpi/unit-economics.js';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
let store: Store;
let config: Config;

beforeAll(async () => {
  config = loadConfig({ file: file('examples/token-factory.yaml'), env: {} }).config;
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  for (const f of ['examples/sample/gateway-spans.json', 'examples/sample/dcgm-exporter.prom']) {
    const l = new StagedLoad(store);
    await l.add(decodeFile(file(f), readFileSync(file(f)), {}));
    await l.commit();
    await l.dispose();
  }
});
afterAll(() => store.close());

describe('attribution on the sample', () => {
  it('by tenant and model: tokens, cost to the micro-dollar, unit economics', async () => {
    const r = await unitEconomics(store, config, { by: ['tenant', 'model', 'deployment', 'gpu_type'] });
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    const pick = (row: Record<string, unknown>) => ({
      tenant: row.tenant, model: row.model, deployment: row.deployment, gpu_type: row.gpu_type,
      requests: row.requests, tokens: row.tokens, errors: row.errors, cost_usd: row.cost_usd, gpu_hours: row.gpu_hours,
      tokens_per_gpu_hour: row.tokens_per_gpu_hour, cost_per_mtok_usd: row.cost_per_mtok_usd,
    });
    expect(r.rows.map(pick)).toEqual([
      { tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', deployment: 'llama-70b', gpu_type: 'H100', requests: 3, tokens: 750, errors: 0, cost_usd: 0.042978, gpu_hours: expect.closeTo(1 / 60, 12), tokens_per_gpu_hour: expect.closeTo(45000, 6), cost_per_mtok_usd: expect.closeTo(57.304, 9) },
      { tenant: 'acme', model: 'meta/llama-3.1-8b-instruct', deployment: 'llama-8b', gpu_type: 'unassigned', requests: 1, tokens: 45, errors: 0, cost_usd: 0, gpu_hours: 0, tokens_per_gpu_hour: null, cost_per_mtok_usd: 0 },
      { tenant: 'globex', model: 'meta/llama-3.1-8b-instruct', deployment: 'llama-8b', gpu_type: 'unassigned', requests: 2, tokens: 160, errors: 1, cost_usd: 0, gpu_hours: 0, tokens_per_gpu_hour: null, cost_per_mtok_usd: 0 },
    ]);
  });

  it('largest remainder: per-request costs sum to the deployment-hour cost exactly', async () => {
    const r = await unitEconomics(store, config, { by: ['tenant'], tenant: 'acme' });
    expect(r.rows.map((x) => [x.tenant, x.cost_usd, x.cost_input_usd, x.cost_output_usd])).toEqual([
      // input share: 6876×100/120 + 14326×200/250 + 21776×300/380 = 5730 + 11460.8 + 17191.58 = 34382.38 → 34382
      // output share: 1146 + 2865.2 + 4584.42 = 8595.62 → 8596
      ['acme', 0.042978, 0.034382, 0.008596],
    ]);
  });

  it('cost identity: request + idle + unassigned = GPU cost', async () => {
    const totals = await costTotals(store, config, {});
    expect(totals.rows).toEqual([{ gpu_hours: expect.closeTo(1 / 60, 12), gpu_cost_usd: 0.042978, request_cost_usd: 0.042978, idle_cost_usd: 0, unassigned_cost_usd: 0 }]);
    expect(await gpuCostMicro(store, config, {})).toBe(42978);
  });
});
