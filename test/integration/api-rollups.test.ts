/**
 * The API's unit-economics, cost-totals and revenue read the hourly rollups once they
 * are settled (pipelines/rollups: buildUnitEconomicsAuto, buildCostTotalsAuto,
 * buildRevenueMarginAuto), JSON and Arrow alike, and tenant keys still see only their
 * tenant. Data: the hand-worked factory (test/fixtures/factory, figures of
 * test/integration/factory-kpis.test.ts), window [10:00, 12:00) of 2026-11-23:
 *
 *   request  tenant   model  hour  in    out   e2e ms  cost µ$ (largest remainder per deployment-hour)
 *   a        acme     70b    10    1000   500  2000      895 652
 *   f        acme     8b     10    2000  1000  4000    2 942 857
 *   d        acme     70b    11     500   500  3000    1 373 333
 *   b        globex   70b    10    3000  1000  6000    2 149 565   ERROR
 *   e        globex   70b    11    1000  1000  5000    2 746 667
 *   c        initech  70b    10    1500   500  2500    1 074 783   (delivered twice, stored once)
 *   g        initech  8b     10     500   500  1000    1 177 143
 *
 * Per tenant: acme 3 requests, 3500 in, 2000 out, 5500 tokens, 895 652 + 2 942 857 +
 * 1 373 333 = 5 211 842 µ$; globex 2, 4000, 2000, 6000, 1 error (b's 4000 tokens
 * wasted), 2 149 565 + 2 746 667 = 4 896 232 µ$; initech 2, 2000, 1000, 3000,
 * 1 074 783 + 1 177 143 = 2 251 926 µ$. Σ 12 360 000 µ$ = 12.36 USD.
 *
 * Latency from the rollups is the log-bucket representative of the value quantileExact
 * takes (pipelines/rollups/latency-histogram.ts): x in bucket k = ⌊ln x / ln 1.02⌋ is
 * read as 2 × 1.02^(k+1) / 2.02. acme e2e sorted [2000, 3000, 4000]: p50 rank ⌊0.5 × 3⌋
 * = 1 → 3000 (k 404 → 3011.2595…), p90/p95/p99 rank 2 → 4000 (k 418 → 3973.2930…);
 * globex [5000, 6000]: every level rank ≥ 1 → 6000 (k 439 → 6022.1865…). The raw
 * computation gives 3000, 4000 and 6000 exactly: a value of the bucket, not the value,
 * shows the answer came from the rollups.
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
import { costTotals, unitEconomics, type RequestDimension } from '../../pipelines/kpi/unit-economics.js';
import { revenueMargin } from '../../pipelines/kpi/revenue.js';
import {
  buildCostTotalsAuto,
  buildRevenueMarginAuto,
  buildUnitEconomicsAuto,
  planRollupRead,
  settleRollups,
  unitEconomicsFromRollups,
} from '../../pipelines/rollups/index.js';
import { expectRollupAgreement } from '../helpers/rollup-agreement.js';

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/factory/${f}`, import.meta.url));
const ADMIN = 'admin-key-0123456789';
const GLOBEX = 'globex-key-0123456789';
const ARROW = 'application/vnd.apache.arrow.stream';
const M70 = 'meta/llama-3.1-70b-instruct';
const M8 = 'meta/llama-3.1-8b-instruct';
const W = 'from=2026-11-23T10:00:00Z&to=2026-11-23T12:00:00Z';
const window = { from: new Date('2026-11-23T10:00:00Z'), to: new Date('2026-11-23T12:00:00Z') };
let store: Store;
let config: Config;
let server: Server;
let base: string;

/** The rollup histograms' value for x (latency-histogram.ts bucketKey / bucketValue, γ = 1.02). */
const bucketRep = (x: number) => (2 * 1.02 ** (Math.floor(Math.log(x) / Math.log(1.02)) + 1)) / 2.02;

beforeAll(async () => {
  const yaml = parseYaml(readFileSync(fixture('token-factory.yaml'), 'utf8')) as Record<string, unknown>;
  config = configSchema.parse({ ...yaml, api: { port: 0, keys: [{ key: ADMIN }, { key: GLOBEX, tenant: 'globex' }] } });
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store, { views: config.attribution });
  await loadFactoryFixture(store);
  // marks of the load are covered at once (the default 30 s margin would leave them dirty)
  await settleRollups(store, config, { marginS: 0 });
  ({ server, url: base } = await listen(createApi(store, config), '127.0.0.1', 0));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
});

const get = (path: string, key: string, accept?: string) => fetch(base + path, { headers: { authorization: `Bearer ${key}`, ...(accept ? { accept } : {}) } });

type Rows = Record<string, unknown>[];

async function json(path: string, key = ADMIN): Promise<{ window: { from: string; to: string }; rows: Rows }> {
  const res = await get(path, key);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { window: { from: string; to: string }; rows: Rows };
}

