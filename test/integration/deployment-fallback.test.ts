/**
 * Request → deployment (KPIS.md "Inputs and how they join"): server.address matched to a
 * deployment's endpoints; else the deployment serving gen_ai.response.model; else the one
 * serving gen_ai.request.model; else `unassigned`. One rule (REQUEST_DEPLOYMENT in
 * pipelines/kpi/sql/request-cost.ts) for unit economics and the gateway side of metering
 * reconciliation.
 *
 * Deployments: d70 serves llama-3.1-70b-instruct (endpoint 10.0.0.70:8000), d7 serves mistral-7b.
 * Requests (response model ← request model, server.address, tokens in/out):
 *   r1 llama-…-2024-07 ← llama-3.1-70b-instruct, no address, 100/10 → d70 by the request model
 *   r2 mistral-7b ← llama-3.1-70b-instruct, no address, 200/20      → d7 (response model first)
 *   r3 qwen ← qwen, address 10.0.0.70:8000, 300/30                   → d70 by address
 *   r4 qwen-0612 ← qwen, no address, 400/40                          → unassigned
 * So by deployment: d7 1 request 220 tokens; d70 2 requests 110 + 330 = 440; unassigned 1, 440.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { unitEconomics } from '../../pipelines/kpi/unit-economics.js';
import { meteringReconciliation } from '../../pipelines/kpi/reconciliation.js';

let store: Store;
let config: Config;

beforeAll(async () => {
  config = configSchema.parse({
    deployments: [
      { name: 'd70', model: 'llama-3.1-70b-instruct', endpoints: ['10.0.0.70:8000'], gpus: { uuids: ['GPU-70'] } },
      { name: 'd7', model: 'mistral-7b', gpus: { uuids: ['GPU-7'] } },
    ],
  });
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  const row = (span: string, model: string, request_model: string, server_address: string, input_tokens: number, output_tokens: number) => ({
    ts: '2026-11-23 11:10:00', hour: '2026-11-23 11:00:00', end_ts: '2026-11-23 11:10:01', trace_id: `t-${span}`, span_id: span,
    tenant: 'acme', model, request_model, server_address, endpoint: 'chat', input_tokens, output_tokens, e2e_ms: 1000,
  });
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: [
      row('r1', 'llama-3.1-70b-instruct-2024-07', 'llama-3.1-70b-instruct', '', 100, 10),
      row('r2', 'mistral-7b', 'llama-3.1-70b-instruct', '', 200, 20),
      row('r3', 'qwen', 'qwen', '10.0.0.70:8000', 300, 30),
      row('r4', 'qwen-0612', 'qwen', '', 400, 40),
    ],
  });
});
afterAll(() => store.close());

const window = { from: new Date('2026-11-23T11:00:00Z'), to: new Date('2026-11-23T12:00:00Z') };

describe('request → deployment', () => {
  it('address, then response model, then request model, else unassigned', async () => {
    const r = await unitEconomics(store, config, { ...window, by: ['deployment'] });
    expect(r.rows.map((x) => [x.deployment, x.requests, x.tokens])).toEqual([
      ['d7', 1, 220],
      ['d70', 2, 440],
      ['unassigned', 1, 440],
    ]);
  });

  it('the gateway side of reconciliation assigns requests the same way', async () => {
    const r = await meteringReconciliation(store, config, { ...window, by: ['deployment'] });
    const gateway = Object.fromEntries(r.rows.map((x) => [x.deployment, x.gateway_tokens]));
    expect(gateway).toMatchObject({ d7: 220, d70: 440 });
  });
});
