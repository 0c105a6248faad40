/**
 * `token-factory slo | latency | quotas | reconciliation` end to end: the built CLI in
 * child processes on an embedded store in a temp directory, loaded with the hand-worked
 * factory (test/fixtures/factory; its figures are in test/integration/factory-kpis.test.ts)
 * and one vLLM server of llama-70b (a Prometheus text file written here, ingested with
 * --job vllm-70b --instance vllm-70b.factory.svc:8000):
 *   prompt_tokens_total     0 (10:00) → 5000 (10:45) → 5500 (11:00)
 *   generation_tokens_total 0 (10:00) → 1800 (10:45) → 2000 (11:00)
 *   e2e_request_latency_seconds, bounds [1, 5]: [0,0,0] at 10:00 → cumulative [2,4,4] at 10:30
 *
 * Requests (factory-kpis.test.ts): a acme 70b 10:05 1000/500 ttft 200 e2e 2000;
 * b globex 70b 10:20 3000/1000 ttft 1000 e2e 6000 ERROR; c initech 70b 10:40 1500/500
 * ttft 250 e2e 2500; f acme 8b 10:10 2000/1000 ttft 400 e2e 4000; g initech 8b 10:50
 * 500/500 ttft 100 e2e 1000; d acme 70b 11:02 500/500 ttft 300 e2e 3000; e globex 70b
 * 11:30 1000/1000 ttft 500 e2e 5000. llama-70b: 2 H100 × 2 h = 4 GPU-hours, both hours served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/token-factory.js');
const fixture = (f: string) => join(root, 'test/fixtures/factory', f);
const M70 = 'meta/llama-3.1-70b-instruct';
const M8 = 'meta/llama-3.1-8b-instruct';
const WINDOW = ['--from', '2026-11-23T10:00:00Z', '--to', '2026-11-23T12:00:00Z'];
const H10 = '2026-11-23T10:00:00Z';
const H11 = '2026-11-23T11:00:00Z';
let dir: string;
let cfg: string;

function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, TOKEN_FACTORY_CONFIG: cfg } });
}

type Out = { window: { from: string; to: string }; rows: Record<string, unknown>[] };
function json(r: SpawnSyncReturns<string>): Out {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Out;
}
const pick = (rows: Record<string, unknown>[], keys: string[]) => rows.map((r) => keys.map((k) => r[k]));

const ms = (s: string) => Date.parse(s);
const SERVER_PROM = (() => {
  const lbl = `model_name="${M70}"`;
  const at10 = ms('2026-11-23T10:00:00Z');
  const at1030 = ms('2026-11-23T10:30:00Z');
  const at1045 = ms('2026-11-23T10:45:00Z');
  const at11 = ms('2026-11-23T11:00:00Z');
  const counter = (name: string, values: [number, number][]) => [`# TYPE vllm:${name} counter`, ...values.map(([t, v]) => `vllm:${name}_total{${lbl}} ${v} ${t}`)];
  const hist = (t: number, b1: number, b5: number, count: number, sum: number) => [
    `vllm:e2e_request_latency_seconds_bucket{${lbl},le="1.0"} ${b1} ${t}`,
    `vllm:e2e_request_latency_seconds_bucket{${lbl},le="5.0"} ${b5} ${t}`,
    `vllm:e2e_request_latency_seconds_bucket{${lbl},le="+Inf"} ${count} ${t}`,
    `vllm:e2e_request_latency_seconds_sum{${lbl}} ${sum} ${t}`,
    `vllm:e2e_request_latency_seconds_count{${lbl}} ${count} ${t}`,
  ];
  return [
    ...counter('prompt_tokens', [[at10, 0], [at1045, 5000], [at11, 5500]]),
    ...counter('generation_tokens', [[at10, 0], [at1045, 1800], [at11, 2000]]),
    '# TYPE vllm:e2e_request_latency_seconds histogram',
    ...hist(at10, 0, 0, 0, 0),
    ...hist(at1030, 2, 4, 4, 8),
  ].join('\n') + '\n';
})();

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('the CLI is not built: run `npm run build` (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'tf-kpi-cli-'));
  cfg = join(dir, 'token-factory.yaml');
  writeFileSync(
    cfg,
    readFileSync(fixture('token-factory.yaml'), 'utf8') +
      `store: { path: ${join(dir, 'data')} }\n` +
      'api: { port: 0, keys: [{ key: admin-key-0123456789 }, { key: acme-key-0123456789, tenant: acme }] }\n',
  );
  const server = join(dir, 'vllm-70b.prom');
  writeFileSync(server, SERVER_PROM);
  json(cli('ingest', '--format', 'json', fixture('gateway-spans.json'), fixture('dcgm-exporter.prom')));
  const s = json(cli('ingest', '--format', 'json', '--job', 'vllm-70b', '--instance', 'vllm-70b.factory.svc:8000', server));
  // 2 counters × 3 samples; 2 histogram points
  expect(s.rows.map((r) => [r.table, r.rows_written])).toEqual([['otel_metrics_sum', 6], ['otel_metrics_histogram', 2]]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('token-factory slo', () => {
  it('SLIs, bad events, error budgets, burn rates, attainment and goodput of the 70b SLO entry', () => {
    const out = json(cli('slo', ...WINDOW, '--format', 'json'));
    expect(out.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    // 5 requests of 70b; TTFT sorted 200 250 300 500 1000 → p95 = element ⌊0.95 × 5⌋ = [4] = 1000 > 600;
    //   bad: b (1000 > 600) → 1/5; allowed 0.05 → budget 1 − 0.2/0.05 = −3
    // TPOT = (e2e − ttft)/(out − 1): a 3.607 e 4.505 c 4.509 b 5.005 d 5.411 → p95 = d = 2700/499 ≤ 10; none bad
    // e2e 2000 2500 3000 5000 6000 → p99 = 6000 > 5000; bad b → 1/5; allowed 0.01 → 1 − 20 = −19
    // error rate: b → 1/5 > 0.01 → −19
    // burn 6h (06:00–12:00: all requests) = bad ratio / allowed: 4, 0, 20, 20;
    // burn 1h (11:00–12:00: d, e — TTFT 300, 500, e2e 3000, 5000, no error): 0 for all; 5m (11:55–12:00): no events → null
    expect(pick(out.rows, ['slo', 'kind', 'target', 'sli', 'slo_met', 'events', 'bad_events', 'bad_ratio', 'error_budget_remaining', 'slo_burn_rate_5m', 'slo_burn_rate_1h', 'slo_burn_rate_6h'])).toEqual([
      [`${M70}:ttft_p95_ms`, 'ttft_p95_ms', 600, 1000, false, 5, 1, 0.2, expect.closeTo(-3, 12), null, 0, expect.closeTo(4, 12)],
      [`${M70}:tpot_ms`, 'tpot_ms', 10, expect.closeTo(2700 / 499, 12), true, 5, 0, 0, 1, null, 0, 0],
      [`${M70}:e2e_p99_ms`, 'e2e_p99_ms', 5000, 6000, false, 5, 1, 0.2, expect.closeTo(-19, 12), null, 0, expect.closeTo(20, 12)],
      [`${M70}:error_rate`, 'error_rate', 0.01, 0.2, false, 5, 1, 0.2, expect.closeTo(-19, 12), null, 0, expect.closeTo(20, 12)],
    ]);
    // attainment: TTFT ≤ 600, TPOT ≤ 10 and no error: a c d e (not b) → 4/5;
    // goodput: their tokens 1500 + 2000 + 1000 + 2000 = 6500 / 4 GPU-hours of the 70b requests = 1625
    for (const r of out.rows) expect([r.slo_attainment, r.goodput_tokens_per_gpu_hour]).toEqual([0.8, expect.closeTo(1625, 9)]);
  });

  it('the table shows targets and SLIs in their units, ratios as %', () => {
    const table = cli('slo', ...WINDOW).stdout;
    expect(table).toContain('window [2026-11-23T10:00:00.000Z, 2026-11-23T12:00:00.000Z)');
    expect(table).toMatch(/ttft_p95_ms\s*│\s*600 ms\s*│\s*1,000 ms\s*│\s*NO\s*│\s*5\s*│\s*1\s*│\s*20\.00 %\s*│\s*-300\.00 %\s*│/);
    expect(table).toMatch(/error_rate\s*│\s*1\.00 %\s*│\s*20\.00 %\s*│\s*NO\s*│/);
    expect(table).toMatch(/tpot_ms\s*│\s*10 ms\s*│\s*5\.411 ms\s*│\s*yes\s*│/);
    const csv = cli('slo', ...WINDOW, '--format', 'csv').stdout.split('\n');
    expect(csv[0]).toMatch(/^slo,model,endpoint,kind,target,sli,slo_met,requests,events,bad_events,bad_ratio,/);
    expect(csv[1]).toMatch(new RegExp(`^${M70.replace(/[./]/g, '\\$&')}:ttft_p95_ms,${M70.replace(/[./]/g, '\\$&')},,ttft_p95_ms,600,1000,false,5,5,1,0\\.2,`));
  });

  it('a bad option is named', () => {
    const r = cli('slo', '--from', 'yesterday');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: --from: expected an ISO 8601 time such as 2026-11-25T00:00:00Z\n');
  });
});

describe('token-factory latency', () => {
  it('--source server (default): histogram quantiles; the default window is the histograms\' hour', () => {
    const out = json(cli('latency', '--format', 'json'));
    expect(out.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T11:00:00.000Z' });
    // cumulative [2,4,4] at le [1,5,+Inf]: p50 rank 2 → 1 s; p90 rank 3.6 → 1 + 4 × 1.6/2 = 4.2 s;
    // p95 3.8 → 4.6 s; p99 3.96 → 4.92 s; no TTFT histogram → null
    expect(pick(out.rows, ['model', 'requests', 'e2e_ms_p50', 'e2e_ms_p90', 'e2e_ms_p95', 'e2e_ms_p99', 'ttft_ms_p50', 'itl_ms_p99'])).toEqual([
      [M70, 4, 1000, expect.closeTo(4200, 9), expect.closeTo(4600, 9), expect.closeTo(4920, 9), null, null],
    ]);
    expect(cli('latency', '--by', 'instance').stdout).toMatch(/vllm-70b\.factory\.svc:8000\s*│\s*4\s*│\s*—\s*│.*│\s*1,000\s*│\s*4,200\s*│\s*4,600\s*│\s*4,920\s*│/);
  });

  it('--source gateway: exact quantiles over the request spans, only the latency columns', () => {
    const out = json(cli('latency', '--source', 'gateway', ...WINDOW, '--format', 'json'));
    // 70b: e2e 2000 2500 3000 5000 6000 → p50 [2] 3000, p90/p95/p99 [4] 6000; TTFT p50 300, p95 1000;
    //   TPOT p50 = c = 2250/499. 8b: e2e 1000 4000 → p50 [1] 4000; TTFT 100 400 → p50 400
    expect(out.rows).toEqual([
      expect.objectContaining({ model: M70, requests: 5, e2e_ms_p50: 3000, e2e_ms_p90: 6000, e2e_ms_p99: 6000, ttft_ms_p50: 300, ttft_ms_p95: 1000, tpot_ms_p50: expect.closeTo(2250 / 499, 9) }),
      expect.objectContaining({ model: M8, requests: 2, e2e_ms_p50: 4000, ttft_ms_p50: 400 }),
    ]);
    expect(Object.keys(out.rows[0]!)).toEqual(['model', 'requests', ...['ttft', 'tpot', 'e2e'].flatMap((f) => ['p50', 'p90', 'p95', 'p99'].map((q) => `${f}_ms_${q}`))]);
  });

  it('dimensions are checked against the source', () => {
    const r = cli('latency', '--by', 'tenant');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: --by: Invalid option: expected one of "model"\|"server_kind"\|"service"\|"instance"\|"hour"\n$/);
    expect(cli('latency', '--source', 'gateway', '--by', 'tenant', ...WINDOW, '--format', 'json').status).toBe(0);
    const s = cli('latency', '--source', 'spans');
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/^error: --source: Invalid option: expected one of "server"\|"gateway"\n$/);
  });
});

describe('token-factory quotas', () => {
  const acme = {
    tenant: 'acme', period: '2026-11', monthly_token_quota: 100000, monthly_budget_usd: 1,
    // a 1500 + d 1000 + f 3000 tokens; price book: a 1000 × 0.6 + 500 × 1.8 = 1500 µ$, d 300 + 900 = 1200 µ$, f 2000 × 0.1 + 1000 × 0.2 = 400 µ$
    tokens_used: 5500, spend_usd: 0.0031, tokens_last_24h: 5500, spend_last_24h_usd: 0.0031,
    token_quota_used_ratio: 0.055, budget_used_ratio: 0.0031, quota_used_ratio: 0.055,
    quota_remaining: 94500, budget_remaining_usd: 0.9969,
    // tokens: ⌈94 500 × 86 400 / 5500⌉ s = 17.2 days → after 1 December: the quota resets first
    quota_exhaustion_eta: null,
  };
  it('per tenant: the month\'s tokens and spend against its quotas', () => {
    const out = json(cli('quotas', '--to', '2026-11-23T12:00:00Z', '--format', 'json'));
    expect(out.window).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    const none = { monthly_token_quota: null, monthly_budget_usd: null, token_quota_used_ratio: null, budget_used_ratio: null, quota_used_ratio: null, quota_remaining: null, budget_remaining_usd: null, quota_exhaustion_eta: null };
    expect(out.rows).toEqual([
      acme,
      // e only (b errored: not billed): 1000 × 0.6 + 1000 × 1.8 = 2400 µ$
      { tenant: 'globex', period: '2026-11', tokens_used: 2000, spend_usd: 0.0024, tokens_last_24h: 2000, spend_last_24h_usd: 0.0024, ...none },
      // c at initech's plan 1500 × 0.5 + 500 × 1.5 = 1500 µ$; g 500 × 0.1 + 500 × 0.2 = 150 µ$
      { tenant: 'initech', period: '2026-11', tokens_used: 3000, spend_usd: 0.00165, tokens_last_24h: 3000, spend_last_24h_usd: 0.00165, ...none },
    ]);
    const table = cli('quotas', '--to', '2026-11-23T12:00:00Z').stdout;
    expect(table).toMatch(/acme\s*│\s*2026-11\s*│\s*5,500\s*│\s*100,000\s*│\s*5\.50 %\s*│\s*\$0\.0031\s*│\s*\$1\.00\s*│\s*0\.31 %\s*│\s*94,500\s*│\s*\$0\.9969\s*│\s*—\s*│/);
  });

  it('an ETA inside the month: a 10 000-token quota', () => {
    const small = join(dir, 'small-quota.yaml');
    writeFileSync(small, readFileSync(cfg, 'utf8').replace('monthly_token_quota: 100000', 'monthly_token_quota: 10000'));
    const out = json(cli('quotas', '--config', small, '--to', '2026-11-23T12:00:00Z', '--format', 'json'));
    // 4500 left at 5500 per 24 h: ⌈4500 × 86 400 / 5500⌉ = ⌈70 690.9⌉ = 70 691 s = 19 h 38 min 11 s after 12:00
    // (the budget's ETA, ⌈996 900 × 86 400 / 3100⌉ s, is later)
    expect(out.rows[0]).toEqual({ ...acme, monthly_token_quota: 10000, token_quota_used_ratio: 0.55, quota_used_ratio: 0.55, quota_remaining: 4500, quota_exhaustion_eta: '2026-11-24T07:38:11Z' });
  });
});

describe('token-factory reconciliation', () => {
  it('gateway vs server tokens and the drift, by deployment and hour', () => {
    const out = json(cli('reconciliation', ...WINDOW, '--format', 'json'));
    expect(out.rows).toEqual([
      // hour 10: gateway a + b + c = 1500 + 4000 + 2000 (errored b included); server 5000 + 1800 (10:00 → 10:45)
      { deployment: 'llama-70b', hour: H10, gateway_requests: 3, gateway_input_tokens: 5500, gateway_output_tokens: 2000, gateway_tokens: 7500,
        server_prompt_tokens: 5000, server_generation_tokens: 1800, server_tokens: 6800, metering_drift: expect.closeTo(700 / 6800, 12) },
      // hour 11: d + e = 1000 + 2000; server 500 + 200 (10:45 → 11:00)
      { deployment: 'llama-70b', hour: H11, gateway_requests: 2, gateway_input_tokens: 1500, gateway_output_tokens: 1500, gateway_tokens: 3000,
        server_prompt_tokens: 500, server_generation_tokens: 200, server_tokens: 700, metering_drift: expect.closeTo(2300 / 700, 12) },
      // llama-8b: no server counters → null, not 0
      { deployment: 'llama-8b', hour: H10, gateway_requests: 2, gateway_input_tokens: 2500, gateway_output_tokens: 1500, gateway_tokens: 4000,
        server_prompt_tokens: null, server_generation_tokens: null, server_tokens: null, metering_drift: null },
    ]);
    const table = cli('reconciliation', ...WINDOW).stdout;
    expect(table).toMatch(/llama-70b\s*│\s*2026-11-23T10:00:00Z\s*│\s*3\s*│\s*7,500\s*│\s*5,000\s*│\s*1,800\s*│\s*6,800\s*│\s*10\.29 %\s*│/);
  });

  it('ungrouped: one row for the window; a bad dimension is named', () => {
    // 14 500 gateway tokens vs 7500 → 7000 / 7500
    expect(pick(json(cli('reconciliation', '--by', '', ...WINDOW, '--format', 'json')).rows, ['gateway_tokens', 'server_tokens', 'metering_drift'])).toEqual([
      [14500, 7500, expect.closeTo(7000 / 7500, 12)],
    ]);
    const r = cli('reconciliation', '--by', 'tenant');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: --by: Invalid option: expected one of "deployment"|"hour"|"day"\n');
  });
});

describe('while `serve` holds the store', () => {
  it('the commands go through its API and print the same figures', async () => {
    const local = {
      slo: json(cli('slo', ...WINDOW, '--format', 'json')),
      latency: json(cli('latency', '--format', 'json')),
      quotas: json(cli('quotas', '--to', '2026-11-23T12:00:00Z', '--format', 'json')),
      reconciliation: json(cli('reconciliation', ...WINDOW, '--format', 'json')),
    };
    const server = spawn(process.execPath, [bin, 'serve'], { cwd: dir, env: { ...process.env, TOKEN_FACTORY_CONFIG: cfg }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((res, rej) => {
        server.stdout!.on('data', (d: Buffer) => /API on http:\/\/\S+/.test(d.toString()) && res());
        server.on('exit', (c) => rej(new Error(`serve exited ${c}`)));
      });
      expect(json(cli('slo', ...WINDOW, '--format', 'json'))).toEqual(local.slo);
      expect(json(cli('latency', '--format', 'json'))).toEqual(local.latency);
      // the API's admin key (the config's key without a tenant): every tenant
      expect(json(cli('quotas', '--to', '2026-11-23T12:00:00Z', '--format', 'json'))).toEqual(local.quotas);
      expect(json(cli('reconciliation', ...WINDOW, '--format', 'json'))).toEqual(local.reconciliation);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  }, 60_000);
});
