/**
 * The HTTP API (pipelines/api) and /metrics (pipelines/exposition) on the shipped sample
 * with examples/token-factory.yaml, two API keys, tighter SLOs and a few server series.
 *
 * Sample (figures of test/integration/unit-economics.test.ts and cli.test.ts):
 *   acme / 70b (deployment llama-70b, H100): 3 requests at 10:00:00–10:00:05, tokens 120, 250, 380 (= 750;
 *     600 in, 150 out), TTFT 250, 310, 420 ms, e2e 1500, 3000, 3200 ms; cost 0.042978 USD over 1/60 GPU-hour
 *     → 45 000 tokens per GPU-hour, 57.304 USD per M tokens.
 *   globex / 8b (llama-8b, no GPU data): 10:30:00 50/10 (TTFT 50), 10:30:01 70/30 errored (TTFT 60).
 *   acme / 8b: 11:01:40 40/5 (TTFT 40).
 * SLOs: 70b TTFT p95 300 ms, e2e p99 3000 ms, error rate 0.01; 8b error rate 0.5.
 * Server series (vLLM of llama-70b at vllm-70b.factory.svc:8000), hour 10:
 *   prompt_tokens_total 1000 → 1550 and generation_tokens_total 200 → 350: the server counted 550 + 150 = 700
 *   e2e_request_latency_seconds, bounds [1, 5]: [0,0,0] → [2,2,0]: cumulative [2,4,4]
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
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';
import { createApi, listen } from '../../pipelines/api/server.js';
import { slo } from '../../pipelines/kpi/slo.js';
import { createKpiMetrics, serveMetrics } from '../../pipelines/exposition/kpi-metrics.js';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const ADMIN = 'admin-key-0123456789';
const GLOBEX = 'globex-key-0123456789';
const ARROW = 'application/vnd.apache.arrow.stream';
const M70 = 'meta/llama-3.1-70b-instruct';
const M8 = 'meta/llama-3.1-8b-instruct';
let store: Store;
let config: Config;
let server: Server;
let base: string;

beforeAll(async () => {
  const yaml = parseYaml(readFileSync(file('examples/token-factory.yaml'), 'utf8')) as Record<string, unknown>;
  config = configSchema.parse({
    ...yaml,
    slos: [
      { model: M70, ttft_p95_ms: 300, e2e_p99_ms: 3000, error_rate: 0.01 },
      { model: M8, error_rate: 0.5 },
    ],
    api: { port: 0, keys: [{ key: ADMIN }, { key: GLOBEX, tenant: 'globex' }] },
  });
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  for (const f of ['examples/sample/gateway-spans.json', 'examples/sample/dcgm-exporter.prom']) {
    const l = new StagedLoad(store);
    await l.add(decodeFile(file(f), readFileSync(file(f)), {}));
    await l.commit();
    await l.dispose();
  }
  const series = { service: 'vllm-70b', instance: 'vllm-70b.factory.svc:8000', server_kind: 'vllm', model: 'meta-llama/Llama-3.1-70B-Instruct', attributes: {} };
  await store.client.insert({
    table: 'server_samples',
    format: 'JSONEachRow',
    values: [
      { ...series, ts: '2026-11-23 10:00:00', metric: 'prompt_tokens_total', value: 1000 },
      { ...series, ts: '2026-11-23 10:00:30', metric: 'prompt_tokens_total', value: 1550 },
      { ...series, ts: '2026-11-23 10:00:00', metric: 'generation_tokens_total', value: 200 },
      { ...series, ts: '2026-11-23 10:00:30', metric: 'generation_tokens_total', value: 350 },
    ],
  });
  await store.client.insert({
    table: 'server_histograms',
    format: 'JSONEachRow',
    values: [
      { ...series, ts: '2026-11-23 10:00:00', metric: 'e2e_request_latency_seconds', bounds: [1, 5], bucket_counts: [0, 0, 0], count: 0, sum: 0 },
      { ...series, ts: '2026-11-23 10:30:00', metric: 'e2e_request_latency_seconds', bounds: [1, 5], bucket_counts: [2, 2, 0], count: 4, sum: 8 },
    ],
  });
  const api = createApi(store, config, { metrics: { now: () => new Date('2026-11-23T11:00:00Z') } });
  ({ server, url: base } = await listen(api, '127.0.0.1', 0));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
});

const get = (path: string, key?: string, accept?: string) =>
  fetch(base + path, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(accept ? { accept } : {}) } });

async function json(path: string, key = ADMIN): Promise<{ window: { from: string; to: string }; rows: Record<string, unknown>[] }> {
  const res = await get(path, key);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { window: { from: string; to: string }; rows: Record<string, unknown>[] };
}

/** Arrow rows as plain objects, 64-bit integers as numbers (JSON's view of them). */
/** Time columns of the workflow drill-downs: ISO 8601 text in the JSON, Arrow timestamps (ms since the epoch). */
const TIME_COLUMNS = new Set(['started_at', 'ended_at', 'ts']);

