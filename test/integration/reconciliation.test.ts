/**
 * Metering reconciliation (pipelines/kpi/reconciliation.ts) on hand-built facts, window
 * [10:00, 12:00).
 *
 * Server counters (server_samples, prefix stripped):
 *   vllm-70b @ vllm-70b.svc:8000 (host = d70's endpoint):
 *     prompt_tokens_total     09:59:00 900, 09:59:30 1000, 10:00:30 1600, 10:30 2500 (stored twice), 11:00:30 300 (reset), 11:30 900
 *     generation_tokens_total 09:59:30 500, 10:00:30 700, 10:30 1000, 11:00:30 1100, 11:30 1150
 *     hour 10: prompt (1600−1000) + (2500−1600) = 1500, generation 200 + 300 = 500 → 2000
 *       (09:59:30's own increase of 100 is in hour 9: outside; the sample only serves as predecessor)
 *     hour 11: prompt 300 (reset: the new value) + 600 = 900, generation 100 + 50 = 150 → 1050
 *   sglang-8b @ 10.0.0.8:8000, model label m8 (→ d8 by model):
 *     prompt_tokens_total 10:10 100 (first: nothing), 10:20 400 → 300; generation_tokens_total 10:10 50, 10:20 150 → 100
 *     hour 10: 400; hour 11: no sample → null
 *   other @ 10.0.0.9:8000, model zzz → unassigned: prompt_tokens_total 10:05 10, 10:15 30 → 20 in hour 10
 *   a gauge (num_requests_running) of vllm-70b is ignored.
 * Gateway (llm_requests): d70 (server.address vllm-70b.svc) hour 10: 1000/300 + 500/150 (+ the
 *   first one stored twice) = 1500/450 → 1950; hour 11: 900/150 → 1050. d8 (model m8) hour 10:
 *   330/110 = 440, hour 11: 100/20 = 120; one request at 12:00 is outside.
 * Drift: d70 h10 (1950 − 2000)/2000 = −0.025, h11 0; d8 h10 (440 − 400)/400 = 0.1, h11 null;
 *   unassigned h10 (0 − 20)/20 = −1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema } from '../../core/config/schema.js';
import { meteringReconciliation } from '../../pipelines/kpi/reconciliation.js';

let store: Store;
const config = configSchema.parse({
  deployments: [
    { name: 'd70', model: 'm70', endpoints: ['vllm-70b.svc'], gpus: { nodes: [{ node: 'node-a', gpus: [0] }] } },
    { name: 'd8', model: 'm8', gpus: { pods: ['^sglang-8b-'] } },
  ],
});
const window = { from: new Date('2026-11-23T10:00:00Z'), to: new Date('2026-11-23T12:00:00Z') };

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  const s = (service: string, instance: string, model: string, metric: string, points: [string, number][]) =>
    points.map(([t, value]) => ({ ts: `2026-11-23 ${t}`, service, instance, server_kind: 'vllm', model, metric, attributes: { engine: '0' }, value }));
  await store.client.insert({
    table: 'server_samples',
    format: 'JSONEachRow',
    values: [
      ...s('vllm-70b', 'vllm-70b.svc:8000', 'meta-llama/Llama-3.1-70B', 'prompt_tokens_total', [['09:59:00', 900], ['09:59:30', 1000], ['10:00:30', 1600], ['10:30:00', 2500], ['10:30:00', 2500], ['11:00:30', 300], ['11:30:00', 900]]),
      ...s('vllm-70b', 'vllm-70b.svc:8000', 'meta-llama/Llama-3.1-70B', 'generation_tokens_total', [['09:59:30', 500], ['10:00:30', 700], ['10:30:00', 1000], ['11:00:30', 1100], ['11:30:00', 1150]]),
      ...s('vllm-70b', 'vllm-70b.svc:8000', 'meta-llama/Llama-3.1-70B', 'num_requests_running', [['10:00:30', 7], ['10:30:00', 9]]),
      ...s('sglang-8b', '10.0.0.8:8000', 'm8', 'prompt_tokens_total', [['10:10:00', 100], ['10:20:00', 400]]),
      ...s('sglang-8b', '10.0.0.8:8000', 'm8', 'generation_tokens_total', [['10:10:00', 50], ['10:20:00', 150]]),
      ...s('other', '10.0.0.9:8000', 'zzz', 'prompt_tokens_total', [['10:05:00', 10], ['10:15:00', 30]]),
    ],
  });
  const r = (ts: string, id: string, model: string, server: string, input: number, output: number) => ({
    ts: `2026-11-23 ${ts}`, hour: `2026-11-23 ${ts.slice(0, 2)}:00:00`, end_ts: `2026-11-23 ${ts}`, trace_id: id, span_id: id,
    tenant: 't', model, server_address: server, endpoint: 'chat', input_tokens: input, output_tokens: output,
  });
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: [
      r('10:10:00', 'a1', 'm70', 'vllm-70b.svc', 1000, 300),
      r('10:10:00', 'a1', 'm70', 'vllm-70b.svc', 1000, 300),
      r('10:40:00', 'a2', 'm70', 'vllm-70b.svc', 500, 150),
      r('11:10:00', 'a3', 'm70', 'vllm-70b.svc', 900, 150),
      r('10:15:00', 'b1', 'm8', '', 330, 110),
      r('11:15:00', 'b2', 'm8', '', 100, 20),
      r('12:00:00', 'b3', 'm8', '', 7, 7),
    ],
  });
});
afterAll(() => store.close());

describe('metering reconciliation', () => {
  it('per deployment-hour: gateway vs server counter increases, resets, dedup, drift', async () => {
    const r = await meteringReconciliation(store, config, window);
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    expect(r.rows).toEqual([
      { deployment: 'd70', hour: '2026-11-23T10:00:00Z', gateway_requests: 2, gateway_input_tokens: 1500, gateway_output_tokens: 450, gateway_tokens: 1950, server_prompt_tokens: 1500, server_generation_tokens: 500, server_tokens: 2000, metering_drift: -0.025 },
      { deployment: 'd70', hour: '2026-11-23T11:00:00Z', gateway_requests: 1, gateway_input_tokens: 900, gateway_output_tokens: 150, gateway_tokens: 1050, server_prompt_tokens: 900, server_generation_tokens: 150, server_tokens: 1050, metering_drift: 0 },
      { deployment: 'd8', hour: '2026-11-23T10:00:00Z', gateway_requests: 1, gateway_input_tokens: 330, gateway_output_tokens: 110, gateway_tokens: 440, server_prompt_tokens: 300, server_generation_tokens: 100, server_tokens: 400, metering_drift: expect.closeTo(0.1, 12) },
      { deployment: 'd8', hour: '2026-11-23T11:00:00Z', gateway_requests: 1, gateway_input_tokens: 100, gateway_output_tokens: 20, gateway_tokens: 120, server_prompt_tokens: null, server_generation_tokens: null, server_tokens: null, metering_drift: null },
      { deployment: 'unassigned', hour: '2026-11-23T10:00:00Z', gateway_requests: 0, gateway_input_tokens: 0, gateway_output_tokens: 0, gateway_tokens: 0, server_prompt_tokens: 20, server_generation_tokens: 0, server_tokens: 20, metering_drift: -1 },
    ]);
  });

  it('per deployment over the window', async () => {
    const r = await meteringReconciliation(store, config, { ...window, by: ['deployment'] });
    expect(r.rows.map((x) => [x.deployment, x.gateway_tokens, x.server_tokens, x.metering_drift])).toEqual([
      ['d70', 3000, 3050, expect.closeTo(-50 / 3050, 12)], // 1950 + 1050 vs 2000 + 1050
      ['d8', 560, 400, expect.closeTo(0.4, 12)], // 440 + 120 vs 400
      ['unassigned', 0, 20, -1],
    ]);
  });

  it('a window of one hour keeps the hour boundary interval in it: 10:00:30 counts against 09:59:30', async () => {
    const r = await meteringReconciliation(store, config, { from: new Date('2026-11-23T10:00:00Z'), to: new Date('2026-11-23T10:05:00Z'), by: ['deployment'] });
    // d70: prompt 1600 − 1000 = 600, generation 700 − 500 = 200; no gateway request before 10:05
    expect(r.rows.map((x) => [x.deployment, x.gateway_tokens, x.server_tokens, x.metering_drift])).toEqual([['d70', 0, 800, -1]]);
  });

  it('rejects an unknown dimension', async () => {
    await expect(meteringReconciliation(store, config, { ...window, by: ['tenant' as never] })).rejects.toThrow(/unknown dimension "tenant"/);
  });
});
