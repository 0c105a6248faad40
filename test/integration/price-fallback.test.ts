/**
 * Price lookup by the request model when the response model has no price
 * (pipelines/kpi/sql/request-revenue.ts, KPIS.md "Inputs and how they join" and
 * "Revenue and margin"): raw revenue and the rollups (which settle from the same SQL)
 * give the same exact figures.
 *
 * Price book (USD per M tokens; a token at p USD/M earns p µ$):
 *   llama-3.1-70b-instruct 0.6 / 1.8; mistral-7b-v0.3 0.1 / 0.1; mistral-7b 0.3 / 0.3.
 * Plan of initech: mistral-7b 0.2 / 0.4.
 *
 * Requests (tenant, response model ← request model, input, output), lookup order
 * plan(response) → plan(request) → book(response) → book(request):
 *   r1 acme   llama-3.1-70b-instruct-2024-07 ← llama-3.1-70b-instruct  1000 / 500:
 *      book(request) → 1000×0.6 + 500×1.8 = 600 + 900 = 1 500 µ$
 *   r2 acme   llama-3.1-70b-instruct-2024-07 ← llama-3.1-70b-instruct  100 / 10:
 *      → 100×0.6 + 10×1.8 = 60 + 18 = 78 µ$           (acme, -2024-07: 1 578 µ$)
 *   r3 acme   mistral-7b-v0.3 ← mistral-7b  1000 / 1000: both priced in the book, the
 *      response model's wins → 1000×0.1 + 1000×0.1 = 200 µ$ (not 600 at mistral-7b's)
 *   r4 initech mistral-7b-v0.3 ← mistral-7b  1000 / 1000: the tenant's plan for the
 *      requested name overrides the book's price of the served one → 1000×0.2 + 1000×0.4 = 600 µ$
 *   r5 globex  qwen-2-72b-0612 ← qwen-2-72b  50 / 50: neither priced → 0, unpriced
 *   r6 globex  qwen-2-72b-0612 (no request model) 10 / 0: unpriced
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { revenueMargin } from '../../pipelines/kpi/revenue.js';
import { planRollupRead, revenueMarginAuto, settleRollups } from '../../pipelines/rollups/index.js';

let store: Store;
let config: Config;

const L70 = 'llama-3.1-70b-instruct';
const L70_SNAPSHOT = 'llama-3.1-70b-instruct-2024-07';

beforeAll(async () => {
  config = configSchema.parse({
    prices: {
      [L70]: { input_usd_per_mtok: 0.6, output_usd_per_mtok: 1.8 },
      'mistral-7b-v0.3': { input_usd_per_mtok: 0.1, output_usd_per_mtok: 0.1 },
      'mistral-7b': { input_usd_per_mtok: 0.3, output_usd_per_mtok: 0.3 },
    },
    tenants: { initech: { prices: { 'mistral-7b': { input_usd_per_mtok: 0.2, output_usd_per_mtok: 0.4 } } } },
  });
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  const row = (span: string, tenant: string, model: string, request_model: string, input_tokens: number, output_tokens: number) => ({
    ts: '2026-11-23 11:10:00', hour: '2026-11-23 11:00:00', end_ts: '2026-11-23 11:10:01', trace_id: `t-${span}`, span_id: span,
    tenant, model, request_model, endpoint: 'chat', input_tokens, output_tokens, e2e_ms: 1000,
  });
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: [
      row('r1', 'acme', L70_SNAPSHOT, L70, 1000, 500),
      row('r2', 'acme', L70_SNAPSHOT, L70, 100, 10),
      row('r3', 'acme', 'mistral-7b-v0.3', 'mistral-7b', 1000, 1000),
      row('r4', 'initech', 'mistral-7b-v0.3', 'mistral-7b', 1000, 1000),
      row('r5', 'globex', 'qwen-2-72b-0612', 'qwen-2-72b', 50, 50),
      row('r6', 'globex', 'qwen-2-72b-0612', '', 10, 0),
    ],
  });
});
afterAll(() => store.close());

const EXPECTED = [
  ['acme', L70_SNAPSHOT, 2, 2, 0, 0.001578],
  ['acme', 'mistral-7b-v0.3', 1, 1, 0, 0.0002],
  ['globex', 'qwen-2-72b-0612', 2, 0, 2, 0],
  ['initech', 'mistral-7b-v0.3', 1, 1, 0, 0.0006],
];

describe('price of the request model when the response model has none', () => {
  it('raw: plan then book, response model then request model; unpriced only when neither has a price', async () => {
    const r = await revenueMargin(store, config, { by: ['tenant', 'model'] });
    expect(r.rows.map((x) => [x.tenant, x.model, x.requests, x.billed_requests, x.unpriced_requests, x.revenue_usd])).toEqual(EXPECTED);
    // globex's unpriced tokens: 50 + 50 + 10 = 110
    expect(r.rows.find((x) => x.tenant === 'globex')!.unpriced_tokens).toBe(110);
  });

  it('rollups: settled from the same SQL, the same figures', async () => {
    await settleRollups(store, config, { marginS: 0 });
    expect((await planRollupRead(store, config, {})).source).toBe('rollups');
    const r = await revenueMarginAuto(store, config, { by: ['tenant', 'model'] });
    expect(r.rows.map((x) => [x.tenant, x.model, x.requests, x.billed_requests, x.unpriced_requests, x.revenue_usd])).toEqual(EXPECTED);
    const raw = await revenueMargin(store, config, { by: ['tenant', 'model'] });
    expect(r.rows).toEqual(raw.rows);
  });
});