async function arrow(path: string, key = ADMIN): Promise<{ headers: Headers; rows: Record<string, unknown>[] }> {
  const res = await get(path, key, ARROW);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  expect(res.headers.get('content-type')).toBe(ARROW);
  const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  const rows = table.toArray().map((r) =>
    Object.fromEntries(Object.entries(r.toJSON() as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
  );
  return { headers: res.headers, rows };
}

describe('KPI endpoints: JSON', () => {
  it('unit-economics: KPIS.md shape, the attribution of the sample', async () => {
    const r = await json('/api/v1/unit-economics?by=tenant,model');
    expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    expect(r.rows.map((x) => [x.tenant, x.model, x.requests, x.tokens, x.cost_usd, x.tokens_per_gpu_hour])).toEqual([
      ['acme', M70, 3, 750, 0.042978, expect.closeTo(45000, 6)],
      ['acme', M8, 1, 45, 0, null],
      ['globex', M8, 2, 160, 0, null],
    ]);
  });

  it('cost-totals, server-latency, slo, goodput', async () => {
    expect((await json('/api/v1/cost-totals')).rows).toEqual([
      { gpu_hours: expect.closeTo(1 / 60, 12), gpu_cost_usd: 0.042978, request_cost_usd: 0.042978, idle_cost_usd: 0, unassigned_cost_usd: 0 },
    ]);
    // e2e cumulative [2,4,4] at le [1,5,+Inf]: p50 rank 2 → 1 × 2/2 = 1 s; p90 rank 3.6 → 1 + 4 × 1.6/2 = 4.2 s;
    // p95 3.8 → 4.6 s; p99 3.96 → 4.92 s. The default window: the histograms' hour.
    const lat = await json('/api/v1/server-latency?by=model');
    expect(lat.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T11:00:00.000Z' });
    expect(lat.rows.map((x) => [x.model, x.requests, x.e2e_ms_p50, x.e2e_ms_p90, x.e2e_ms_p95, x.e2e_ms_p99, x.ttft_ms_p50])).toEqual([
      ['meta-llama/Llama-3.1-70B-Instruct', 4, 1000, expect.closeTo(4200, 9), expect.closeTo(4600, 9), expect.closeTo(4920, 9), null],
    ]);
    // 70b over [10:00, 12:00): TTFT [250, 310, 420] → p95 420 > 300; bad 310, 420 → 2/3
    const s = await json('/api/v1/slo');
    expect(s.rows.map((x) => [x.slo, x.sli, x.bad_events, x.events])).toEqual([
      [`${M70}:ttft_p95_ms`, 420, 2, 3],
      [`${M70}:e2e_p99_ms`, 3200, 1, 3],
      [`${M70}:error_rate`, 0, 0, 3],
      // 8b: globex's two (one errored) and acme's at 11:01:40 → 1/3 ≤ 0.5
      [`${M8}:error_rate`, expect.closeTo(1 / 3, 12), 1, 3],
    ]);
    // goodput 70b: met TTFT ≤ 300 without error: the 120-token request → 120 / (1/60) = 7200.
    // 8b (error rate only: met = no error): globex's 60 tokens + acme's 45 = 105, but no GPU-hours → null.
    expect((await json('/api/v1/goodput?by=model,gpu_type')).rows.map((x) => [x.model, x.gpu_type, x.good_tokens, x.goodput_tokens_per_gpu_hour])).toEqual([
      [M70, 'H100', 120, expect.closeTo(7200, 6)],
      [M8, 'unassigned', 105, null],
    ]);
  });

  it('the modules of the other KPIs answer too', async () => {
    expect((await json('/api/v1/revenue?by=tenant')).rows.map((x) => x.tenant)).toEqual(['acme', 'globex']);
    expect((await json('/api/v1/workflows?by=tenant')).rows.map((x) => x.tenant)).toEqual(['acme', 'globex']);
    expect((await json('/api/v1/workflows/list')).rows.length).toBeGreaterThan(0);
    expect((await json('/api/v1/quotas?to=2026-11-23T12:00:00Z')).rows.map((x) => x.tenant)).toEqual(['acme', 'globex']);
    // gateway 750 tokens vs the server's 700 → (750 − 700)/700
    const rec = await json('/api/v1/reconciliation?by=deployment&from=2026-11-23T10:00:00Z&to=2026-11-23T11:00:00Z');
    expect(rec.rows.find((x) => x.deployment === 'llama-70b')).toMatchObject({ gateway_tokens: 750, server_tokens: 700, metering_drift: expect.closeTo(50 / 700, 12) });
    expect((await json('/api/v1/revenue-per-gpu')).rows.map((x) => x.gpu_type)).toContain('H100');
    expect((await json('/api/v1/gpu-usage?by=node')).rows.map((x) => x.node)).toEqual(['node-a']);
  });
});

describe('Apache Arrow output, produced by ClickHouse', () => {
  it('the same rows as the JSON, for every KPI with a built query', async () => {
    for (const path of [
      '/api/v1/unit-economics?by=tenant,model',
      '/api/v1/unit-economics?by=',
      '/api/v1/cost-totals?by=deployment,hour',
      '/api/v1/slo',
      '/api/v1/goodput?by=tenant,model',
      '/api/v1/server-latency?by=model,instance',
      '/api/v1/workflows?by=workflow,tenant',
      '/api/v1/workflows?by=',
    ]) {
      const j = await json(path);
      const a = await arrow(path);
      expect(a.rows, path).toEqual(j.rows);
      expect([a.headers.get('x-window-from'), a.headers.get('x-window-to')], path).toEqual([j.window.from, j.window.to]);
    }
  });

  it('column types: strings as Utf8, 64-bit counts, nullable floats', async () => {
    const res = await get('/api/v1/unit-economics?by=tenant', ADMIN, ARROW);
    const t = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    const types = Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
    expect([types.tenant, types.requests, types.cost_usd, types.tokens_per_gpu_hour]).toEqual(['Utf8', 'Uint64', 'Float64', 'Float64']);
    expect(t.schema.fields.find((f) => f.name === 'tokens_per_gpu_hour')!.nullable).toBe(true);
  });

  it('the workflow drill-downs: the same rows, times as Arrow timestamps where JSON has ISO 8601 text', async () => {
    const list = await json('/api/v1/workflows/list?limit=5');
    const id = String(list.rows[0]!.workflow_id);
    for (const path of ['/api/v1/workflows/list?limit=5', `/api/v1/workflows/requests?workflow_id=${encodeURIComponent(id)}`]) {
      const j = path === '/api/v1/workflows/list?limit=5' ? list : await json(path);
      const a = await arrow(path);
      expect(j.rows.length, path).toBeGreaterThan(0);
      const asJson = a.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, TIME_COLUMNS.has(k) ? new Date(v as number).toISOString() : v])));
      expect(asJson, path).toEqual(j.rows);
    }
  });

  it('an unknown media type: 406 with the reason', async () => {
    const csv = await get('/api/v1/slo', ADMIN, 'text/csv');
    expect(csv.status).toBe(406);
    expect(await csv.json()).toEqual({ error: `/api/v1/slo answers application/json or ${ARROW}` });
  });
});

