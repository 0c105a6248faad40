/**
 * Revenue and margin (pipelines/kpi/revenue.ts, sql/request-revenue.ts) on the shipped
 * sample with examples/token-factory.yaml, plus one request of a model with no price.
 *
 * Costs are those worked out in unit-economics.test.ts: acme's three 70b requests cost
 * 6 876 + 14 326 + 21 776 = 42 978 µ$; the 8b requests and the extra request have no GPU
 * data (cost 0).
 *
 * Revenue (price book: 70b 0.6 in / 1.8 out, 8b 0.1 / 0.2 USD per M tokens; a token at
 * p USD/M earns p µ$):
 *   acme 70b:  100×0.6 + 20×1.8 = 96;  200×0.6 + 50×1.8 = 210;  300×0.6 + 80×1.8 = 324 → 630 µ$
 *   acme 8b:   40×0.1 + 5×0.2 = 5 µ$
 *   globex 8b: 50×0.1 + 10×0.2 = 7 µ$; the errored one (70/30) is not billed → 7 µ$
 *   initech mistral-7b (1000 in, 0 out): no price → 0, unpriced
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { loadConfig } from '../../core/config/load.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';
import { revenueMargin } from '../../pipelines/kpi/revenue.js';
import { priceParams } from '../../pipelines/kpi/sql/request-revenue.js';

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
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: [
      { ts: '2026-11-23 11:10:00', hour: '2026-11-23 11:00:00', end_ts: '2026-11-23 11:10:01', trace_id: 'f1', span_id: 's1', tenant: 'initech', model: 'mistral-7b', endpoint: 'chat', input_tokens: 1000, output_tokens: 0, e2e_ms: 1000 },
    ],
  });
});
afterAll(() => store.close());

describe('priceParams', () => {
  it('binds the price book and tenant plans as integer pico-dollars per token', () => {
    const c = configSchema.parse({
      prices: { a: { input_usd_per_mtok: 0.6, output_usd_per_mtok: 1.8 } },
      tenants: { t: { prices: { a: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.0000014 } } } },
      attribution: { bill_errors: true },
    });
    expect(priceParams(c)).toEqual({
      pb_models: ['a'],
      pb_in_pico: [600_000], // 0.6 USD/M = 0.6 µ$/token = 600 000 p$/token
      pb_out_pico: [1_800_000],
      pb_tenants: ['t'],
      pb_tenant_models: ['a'],
      pb_tenant_in_pico: [150_000],
      pb_tenant_out_pico: [1], // 1.4e-6 USD/M → 1.4 p$/token → 1 (prices are exact to 1e-6 USD/M)
      pb_bill_errors: 1,
    });
  });
});

describe('revenue and margin', () => {
  it('by tenant and model: revenue, attributed cost, margin, gross margin; unpriced traffic flagged', async () => {
    const r = await revenueMargin(store, config, { by: ['tenant', 'model'] });
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    expect(r.rows).toEqual([
      {
        tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', requests: 3, input_tokens: 600, output_tokens: 150, tokens: 750, errors: 0,
        billed_requests: 3, unpriced_requests: 0, unpriced_tokens: 0,
        // 630 µ$ − 42 978 µ$ = −42 348 µ$; −42 348 / 630 = −67.219047…
        revenue_usd: 0.00063, cost_usd: 0.042978, margin_usd: -0.042348, gross_margin: expect.closeTo(-42348 / 630, 12),
      },
      {
        tenant: 'acme', model: 'meta/llama-3.1-8b-instruct', requests: 1, input_tokens: 40, output_tokens: 5, tokens: 45, errors: 0,
        billed_requests: 1, unpriced_requests: 0, unpriced_tokens: 0,
        revenue_usd: 0.000005, cost_usd: 0, margin_usd: 0.000005, gross_margin: 1,
      },
      {
        tenant: 'globex', model: 'meta/llama-3.1-8b-instruct', requests: 2, input_tokens: 120, output_tokens: 40, tokens: 160, errors: 1,
        billed_requests: 1, unpriced_requests: 0, unpriced_tokens: 0,
        revenue_usd: 0.000007, cost_usd: 0, margin_usd: 0.000007, gross_margin: 1,
      },
      {
        tenant: 'initech', model: 'mistral-7b', requests: 1, input_tokens: 1000, output_tokens: 0, tokens: 1000, errors: 0,
        billed_requests: 0, unpriced_requests: 1, unpriced_tokens: 1000,
        // no revenue: gross margin undefined → null, never 0
        revenue_usd: 0, cost_usd: 0, margin_usd: 0, gross_margin: null,
      },
    ]);
  });

  it('tenant plan overrides and bill_errors: one half-up rounding per request', async () => {
    const c = configSchema.parse({
      ...JSON.parse(JSON.stringify({ deployments: config.deployments, gpu_types: config.gpu_types, prices: config.prices })),
      tenants: { globex: { prices: { 'meta/llama-3.1-8b-instruct': { input_usd_per_mtok: 0.1, output_usd_per_mtok: 0.05 } } } },
      attribution: { bill_errors: true },
    });
    const r = await revenueMargin(store, c, { by: ['tenant'] });
    expect(r.rows.map((x) => [x.tenant, x.billed_requests, x.revenue_usd])).toEqual([
      // 630 + 5 µ$ (the price book: no override for acme)
      ['acme', 4, 0.000635],
      // 50×0.1 + 10×0.05 = 5.5 → 6; errored but billed: 70×0.1 + 30×0.05 = 8.5 → 9 (half up, not to even:
      // banker's rounding would give 8, and rounding the sum 14.0 instead of each request 14) → 15 µ$
      ['globex', 2, 0.000015],
      ['initech', 0, 0],
    ]);
  });

  it('one tenant, ungrouped; an empty window gives no rows', async () => {
    const r = await revenueMargin(store, config, { by: [], tenant: 'acme' });
    // 635 µ$ − 42 978 µ$ = −42 343 µ$
    expect(r.rows.map((x) => [x.requests, x.revenue_usd, x.cost_usd, x.margin_usd])).toEqual([[4, 0.000635, 0.042978, -0.042343]]);
    const empty = await revenueMargin(store, config, { by: [], from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-24T01:00:00Z') });
    expect(empty.rows).toEqual([]);
  });

  it('rejects an unknown dimension', async () => {
    await expect(revenueMargin(store, config, { by: ['price' as never] })).rejects.toThrow(/unknown dimension "price"/);
  });
});
