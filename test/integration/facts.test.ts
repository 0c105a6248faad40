/**
 * Raw rows → typed facts through the materialized views, on the shipped sample
 * (values worked out in test/integration/cli.test.ts's header) and a vLLM scrape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
let store: Store;

async function rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  return (await store.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

async function load(path: string, opts = {}): Promise<void> {
  const l = new StagedLoad(store);
  await l.add(decodeFile(path, readFileSync(path), opts));
  await l.commit();
  await l.dispose();
}

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  await load(file('examples/sample/gateway-spans.json'));
  await load(file('examples/sample/dcgm-exporter.prom'));
  await load(file('test/fixtures/prometheus/vllm.prom'), { job: 'vllm-70b', instance: 'vllm-70b.factory.svc:8000', atNs: '1795428000000000000' });
});
afterAll(() => store.close());

describe('typed facts', () => {
  it('llm_requests: one row per request span, GenAI attributes typed', async () => {
    expect(
      await rows(
        'SELECT toString(ts) AS ts, toString(hour) AS hour, span_id, tenant, model, endpoint, server_address, input_tokens, output_tokens, e2e_ms, ttft_ms, is_error, error_type FROM llm_requests FINAL ORDER BY ts',
      ),
    ).toEqual([
      { ts: '2026-11-23 10:00:00.100000000', hour: '2026-11-23 10:00:00', span_id: 'eee19b7ec3c1b171', tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', endpoint: 'chat', server_address: 'vllm-70b.factory.svc', input_tokens: 100, output_tokens: 20, e2e_ms: 1500, ttft_ms: 250, is_error: 0, error_type: '' },
      { ts: '2026-11-23 10:00:02.000000000', hour: '2026-11-23 10:00:00', span_id: 'eee19b7ec3c1b172', tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', endpoint: 'chat', server_address: 'vllm-70b.factory.svc', input_tokens: 200, output_tokens: 50, e2e_ms: 3000, ttft_ms: 310, is_error: 0, error_type: '' },
      { ts: '2026-11-23 10:00:05.500000000', hour: '2026-11-23 10:00:00', span_id: 'eee19b7ec3c1b173', tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', endpoint: 'chat', server_address: 'vllm-70b.factory.svc', input_tokens: 300, output_tokens: 80, e2e_ms: 3200, ttft_ms: 420, is_error: 0, error_type: '' },
      { ts: '2026-11-23 10:30:00.000000000', hour: '2026-11-23 10:00:00', span_id: 'b7ad6b7169203331', tenant: 'globex', model: 'meta/llama-3.1-8b-instruct', endpoint: 'chat', server_address: 'vllm-8b.factory.svc', input_tokens: 50, output_tokens: 10, e2e_ms: 800, ttft_ms: 50, is_error: 0, error_type: '' },
      { ts: '2026-11-23 10:30:01.000000000', hour: '2026-11-23 10:00:00', span_id: 'b7ad6b7169203332', tenant: 'globex', model: 'meta/llama-3.1-8b-instruct', endpoint: 'chat', server_address: 'vllm-8b.factory.svc', input_tokens: 70, output_tokens: 30, e2e_ms: 400, ttft_ms: 60, is_error: 1, error_type: 'server_error' },
      { ts: '2026-11-23 11:01:40.000000000', hour: '2026-11-23 11:00:00', span_id: '00f067aa0ba902b7', tenant: 'acme', model: 'meta/llama-3.1-8b-instruct', endpoint: 'chat', server_address: 'vllm-8b.factory.svc', input_tokens: 40, output_tokens: 5, e2e_ms: 500, ttft_ms: 40, is_error: 0, error_type: '' },
    ]);
  });

  it('trace_roots: root spans with workflow name and outcome', async () => {
    expect(await rows('SELECT trace_id, workflow_name, outcome, is_error, tenant FROM trace_roots FINAL ORDER BY ts')).toEqual([
      { trace_id: '5b8efff798038103d269b633813fc60c', workflow_name: 'research', outcome: '', is_error: 0, tenant: 'acme' },
      { trace_id: '0af7651916cd43dd8448eb211c80319c', workflow_name: 'chat meta/llama-3.1-8b-instruct', outcome: '', is_error: 0, tenant: 'globex' },
      { trace_id: '0af7651916cd43dd8448eb211c80319c', workflow_name: 'chat meta/llama-3.1-8b-instruct', outcome: '', is_error: 1, tenant: 'globex' },
      { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', workflow_name: 'chat meta/llama-3.1-8b-instruct', outcome: '', is_error: 0, tenant: 'acme' },
    ]);
  });

  it('gpu_samples: DCGM fields per GPU with identity labels and short gpu_type', async () => {
    expect(
      await rows("SELECT toString(ts) AS ts, uuid, gpu_index, node, gpu_type, pod, namespace, metric, value FROM gpu_samples FINAL WHERE gpu_index = 0 ORDER BY metric, ts"),
    ).toEqual(
      [
        ['DCGM_FI_DEV_GPU_UTIL', 87, 91],
        ['DCGM_FI_DEV_POWER_USAGE', 612.5, 640],
        ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 92345678901, 92355066401],
        ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 0.812, 0.853],
      ].flatMap(([metric, a, b]) =>
        [
          ['2026-11-23 10:00:00', a],
          ['2026-11-23 10:00:15', b],
        ].map(([ts, value]) => ({
          ts,
          uuid: 'GPU-3b7e5d4c-1a2b-4c3d-8e9f-0a1b2c3d4e50',
          gpu_index: 0,
          node: 'node-a',
          gpu_type: 'H100',
          pod: 'vllm-70b-0',
          namespace: 'factory',
          metric,
          value,
        })),
      ),
    );
  });

  it('server_samples and server_histograms: vLLM counters and histograms by model, prefix stripped', async () => {
    const metrics = await rows<{ metric: string; server_kind: string; model: string; service: string }>(
      'SELECT DISTINCT metric, server_kind, model, service FROM server_samples ORDER BY metric',
    );
    expect(metrics.map((m) => m.metric)).toContain('prompt_tokens_total');
    expect(metrics.map((m) => m.metric)).toContain('generation_tokens_total');
    expect(new Set(metrics.map((m) => `${m.server_kind}|${m.service}`))).toEqual(new Set(['vllm|vllm-70b']));
    const hist = await rows<{ metric: string }>('SELECT DISTINCT metric FROM server_histograms ORDER BY metric');
    expect(hist.map((h) => h.metric)).toContain('time_to_first_token_seconds');
  });
});