describe('keys and tenants', () => {
  it('no key: 401', async () => {
    expect((await get('/api/v1/unit-economics')).status).toBe(401);
    expect((await get('/metrics')).status).toBe(401);
  });

  it('a tenant key sees only its tenant, on every endpoint with tenant rows, JSON and Arrow', async () => {
    const ue = await json('/api/v1/unit-economics?by=tenant,model', GLOBEX);
    expect(ue.rows.map((x) => [x.tenant, x.model, x.requests])).toEqual([['globex', M8, 2]]);
    // ungrouped: globex's totals, not the fleet's
    expect((await json('/api/v1/unit-economics?by=', GLOBEX)).rows.map((x) => [x.requests, x.tokens])).toEqual([[2, 160]]);
    expect((await arrow('/api/v1/unit-economics?by=tenant', GLOBEX)).rows.map((x) => [x.tenant, x.requests])).toEqual([['globex', 2]]);
    expect((await json('/api/v1/goodput?by=tenant', GLOBEX)).rows.map((x) => x.tenant)).toEqual(['globex']);
    expect((await arrow('/api/v1/goodput?by=tenant', GLOBEX)).rows.map((x) => x.tenant)).toEqual(['globex']);
    // SLO rows have no tenant column: the SLIs are computed over globex's requests only
    const own = await slo(store, config, { tenant: 'globex' });
    const scoped = await json('/api/v1/slo', GLOBEX);
    expect(scoped.rows).toEqual(own.rows);
    // globex has no 70b request: those SLOs have no events; 8b: 1 of its 2 errored
    expect(scoped.rows.map((x) => [x.slo, x.requests, x.bad_events])).toEqual([
      [`${M70}:ttft_p95_ms`, 0, 0],
      [`${M70}:e2e_p99_ms`, 0, 0],
      [`${M70}:error_rate`, 0, 0],
      [`${M8}:error_rate`, 2, 1],
    ]);
    expect((await arrow('/api/v1/slo', GLOBEX)).rows).toEqual(own.rows);
    expect((await json('/api/v1/revenue?by=tenant', GLOBEX)).rows.map((x) => x.tenant)).toEqual(['globex']);
    expect((await json('/api/v1/workflows?by=tenant', GLOBEX)).rows.map((x) => x.tenant)).toEqual(['globex']);
    const list = await json('/api/v1/workflows/list', GLOBEX);
    expect(list.rows.length).toBeGreaterThan(0);
    expect(new Set(list.rows.map((x) => x.tenant))).toEqual(new Set(['globex']));
    // another tenant's workflow: no requests of it are shown
    const acmeWf = (await json('/api/v1/workflows/list')).rows.find((x) => x.tenant === 'acme')!;
    expect((await json(`/api/v1/workflows/requests?workflow_id=${acmeWf.workflow_id}`, GLOBEX)).rows).toEqual([]);
    expect((await json(`/api/v1/workflows/requests?workflow_id=${acmeWf.workflow_id}`)).rows.length).toBeGreaterThan(0);
    expect((await json('/api/v1/quotas?to=2026-11-23T12:00:00Z', GLOBEX)).rows.map((x) => x.tenant)).toEqual(['globex']);
  });

  it('fleet-wide KPIs and /metrics need an admin key: 403 for a tenant key', async () => {
    for (const path of ['/api/v1/cost-totals', '/api/v1/server-latency', '/api/v1/revenue-per-gpu', '/api/v1/reconciliation', '/api/v1/gpu-usage', '/metrics']) {
      const res = await get(path, GLOBEX);
      expect(res.status, path).toBe(403);
      expect(await res.json(), path).toEqual({ error: `${path} covers the whole fleet: it needs an admin key, not a tenant key` });
    }
  });
});

