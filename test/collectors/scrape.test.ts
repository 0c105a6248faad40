/**
 * Scraping live HTTP endpoints on loopback that serve dcgm-exporter, vLLM, NIM and TGI
 * exposition text (no timestamps, as exporters write it), through the spool and the
 * writer into embedded ClickHouse; the typed tables are filled by the views.
 *
 * Scrape 1 at T = 2026-01-01T00:00:00Z (the scraper's clock is pinned):
 *   dcgm    2 GPUs × (GPU_UTIL, POWER_USAGE gauges; TOTAL_ENERGY_CONSUMPTION counter) = 6 samples
 *           → gpu_samples 6 rows: GPU-aaa util 87, power 612.5, energy 1000000; GPU-bbb 12, 143.25, 2000000
 *   dcgm-old  one series labelled `uuid` (older spelling) → renamed UUID → 1 gpu_samples row (GPU-ccc)
 *   vllm    prompt 1200, generation 350 (counters), running 3 (gauge), TTFT histogram
 *           le 0.1: 2, le 0.5: 5, +Inf: 6, sum 1.9 → per-bucket [2, 3, 1], bounds [0.1, 0.5]
 *   nim     unprefixed `prompt_tokens_total` 500 → vllm:prompt_tokens_total
 *   tgi     `tgi_request_count` 10, no model label; the target's config labels name it
 *   broken  answers 500; slow never answers within its 0.2 s timeout
 *   → up: 1 for the five that answered, 0 for broken and slow.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScrapeTarget } from '../../core/config/schema.js';
import { migrate } from '../../core/schema/migrate.js';
import { openStore, type Store } from '../../core/store/open-store.js';
import { createCollectorMetrics, type CollectorMetrics } from '../../collectors/observability/collector-metrics.js';
import { Scraper, type ScrapeEvent } from '../../collectors/prometheus/scrape-loop.js';
import { BatchWriter } from '../../collectors/writer/batch-writer.js';
import { spoolRowsSink } from '../../collectors/writer/spool-sink.js';
import { Spool } from '../../collectors/writer/spool.js';

const T0_MS = 1767225600000;
const GPU = (gpu: number, uuid: string) => `gpu="${gpu}",UUID="${uuid}",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"`;

const bodies: Record<string, string> = {
  '/dcgm': `# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{${GPU(0, 'GPU-aaa')}} 87
DCGM_FI_DEV_GPU_UTIL{${GPU(1, 'GPU-bbb')}} 12
# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{${GPU(0, 'GPU-aaa')}} 612.5
DCGM_FI_DEV_POWER_USAGE{${GPU(1, 'GPU-bbb')}} 143.25
# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in mJ).
# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{${GPU(0, 'GPU-aaa')}} 1000000
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{${GPU(1, 'GPU-bbb')}} 2000000
`,
  '/dcgm-old': `# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",uuid="GPU-ccc",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-2"} 50
`,
  '/vllm': `# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{model_name="llama-70b",engine="0"} 1200
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{model_name="llama-70b",engine="0"} 350
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="llama-70b",engine="0"} 3
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{model_name="llama-70b",engine="0",le="0.1"} 2
vllm:time_to_first_token_seconds_bucket{model_name="llama-70b",engine="0",le="0.5"} 5
vllm:time_to_first_token_seconds_bucket{model_name="llama-70b",engine="0",le="+Inf"} 6
vllm:time_to_first_token_seconds_sum{model_name="llama-70b",engine="0"} 1.9
vllm:time_to_first_token_seconds_count{model_name="llama-70b",engine="0"} 6
`,
  '/nim': `# TYPE prompt_tokens_total counter
prompt_tokens_total{model_name="nim-llama"} 500
`,
  '/tgi': `# TYPE tgi_request_count counter
tgi_request_count 10
`,
};

let server: Server;
let base: string;
let store: Store;
let spool: Spool;
let writer: BatchWriter;
let metrics: CollectorMetrics;
let dir: string;
const pending = new Set<import('node:http').ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = bodies[req.url ?? ''];
    if (req.url === '/broken') return void res.writeHead(500).end('oops');
    if (req.url === '/slow') return void pending.add(res);
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  dir = mkdtempSync(join(tmpdir(), 'tf-scrape-test-'));
  spool = Spool.open(dir, { maxBatchAgeMs: 20 });
  metrics = createCollectorMetrics({ processMetrics: false });
  writer = new BatchWriter(store, spool, metrics);
  writer.start();
});
afterAll(async () => {
  for (const res of pending) res.destroy();
  await writer?.drain(5000);
  await store?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const target = (job: string, path: string, kind: ScrapeTarget['kind'], labels: Record<string, string> = {}, timeout_s = 5): ScrapeTarget => ({
  job,
  url: `${base}${path}`,
  interval_s: 15,
  timeout_s,
  kind,
  labels,
});

async function rows<T>(query: string): Promise<T[]> {
  const rs = await store.client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

describe('scraping exporters', () => {
  const events: ScrapeEvent[] = [];
  let now = T0_MS;
  let scraper: Scraper;

  beforeAll(() => {
    scraper = new Scraper(
      [
        target('dcgm-exporter', '/dcgm', 'dcgm'),
        target('dcgm-old', '/dcgm-old', 'dcgm'),
        target('vllm', '/vllm', 'vllm'),
        target('nim', '/nim', 'nim'),
        target('tgi', '/tgi', 'tgi', { model: 'mistral-7b' }),
        target('tgi-unnamed', '/tgi', 'tgi'),
        target('broken', '/broken', 'generic'),
        target('slow', '/slow', 'generic', {}, 0.2),
      ],
      { sink: spoolRowsSink(spool, 'metrics'), metrics, now: () => now, onEvent: (e) => events.push(e) },
    );
  });

  it('writes every sample raw and fills gpu_samples and the server tables', async () => {
    await scraper.scrapeAll();
    await writer.flush();
    expect(await rows('SELECT uuid, gpu_index, node, gpu_type, metric, value, toString(ts) AS ts FROM gpu_samples ORDER BY uuid, metric')).toEqual([
      { uuid: 'GPU-aaa', gpu_index: 0, node: 'node-1', gpu_type: 'H100', metric: 'DCGM_FI_DEV_GPU_UTIL', value: 87, ts: '2026-01-01 00:00:00' },
      { uuid: 'GPU-aaa', gpu_index: 0, node: 'node-1', gpu_type: 'H100', metric: 'DCGM_FI_DEV_POWER_USAGE', value: 612.5, ts: '2026-01-01 00:00:00' },
      { uuid: 'GPU-aaa', gpu_index: 0, node: 'node-1', gpu_type: 'H100', metric: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', value: 1000000, ts: '2026-01-01 00:00:00' },
      { uuid: 'GPU-bbb', gpu_index: 1, node: 'node-1', gpu_type: 'H100', metric: 'DCGM_FI_DEV_GPU_UTIL', value: 12, ts: '2026-01-01 00:00:00' },
      { uuid: 'GPU-bbb', gpu_index: 1, node: 'node-1', gpu_type: 'H100', metric: 'DCGM_FI_DEV_POWER_USAGE', value: 143.25, ts: '2026-01-01 00:00:00' },
      { uuid: 'GPU-bbb', gpu_index: 1, node: 'node-1', gpu_type: 'H100', metric: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', value: 2000000, ts: '2026-01-01 00:00:00' },
      { uuid: 'GPU-ccc', gpu_index: 0, node: 'node-2', gpu_type: 'A100', metric: 'DCGM_FI_DEV_GPU_UTIL', value: 50, ts: '2026-01-01 00:00:00' },
    ]);
    expect(await rows('SELECT service, server_kind, model, metric, value FROM server_samples ORDER BY service, metric')).toEqual([
      { service: 'nim', server_kind: 'vllm', model: 'nim-llama', metric: 'prompt_tokens_total', value: 500 },
      { service: 'tgi', server_kind: 'tgi', model: 'mistral-7b', metric: 'request_count', value: 10 },
      { service: 'tgi-unnamed', server_kind: 'tgi', model: '', metric: 'request_count', value: 10 },
      { service: 'vllm', server_kind: 'vllm', model: 'llama-70b', metric: 'generation_tokens_total', value: 350 },
      { service: 'vllm', server_kind: 'vllm', model: 'llama-70b', metric: 'num_requests_running', value: 3 },
      { service: 'vllm', server_kind: 'vllm', model: 'llama-70b', metric: 'prompt_tokens_total', value: 1200 },
    ]);
    expect(await rows('SELECT service, instance, model, metric, bounds, bucket_counts, count, sum FROM server_histograms')).toEqual([
      { service: 'vllm', instance: new URL(base).host, model: 'llama-70b', metric: 'time_to_first_token_seconds', bounds: [0.1, 0.5], bucket_counts: [2, 3, 1], count: 6, sum: 1.9 },
    ]);
    // TGI: the model comes from the target's config labels (the views read model_name, else model);
    // a TGI target whose config names no model gets a note (below) and model ''
    expect(await rows("SELECT Attributes FROM otel_metrics_sum WHERE ServiceName = 'tgi'")).toEqual([{ Attributes: { model: 'mistral-7b' } }]);
    expect(events.filter((e) => e.kind === 'note').map((e) => (e as { note: string }).note)).toEqual([
      '1 TGI series carry no model label and the scrape config names none: set labels.model_name for this target',
    ]);
  });

  it('reports up, scrape_duration_seconds and scrape_samples_scraped per target, like Prometheus', async () => {
    expect(await rows("SELECT ServiceName AS job, Value AS up FROM otel_metrics_gauge WHERE MetricName = 'up' ORDER BY job")).toEqual([
      { job: 'broken', up: 0 },
      { job: 'dcgm-exporter', up: 1 },
      { job: 'dcgm-old', up: 1 },
      { job: 'nim', up: 1 },
      { job: 'slow', up: 0 },
      { job: 'tgi', up: 1 },
      { job: 'tgi-unnamed', up: 1 },
      { job: 'vllm', up: 1 },
    ]);
    // vllm: 3 counter/gauge samples + 5 histogram samples (3 buckets, sum, count)
    expect(await rows("SELECT ServiceName AS job, Value AS samples FROM otel_metrics_gauge WHERE MetricName = 'scrape_samples_scraped' AND ServiceName IN ('dcgm-exporter', 'vllm') ORDER BY job")).toEqual([
      { job: 'dcgm-exporter', samples: 6 },
      { job: 'vllm', samples: 8 },
    ]);
    const [slow] = await rows<{ d: number }>("SELECT Value AS d FROM otel_metrics_gauge WHERE MetricName = 'scrape_duration_seconds' AND ServiceName = 'slow'");
    expect(slow!.d).toBeGreaterThanOrEqual(0.19);
    expect(slow!.d).toBeLessThan(5);
    const text = await metrics.registry.metrics();
    const instance = new URL(base).host;
    expect(text).toContain(`token_factory_scrape_up{job="broken",instance="${instance}"} 0`);
    expect(text).toContain(`token_factory_scrapes_total{job="broken",instance="${instance}",result="http_error"} 1`);
    expect(text).toContain(`token_factory_scrapes_total{job="slow",instance="${instance}",result="timeout"} 1`);
    expect(text).toContain(`token_factory_scrape_samples_scraped{job="dcgm-exporter",instance="${instance}"} 6`);
  });

  it('stores a scrape delivered twice once (same series, same second)', async () => {
    const before = await rows('SELECT count() AS n FROM otel_metrics_gauge');
    await scraper.scrapeAll();
    await writer.flush();
    expect(await rows('SELECT count() AS n FROM otel_metrics_gauge')).toEqual(before);
    expect(await metrics.registry.metrics()).toMatch(/token_factory_collector_dropped_items_total\{signal="metrics",reason="duplicate"\} \d+/);
  });
});

describe('staleness', () => {
  it('marks the series that vanish from a scrape, or of a failed scrape, stale: Flags = 1, no value', async () => {
    const path = '/changing';
    bodies[path] = `# TYPE gpu_temp gauge\ngpu_temp{gpu="0"} 61\ngpu_temp{gpu="1"} 64\n`;
    let now = T0_MS + 3600_000;
    const scraper = new Scraper([target('temps', path, 'generic')], { sink: spoolRowsSink(spool, 'metrics'), metrics, staleMarkers: true, now: () => now });
    await scraper.scrapeAll();
    // 15 s later gpu 1 is gone; 15 s after that the endpoint is gone
    bodies[path] = `# TYPE gpu_temp gauge\ngpu_temp{gpu="0"} 62\n`;
    now += 15_000;
    await scraper.scrapeAll();
    delete bodies[path];
    now += 15_000;
    await scraper.scrapeAll();
    await writer.flush();
    expect(
      await rows("SELECT toString(TimeUnix) AS t, Attributes['gpu'] AS gpu, toString(Value) AS value, Flags FROM otel_metrics_gauge WHERE MetricName = 'gpu_temp' ORDER BY t, gpu"),
    ).toEqual([
      { t: '2026-01-01 01:00:00', gpu: '0', value: '61', Flags: 0 },
      { t: '2026-01-01 01:00:00', gpu: '1', value: '64', Flags: 0 },
      { t: '2026-01-01 01:00:15', gpu: '0', value: '62', Flags: 0 },
      { t: '2026-01-01 01:00:15', gpu: '1', value: 'nan', Flags: 1 },
      { t: '2026-01-01 01:00:30', gpu: '0', value: 'nan', Flags: 1 },
    ]);
    expect(await rows("SELECT toString(TimeUnix) AS t, Value AS up FROM otel_metrics_gauge WHERE MetricName = 'up' AND ServiceName = 'temps' ORDER BY t")).toEqual([
      { t: '2026-01-01 01:00:00', up: 1 },
      { t: '2026-01-01 01:00:15', up: 1 },
      { t: '2026-01-01 01:00:30', up: 0 },
    ]);
  });
});
