/**
 * Arrow output of the reconciliation, quotas, gpu-usage and revenue-per-gpu routes: the
 * Arrow rows (ClickHouse `FORMAT ArrowStream` of the built query) equal the JSON rows,
 * and the tenant scope is the same for both. Data: the hand-worked factory
 * (test/fixtures/factory, figures in test/integration/factory-kpis.test.ts) plus the
 * token counters of one vLLM server of llama-70b:
 *   prompt_tokens_total 0 (10:00) → 5000 (10:45) → 5500 (11:00); generation_tokens_total 0 → 1800 → 2000
 *   hour 10: 5000 + 1800 = 6800 server tokens vs the gateway's a + b + c = 1500 + 4000 + 2000 = 7500
 *     → drift (7500 − 6800) / 6800; hour 11: 500 + 200 = 700 vs d + e = 1000 + 2000 = 3000 → 2300 / 700.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { tableFromIPC } from 'apache-arrow';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { loadFactoryFixture } from '../fixtures/factory/load-fixture.js';
import { createApi, listen } from '../../pipelines/api/server.js';

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/factory/${f}`, import.meta.url));
const ADMIN = 'admin-key-0123456789';
const ACME = 'acme-key-0123456789';
const ARROW = 'application/vnd.apache.arrow.stream';
const W = 'from=2026-11-23T10:00:00Z&to=2026-11-23T12:00:00Z';
const EMPTY = 'from=2026-11-24T00:00:00Z&to=2026-11-24T01:00:00Z';
let store: Store;
let config: Config;
let server: Server;
let base: string;

beforeAll(async () => {
  const yaml = parseYaml(readFileSync(fixture('token-factory.yaml'), 'utf8')) as Record<string, unknown>;
  config = configSchema.parse({ ...yaml, api: { port: 0, keys: [{ key: ADMIN }, { key: ACME, tenant: 'acme' }] } });
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store, { views: config.attribution });
  await loadFactoryFixture(store);
  const series = { service: 'vllm-70b', instance: 'vllm-70b.factory.svc:8000', server_kind: 'vllm', model: 'meta-llama/Llama-3.1-70B-Instruct', attributes: {} };
  const counter = (metric: string, values: [string, number][]) => values.map(([ts, value]) => ({ ...series, ts, metric, value }));
  await store.client.insert({
    table: 'server_samples',
    format: 'JSONEachRow',
    values: [
      ...counter('prompt_tokens_total', [['2026-11-23 10:00:00', 0], ['2026-11-23 10:45:00', 5000], ['2026-11-23 11:00:00', 5500]]),
      ...counter('generation_tokens_total', [['2026-11-23 10:00:00', 0], ['2026-11-23 10:45:00', 1800], ['2026-11-23 11:00:00', 2000]]),
    ],
  });
  ({ server, url: base } = await listen(createApi(store, config), '127.0.0.1', 0));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
});

const get = (path: string, key: string, accept?: string) =>
  fetch(base + path, { headers: { authorization: `Bearer ${key}`, ...(accept ? { accept } : {}) } });

async function json(path: string, key = ADMIN): Promise<{ window: { from: string; to: string }; rows: Record<string, unknown>[] }> {
  const res = await get(path, key);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { window: { from: string; to: string }; rows: Record<string, unknown>[] };
}

/** Arrow rows as plain objects, 64-bit integers as numbers (JSON's view of them). */
async function arrow(path: string, key = ADMIN): Promise<{ headers: Headers; rows: Record<string, unknown>[] }> {
  const res = await get(path, key, ARROW);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  expect(res.headers.get('content-type')).toBe(ARROW);
  // no rows is still a stream: the schema and its end marker
  const rows = tableFromIPC(new Uint8Array(await res.arrayBuffer())).toArray().map((r) =>
    Object.fromEntries(Object.entries(r.toJSON() as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
  );
  return { headers: res.headers, rows };
}

async function sameRows(path: string, key = ADMIN): Promise<Record<string, unknown>[]> {
  const j = await json(path, key);
  const a = await arrow(path, key);
  expect(a.rows, path).toEqual(j.rows);
  expect([a.headers.get('x-window-from'), a.headers.get('x-window-to')], path).toEqual([j.window.from, j.window.to]);
  return j.rows;
}

describe('Arrow equals JSON: reconciliation, quotas, gpu-usage, revenue-per-gpu', () => {
  it('reconciliation: by deployment and hour, by day, ungrouped, and an empty window', async () => {
    const rows = await sameRows(`/api/v1/reconciliation?by=deployment,hour&${W}`);
    const h10 = '2026-11-23T10:00:00Z';
    const h11 = '2026-11-23T11:00:00Z';
    expect(rows.filter((r) => r.deployment === 'llama-70b').map((r) => [r.hour, r.gateway_tokens, r.server_tokens, r.metering_drift])).toEqual([
      [h10, 7500, 6800, expect.closeTo(700 / 6800, 12)],
      [h11, 3000, 700, expect.closeTo(2300 / 700, 12)],
    ]);
    // llama-8b has no server counters: its server side is null, not 0
    expect(rows.filter((r) => r.deployment === 'llama-8b').map((r) => [r.hour, r.gateway_tokens, r.server_tokens, r.metering_drift])).toEqual([[h10, 4000, null, null]]);
    await sameRows(`/api/v1/reconciliation?by=day&${W}`);
    // ungrouped: the whole window, 14 500 gateway tokens (7500 + 3000 + 4000) vs 7500 counted by the server
    expect((await sameRows(`/api/v1/reconciliation?by=&${W}`)).map((r) => [r.gateway_tokens, r.server_tokens])).toEqual([[14500, 7500]]);
    // nothing in the window: no row, in both formats
    expect(await sameRows(`/api/v1/reconciliation?by=&${EMPTY}`)).toEqual([]);
  });

  it('quotas: every tenant (admin), one period', async () => {
    const rows = await sameRows('/api/v1/quotas?to=2026-11-23T12:00:00Z');
    expect(rows.map((r) => [r.tenant, r.period, r.tokens_used])).toEqual([
      ['acme', '2026-11', 5500],
      ['globex', '2026-11', 2000], // e only: b errored and errors are not billed
      ['initech', '2026-11', 3000],
    ]);
    await sameRows('/api/v1/quotas');
  });

  it('gpu-usage: by node, by gpu_type and hour, ungrouped, and an empty window', async () => {
    expect((await sameRows(`/api/v1/gpu-usage?by=node&${W}`)).map((r) => [r.node, r.gpus, r.tokens, r.cost_usd])).toEqual([
      ['node-a', 2, 10500, 8.24],
      ['node-b', 2, 4000, 16.39],
    ]);
    // per gpu_type and hour: B200 = llama-8b's GPU (4.12 USD/h) + the unassigned one (4.075), tokens of 8b at 10 only;
    // H100 = llama-70b's two GPUs (2 × 2.06), tokens a + b + c at 10, d + e at 11
    expect((await sameRows(`/api/v1/gpu-usage?by=gpu_type,hour&${W}`)).map((r) => [r.gpu_type, r.hour, r.gpus, r.cost_usd, r.tokens])).toEqual([
      ['B200', '2026-11-23T10:00:00Z', 2, 8.195, 4000],
      ['B200', '2026-11-23T11:00:00Z', 2, 8.195, 0],
      ['H100', '2026-11-23T10:00:00Z', 2, 4.12, 7500],
      ['H100', '2026-11-23T11:00:00Z', 2, 4.12, 3000],
    ]);
    expect((await sameRows(`/api/v1/gpu-usage?by=&${W}`)).map((r) => [r.gpus, r.cost_usd])).toEqual([[4, 24.63]]);
    expect(await sameRows(`/api/v1/gpu-usage?by=&${EMPTY}`)).toEqual([]);
  });

  it('revenue-per-gpu: per gpu_type, per gpu_type and model, with scenario overrides', async () => {
    const rows = await sameRows(`/api/v1/revenue-per-gpu?${W}`);
    // rental: 3 USD/h × 8760 × 0.7 = 18 396 for every gpu_type
    expect(rows.map((r) => [r.gpu_type, r.annual_revenue_gpu_hour_usd, r.compute_tokens_tier])).toEqual([
      ['B200', 18396, 'starter'],
      ['H100', 18396, 'starter'],
    ]);
    await sameRows(`/api/v1/revenue-per-gpu?by=model&${W}`);
    // 2 USD/h × 8760 × 0.5 = 8760
    const s = await sameRows(`/api/v1/revenue-per-gpu?gpu_type=H100&rate_usd_per_hour=2&rental_utilization=0.5&throughput_multiplier=2&${W}`);
    expect(s.map((r) => [r.gpu_type, r.annual_revenue_gpu_hour_usd, r.peak_tokens_per_gpu_hour])).toEqual([['H100', 8760, 6e7]]);
  });
});

describe('scope is the same for Arrow', () => {
  it('a tenant key sees only its own quota row, JSON and Arrow', async () => {
    const j = await json('/api/v1/quotas?to=2026-11-23T12:00:00Z', ACME);
    expect(j.rows.map((r) => r.tenant)).toEqual(['acme']);
    expect((await arrow('/api/v1/quotas?to=2026-11-23T12:00:00Z', ACME)).rows).toEqual(j.rows);
  });

  it('the fleet-wide routes answer a tenant key 403 whatever the media type', async () => {
    for (const path of ['/api/v1/reconciliation', '/api/v1/gpu-usage', '/api/v1/revenue-per-gpu']) {
      const res = await get(path, ACME, ARROW);
      expect(res.status, path).toBe(403);
      expect(await res.json(), path).toEqual({ error: `${path} covers the whole fleet: it needs an admin key, not a tenant key` });
    }
  });
});