describe('parameters', () => {
  it('bad parameters: 400 with every reason', async () => {
    const bad = async (path: string) => {
      const res = await get(path, ADMIN);
      expect(res.status, path).toBe(400);
      return ((await res.json()) as { error: string }).error;
    };
    expect(await bad('/api/v1/unit-economics?by=colour')).toMatch(/^by\.0: Invalid option: expected one of "tenant"\|"model"\|/);
    expect(await bad('/api/v1/server-latency?by=tenant')).toMatch(/^by\.0: Invalid option: expected one of "model"\|"server_kind"\|"service"\|"instance"\|"hour"$/);
    expect(await bad('/api/v1/slo?from=yesterday&colour=red')).toBe('from: Invalid ISO datetime; query: Unrecognized key: "colour"');
    expect(await bad('/api/v1/slo?from=2026-11-23T12:00:00Z&to=2026-11-23T10:00:00Z')).toBe('from: from is after to');
    expect(await bad('/api/v1/unit-economics?by=model,model')).toBe('dimension "model" given twice');
    expect(await bad('/api/v1/revenue-per-gpu?rental_utilization=2')).toMatch(/^rental_utilization: /);
    expect(await bad('/api/v1/workflows/requests')).toMatch(/^workflow_id: /);
  });
});

describe('/metrics', () => {
  // Scraped at 11:00: the hour [10:00, 11:00) — the 70b requests and globex's two 8b ones.
  //  ttft_ms_p95: 70b [250, 310, 420] → 420; 8b [50, 60] → 60. error_rate: 70b 0, 8b 1/2.
  //  tokens_per_gpu_hour 70b/H100 45 000 (8b has no GPU-hours: none); cost_per_mtok_usd 70b 0.042978 / 750 × 1e6 = 57.304
  //   (57.30400000000001 in Float64, as SQL computes it), 8b 0 (0 USD / 160 tokens).
  //  goodput 70b/H100 7200 (see above); 8b: none (no GPU-hours).
  //  burn rates, windows ending 11:00 (none with a 70b request in the last 5 or 30 minutes: absent):
  //   70b TTFT: 2 of 3 over 300 → 2/3 / 0.05; e2e: 3200 > 3000 → 1/3 / 0.01; errors 0/3 → 0 (1h and 6h)
  //   8b errors: 1 of 2 in the last 30 min, 1 h, 6 h → 1/2 / 0.5 = 1; none in the last 5 min
  //  quota_used_ratio (November, up to 11:00): acme 750 of 5e9 tokens = 1.5e-7 > spend 630 µ$ of 20 000 USD;
  //   globex (budget only): billed 50 in × 0.1 + 10 out × 0.2 USD/M = 7 µ$ of 5000 USD = 1.4e-9
  //  metering_drift: llama-70b (750 − 700)/700; llama-8b has no server counters: none
  const expected = [
    '# HELP token_factory_ttft_ms_p95 Time to first token, 95th percentile (ms), over the recent window',
    '# TYPE token_factory_ttft_ms_p95 gauge',
    `token_factory_ttft_ms_p95{model="${M70}"} 420`,
    `token_factory_ttft_ms_p95{model="${M8}"} 60`,
    '',
    '# HELP token_factory_error_rate Errored requests / requests over the recent window',
    '# TYPE token_factory_error_rate gauge',
    `token_factory_error_rate{model="${M70}"} 0`,
    `token_factory_error_rate{model="${M8}"} 0.5`,
    '',
    '# HELP token_factory_slo_burn_rate Bad-event ratio / allowed bad ratio of an SLO over the window ending now',
    '# TYPE token_factory_slo_burn_rate gauge',
    `token_factory_slo_burn_rate{slo="${M70}:ttft_p95_ms",window="1h"} ${2 / 3 / 0.05}`,
    `token_factory_slo_burn_rate{slo="${M70}:ttft_p95_ms",window="6h"} ${2 / 3 / 0.05}`,
    `token_factory_slo_burn_rate{slo="${M70}:e2e_p99_ms",window="1h"} ${1 / 3 / 0.01}`,
    `token_factory_slo_burn_rate{slo="${M70}:e2e_p99_ms",window="6h"} ${1 / 3 / 0.01}`,
    `token_factory_slo_burn_rate{slo="${M70}:error_rate",window="1h"} 0`,
    `token_factory_slo_burn_rate{slo="${M70}:error_rate",window="6h"} 0`,
    `token_factory_slo_burn_rate{slo="${M8}:error_rate",window="30m"} 1`,
    `token_factory_slo_burn_rate{slo="${M8}:error_rate",window="1h"} 1`,
    `token_factory_slo_burn_rate{slo="${M8}:error_rate",window="6h"} 1`,
    '',
    '# HELP token_factory_tokens_per_gpu_hour Tokens per GPU-hour of the serving deployments over the recent window',
    '# TYPE token_factory_tokens_per_gpu_hour gauge',
    `token_factory_tokens_per_gpu_hour{model="${M70}",gpu_type="H100"} 45000`,
    '',
    '# HELP token_factory_goodput_tokens_per_gpu_hour Tokens of requests that met their SLO per GPU-hour over the recent window',
    '# TYPE token_factory_goodput_tokens_per_gpu_hour gauge',
    `token_factory_goodput_tokens_per_gpu_hour{model="${M70}",gpu_type="H100"} 7200`,
    '',
    '# HELP token_factory_cost_per_mtok_usd Fully loaded cost per million tokens (USD) over the recent window',
    '# TYPE token_factory_cost_per_mtok_usd gauge',
    `token_factory_cost_per_mtok_usd{model="${M70}",gpu_type="H100"} ${(42978 / 1e6 / 750) * 1e6}`,
    `token_factory_cost_per_mtok_usd{model="${M8}",gpu_type="unassigned"} 0`,
    '',
    '# HELP token_factory_quota_used_ratio Share of the monthly token or spend quota used (the larger)',
    '# TYPE token_factory_quota_used_ratio gauge',
    'token_factory_quota_used_ratio{tenant="acme"} 1.5e-7',
    'token_factory_quota_used_ratio{tenant="globex"} 1.4e-9',
    '',
    '# HELP token_factory_metering_drift (gateway tokens - server-counted tokens) / server-counted tokens over the recent window',
    '# TYPE token_factory_metering_drift gauge',
    `token_factory_metering_drift{deployment="llama-70b"} ${50 / 700}`,
    '',
  ];

  it('the KPI gauges over the last hour, exactly', async () => {
    const res = await get('/metrics', ADMIN);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await res.text()).split('\n')).toEqual(expected);
  });

  it('served alone on its own port, as the collector will', async () => {
    const registry = createKpiMetrics(store, config, { now: () => new Date('2026-11-23T11:00:00Z') });
    const alone = await serveMetrics(registry, '127.0.0.1', 0);
    try {
      expect((await (await fetch(`${alone.url}/metrics`)).text()).split('\n')).toEqual(expected);
      // a day later nothing is in the hour's window: no series, but for the month's quotas, which now count
      // acme's 45 tokens of 11:01:40 too: 795 / 5e9 = 1.59e-7 (its spend stays far below); globex unchanged
      const later = createKpiMetrics(store, config, { now: () => new Date('2026-11-24T11:00:00Z') });
      const text = await later.metrics();
      expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['token_factory_quota_used_ratio{tenant="acme"} 1.59e-7', 'token_factory_quota_used_ratio{tenant="globex"} 1.4e-9']);
    } finally {
      await new Promise((r) => alone.server.close(r));
    }
  });
});