/** Arrow rows as plain objects, 64-bit integers as numbers (JSON's view of them). */
async function arrow(path: string, key = ADMIN): Promise<Rows> {
  const res = await get(path, key, ARROW);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  return table.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON() as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

const expectAgreement = (raw: Record<string, unknown>[], rolled: Record<string, unknown>[]): number => expectRollupAgreement(raw, rolled).differ;

describe('after a settle, the API reads the rollups', () => {
  it('the window is held by the rollups alone; the built queries say so', async () => {
    expect((await planRollupRead(store, config, window, { days: true })).source).toBe('rollups');
    const ue = await buildUnitEconomicsAuto(store, config, { ...window, by: ['tenant'] });
    const ct = await buildCostTotalsAuto(store, config, { ...window, by: ['deployment'] });
    const rev = await buildRevenueMarginAuto(store, config, { ...window, by: ['tenant'] });
    expect([ue, ct, rev].map((k) => k.clickhouse_settings.log_comment)).toEqual(['kpi:unit_economics:rollups', 'kpi:cost_totals:rollups', 'kpi:revenue_margin:rollups']);
    // a window of part of an hour: the facts
    const odd = await buildUnitEconomicsAuto(store, config, { from: new Date('2026-11-23T10:30:00Z'), to: window.to, by: [] });
    expect(odd.clickhouse_settings.log_comment).toBe('kpi:unit_economics:raw');
  });

  it('unit-economics by tenant: the hand-worked sums, latency from the rollup histograms', async () => {
    const r = await json(`/api/v1/unit-economics?by=tenant&${W}`);
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    expect(r.rows.map((x) => [x.tenant, x.requests, x.input_tokens, x.output_tokens, x.tokens, x.errors, x.wasted_tokens, x.cost_usd])).toEqual([
      ['acme', 3, 3500, 2000, 5500, 0, 0, 5.211842],
      ['globex', 2, 4000, 2000, 6000, 1, 4000, 4.896232],
      ['initech', 2, 2000, 1000, 3000, 0, 0, 2.251926],
    ]);
    const e2e = (x: Record<string, unknown>) => [x.e2e_ms_p50, x.e2e_ms_p90, x.e2e_ms_p95, x.e2e_ms_p99];
    expect(e2e(r.rows[0]!)).toEqual([bucketRep(3000), bucketRep(4000), bucketRep(4000), bucketRep(4000)].map((v) => expect.closeTo(v, 6)));
    expect(e2e(r.rows[1]!)).toEqual(Array(4).fill(expect.closeTo(bucketRep(6000), 6)));
    expect(bucketRep(3000)).toBeCloseTo(3011.2595, 4);
    // the raw computation: the exact values
    const raw = await unitEconomics(store, config, { ...window, by: ['tenant'] });
    expect(raw.rows.map(e2e)).toEqual([
      [3000, 4000, 4000, 4000],
      [6000, 6000, 6000, 6000],
      [2500, 2500, 2500, 2500],
    ]);
    expect(r).toEqual(await unitEconomicsFromRollups(store, config, { ...window, by: ['tenant'] }));
  });

  it('unit-economics and cost-totals: the rows of the raw functions (sums exactly, quantiles within 2 %)', async () => {
    let differ = 0;
    const groupings: RequestDimension[][] = [[], ['tenant', 'model'], ['deployment', 'hour'], ['gpu_type', 'endpoint', 'service'], ['day', 'tenant']];
    for (const by of groupings) {
      const api = await json(`/api/v1/unit-economics?by=${by.join(',')}&${W}`);
      const raw = await unitEconomics(store, config, { ...window, by });
      expect(api.window).toEqual(raw.window);
      differ += expectAgreement(raw.rows, api.rows);
    }
    // the answers came from the histograms: quantiles of them are not the exact values
    expect(differ).toBeGreaterThan(50);
    for (const by of [[], ['deployment'], ['deployment', 'hour'], ['day', 'gpu_type']] as ('deployment' | 'hour' | 'day' | 'gpu_type')[][]) {
      const api = await json(`/api/v1/cost-totals?by=${by.join(',')}&${W}`);
      const raw = await costTotals(store, config, { ...window, by });
      expect(api).toEqual({ ...raw, rows: raw.rows.map((x) => ({ ...x, gpu_hours: expect.closeTo(x.gpu_hours, 12) })) });
    }
    // the factory's totals: request 12.36 + idle 4.12 + unassigned 8.15 = 24.63 USD over 8 GPU-hours
    expect((await json(`/api/v1/cost-totals?${W}`)).rows).toEqual([{ gpu_hours: expect.closeTo(8, 12), gpu_cost_usd: 24.63, request_cost_usd: 12.36, idle_cost_usd: 4.12, unassigned_cost_usd: 8.15 }]);
  });

  it('revenue from the rollups equals the raw revenue', async () => {
    for (const by of [['tenant', 'model'], ['hour'], []] as RequestDimension[][]) {
      const api = await json(`/api/v1/revenue?by=${by.join(',')}&${W}`);
      expect(api).toEqual(await revenueMargin(store, config, { ...window, by }));
    }
  });

  it('Arrow holds the same rows as JSON', async () => {
    for (const path of [
      `/api/v1/unit-economics?by=tenant,model&${W}`,
      `/api/v1/unit-economics?by=&${W}`,
      `/api/v1/unit-economics?by=model`,
      `/api/v1/cost-totals?by=deployment,hour&${W}`,
      `/api/v1/cost-totals?${W}`,
      `/api/v1/revenue?by=tenant,model&${W}`,
      `/api/v1/revenue?by=&${W}`,
    ]) {
      expect(await arrow(path), path).toEqual((await json(path)).rows);
    }
    // ungrouped over a window without requests: no row, in either format
    const empty = 'by=&from=2026-11-24T00:00:00Z&to=2026-11-24T02:00:00Z';
    for (const kpi of ['unit-economics', 'revenue']) {
      expect((await json(`/api/v1/${kpi}?${empty}`)).rows, kpi).toEqual([]);
      expect(await arrow(`/api/v1/${kpi}?${empty}`), kpi).toEqual([]);
    }
  });

  it('a tenant key sees only its tenant, from the rollups too', async () => {
    const scoped = await json(`/api/v1/unit-economics?by=tenant,model&${W}`, GLOBEX);
    // globex: b and e, both 70b
    expect(scoped.rows.map((x) => [x.tenant, x.model, x.requests, x.tokens, x.cost_usd])).toEqual([['globex', M70, 2, 6000, 4.896232]]);
    expect(scoped.rows[0]!.e2e_ms_p50).toBeCloseTo(bucketRep(6000), 6);
    expectAgreement((await unitEconomics(store, config, { ...window, by: ['tenant', 'model'], tenant: 'globex' })).rows, scoped.rows);
    // by model only (no tenant column): still globex's requests alone, not the fleet's
    expect((await json(`/api/v1/unit-economics?by=model&${W}`, GLOBEX)).rows.map((x) => [x.model, x.requests])).toEqual([[M70, 2]]);
    expect((await json(`/api/v1/unit-economics?by=&${W}`, GLOBEX)).rows.map((x) => [x.requests, x.tokens])).toEqual([[2, 6000]]);
    expect((await arrow(`/api/v1/unit-economics?by=model&${W}`, GLOBEX)).map((x) => [x.model, x.requests])).toEqual([[M70, 2]]);
    expect((await json(`/api/v1/revenue?by=model&${W}`, GLOBEX)).rows).toEqual((await revenueMargin(store, config, { ...window, by: ['model'], tenant: 'globex' })).rows);
    expect((await arrow(`/api/v1/revenue?by=tenant&${W}`, GLOBEX)).map((x) => x.tenant)).toEqual(['globex']);
    expect((await get(`/api/v1/cost-totals?${W}`, GLOBEX)).status).toBe(403);
  });

  it('facts that arrive after the settle are read from the facts for their hours (mixed)', async () => {
    // one more acme 8b request at 11:15, 100 in / 100 out: the 8b deployment-hour 11 (idle until now, 4.12 USD) is its cost
    await store.client.insert({
      table: 'otel_traces',
      format: 'JSONEachRow',
      values: [
        {
          Timestamp: '2026-11-23 11:15:00.000000000', TraceId: '66666666666666666666666666666666', SpanId: '6000000000000001', ParentSpanId: '',
          SpanName: `chat ${M8}`, SpanKind: 'Client', ServiceName: 'ai-gateway', Duration: 1_000_000_000, StatusCode: 'Unset',
          SpanAttributes: { 'gen_ai.request.model': M8, 'gen_ai.usage.input_tokens': '100', 'gen_ai.usage.output_tokens': '100', 'server.address': 'vllm-8b.factory.svc', 'tenant.id': 'acme' },
        },
      ],
    });
    const built = await buildUnitEconomicsAuto(store, config, { ...window, by: ['tenant'] });
    expect(built.clickhouse_settings.log_comment).toBe('kpi:unit_economics:mixed');
    const r = await json(`/api/v1/unit-economics?by=tenant&${W}`);
    // acme: 4 requests, 5700 tokens, 5.211842 + 4.12 = 9.331842 USD
    expect(r.rows.map((x) => [x.tenant, x.requests, x.tokens, x.cost_usd])).toEqual([
      ['acme', 4, 5700, 9.331842],
      ['globex', 2, 6000, 4.896232],
      ['initech', 2, 3000, 2.251926],
    ]);
    expectAgreement((await unitEconomics(store, config, { ...window, by: ['tenant'] })).rows, r.rows);
    // idle cost 4.12 → 0; request cost 12.36 + 4.12 = 16.48
    expect((await json(`/api/v1/cost-totals?${W}`)).rows).toEqual([{ gpu_hours: expect.closeTo(8, 12), gpu_cost_usd: 24.63, request_cost_usd: 16.48, idle_cost_usd: 0, unassigned_cost_usd: 8.15 }]);
  });
});
