/**
 * `token-factory demo` as a user runs it: the built CLI in child processes, the simulated
 * factory in its worker thread, a data directory in a temp dir. An hour of backfill and
 * the summary (`--exit`); then a second start that resumes from the stored data, serves
 * the API while live traffic is scraped and received, and stops cleanly on SIGINT; then
 * the store holds what the live phase sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../core/store/open-store.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const demo = join(root, 'dist/cli/main.js');
let dir: string;
const ports = ['--api-port', '0', '--otlp-port', '0', '--metrics-port', '0'];

beforeAll(() => {
  if (!existsSync(join(root, 'dist/simulator/sim-worker.js'))) throw new Error('the CLI is not built: run `npm run build` (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'tf-demo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('token-factory demo', () => {
  let firstTo: string;

  it('--exit: backfills, prints the summary as JSON, exits 0', () => {
    const r = spawnSync(process.execPath, [demo, 'demo', '--exit', '--backfill', '1h', '--sample-interval', '60', '--format', 'json', '--data-dir', join(dir, 'data'), ...ports], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { window: { from: string; to: string }; unit_economics: { model: string; gpu_type: string; tokens: number }[]; revenue_per_gpu: unknown[]; urls: { api: string } };
    expect(out.unit_economics.map((u) => `${u.model} ${u.gpu_type}`)).toEqual([
      'meta/llama-3.1-70b-instruct B200',
      'meta/llama-3.1-70b-instruct H100',
      'meta/llama-3.1-8b-instruct B200',
      'meta/llama-3.1-8b-instruct H100',
      'qwen/qwen2.5-coder-32b-instruct B200',
    ]);
    expect(out.unit_economics.every((u) => u.tokens > 0)).toBe(true);
    expect(out.revenue_per_gpu).toHaveLength(2);
    expect(out.urls.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // not a terminal: plain progress lines, the last at 100 %
    expect(r.stderr).toMatch(/backfill 100%: /);
    firstTo = out.window.to;
  }, 200_000);

  it('a second start resumes from the stored data, goes live, serves the API, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [demo, 'demo', '--backfill', '1h', '--data-dir', join(dir, 'data'), ...ports], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const until = async (what: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; !what(); ) {
        if (Date.now() > end) throw new Error(`timed out; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    try {
      await until(() => stderr.includes('live traffic at 1×'), 150_000);
      // resumes from the stored data: backfills since the first run's end, or nothing at all
      // when this start falls in the same backfill tick as that end (planBackfill)
      expect(stderr).toMatch(new RegExp(`the store has data up to ${firstTo.replaceAll('.', '\\.')}: backfilling only since then|the store is up to date: no backfill`));
      const api = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
      expect((await fetch(`${api}/api/v1/health`)).status).toBe(200);
      const gauges = await (await fetch(`${api}/metrics`)).text();
      expect(gauges).toContain('# TYPE token_factory_tokens_per_gpu_hour gauge');
      // a scrape of every exporter happens within the first 15 s
      await new Promise((r) => setTimeout(r, 20_000));
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('token-factory demo: stopped');
  }, 240_000);

  it('the store kept what the live phase sent: scraped GPU and vLLM samples, spans sent as they ended, gateway metrics', async () => {
    const store = await openStore({ kind: 'embedded', path: join(dir, 'data') }, { command: 'test' });
    try {
      const q = async (query: string) => (await (await store.client.query({ query, format: 'JSONEachRow' })).json<Record<string, string | number>>())[0]!;
      // live scrapes stamp wall-clock times with sub-minute offsets; the backfill's samples sit on the 60 s/300 s grid
      const scraped = await q(
        "SELECT uniqExact(ServiceName, ResourceAttributes['service.instance.id']) AS targets, uniqExactIf(ResourceAttributes['service.instance.id'], ServiceName = 'dcgm-exporter' AND Value = 1) AS dcgm_up FROM otel_metrics_gauge WHERE MetricName = 'up'",
      );
      // 2 dcgm-exporters + 8 vLLM replicas scraped (a replica may be down: then its `up` is 0)
      expect([Number(scraped.targets), Number(scraped.dcgm_up)]).toEqual([10, 2]);
      const live = await q(`SELECT count() AS n FROM gpu_samples WHERE toSecond(ts) != 0`);
      expect(Number(live.n)).toBeGreaterThan(0);
      const spans = await q(`SELECT count() AS n FROM llm_requests WHERE ts > parseDateTime64BestEffort('${firstTo}')`);
      expect(Number(spans.n)).toBeGreaterThan(0);
      // the gateway's own GenAI metrics, exported by the SDK's periodic reader (and on shutdown)
      const gateway = await q("SELECT count() AS n FROM otel_metrics_histogram WHERE ServiceName = 'ai-gateway' AND MetricName = 'gen_ai.client.token.usage'");
      expect(Number(gateway.n)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
