/**
 * Spans whose end is 0 (unfinished) or before their start (core/schema/views.ts,
 * migrations.ts v4): the raw row keeps the Duration the clickhouseexporter writes (end −
 * start modulo 2^64, a huge number); the llm_requests fact keeps the request's tokens
 * with e2e_ms (hence tpot_ms) NULL and end_ts = its start, so latency quantiles are those
 * of the other requests. Ingested through `token-factory ingest`'s path (OTLP/JSON file →
 * decoder → otel_traces → materialized view).
 *
 * Spans, all tenant acme, TTFT 0.1 s (T = 2026-11-23 11:00:00 UTC):
 *   model m-a: s1 T+0 → T+1 s (1 000 ms, 10 in / 20 out), s2 T+10 → T+13 (3 000 ms),
 *              s3 T+20 → T+22 (2 000 ms), s4 T+30 → end 0 (100 / 50),
 *              s5 T+40 → T+39, ends 1 s before it starts (7 / 3);
 *   model m-b: s6 T+50 → end 0 (5 / 5), its only request.
 * m-a: requests 5, input 10+10+10+100+7 = 137, output 20+20+20+50+3 = 113.
 * e2e of s1–s3 sorted [1000, 2000, 3000]: quantileExact takes the element at ⌊q·n⌋:
 *   p50 → index 1 → 2000, p99 → index 2 → 3000. (With s4/s5 counted: [1000, 2000, 3000,
 *   huge, huge], p50 would be 3000 and p99 ~1.8e13.)
 * tpot = (e2e − ttft) / (output − 1): (1000−100)/19 = 47.37, (3000−100)/19 = 152.63,
 *   (2000−100)/19 = 100 → sorted, p50 at index 1 = 100.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { ingestFiles } from '../../collectors/ingest/ingest-files.js';
import { unitEconomics } from '../../pipelines/kpi/unit-economics.js';
import { settleRollups, unitEconomicsAuto, planRollupRead } from '../../pipelines/rollups/index.js';

const T = 1_795_431_600n; // 2026-11-23 11:00:00 UTC, in s
const ns = (s: bigint) => (s * 1_000_000_000n).toString();
let dir: string;
let store: Store;
let config: Config;

function span(id: number, model: string, startS: bigint, endNs: string, input: number, output: number) {
  const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
  return {
    traceId: `5b8efff798038103d269b633813fc6${id.toString().padStart(2, '0')}`,
    spanId: `eee19b7ec3c1b1${id.toString().padStart(2, '0')}`,
    name: `chat ${model}`,
    kind: 3,
    startTimeUnixNano: ns(startS),
    endTimeUnixNano: endNs,
    attributes: [
      str('tenant.id', 'acme'),
      str('gen_ai.request.model', model),
      str('gen_ai.operation.name', 'chat'),
      { key: 'gen_ai.usage.input_tokens', value: { intValue: String(input) } },
      { key: 'gen_ai.usage.output_tokens', value: { intValue: String(output) } },
      { key: 'gen_ai.server.time_to_first_token', value: { doubleValue: 0.1 } },
    ],
    status: { code: 1 },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-unfinished-'));
  config = configSchema.parse({});
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  const payload = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'ai-gateway' } }] },
      scopeSpans: [{
        scope: { name: 'test' },
        spans: [
          span(1, 'm-a', T, ns(T + 1n), 10, 20),
          span(2, 'm-a', T + 10n, ns(T + 13n), 10, 20),
          span(3, 'm-a', T + 20n, ns(T + 22n), 10, 20),
          span(4, 'm-a', T + 30n, '0', 100, 50),
          span(5, 'm-a', T + 40n, ns(T + 39n), 7, 3),
          span(6, 'm-b', T + 50n, '0', 5, 5),
        ],
      }],
    }],
  };
  const file = join(dir, 'spans.json');
  writeFileSync(file, JSON.stringify(payload));
  await ingestFiles(store, [file]);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows<R>(query: string): Promise<R[]> {
  return (await store.client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } })).json<R>();
}

describe('spans that end at 0 or before they start', () => {
  it('raw rows keep the exporter Duration; the fact keeps tokens, e2e_ms NULL, end_ts = start', async () => {
    const raw = await rows<{ SpanId: string; Duration: string }>("SELECT SpanId, toString(Duration) AS Duration FROM otel_traces WHERE SpanId IN ('eee19b7ec3c1b104', 'eee19b7ec3c1b105') ORDER BY SpanId");
    expect(raw).toEqual([
      { SpanId: 'eee19b7ec3c1b104', Duration: (2n ** 64n - (T + 30n) * 1_000_000_000n).toString() }, // 0 − start, mod 2^64
      { SpanId: 'eee19b7ec3c1b105', Duration: (2n ** 64n - 1_000_000_000n).toString() }, // 1 s before its start
    ]);
    const facts = await rows<Record<string, unknown>>(
      'SELECT span_id, input_tokens, output_tokens, e2e_ms, toString(end_ts) AS end_ts FROM llm_requests FINAL ORDER BY span_id',
    );
    expect(facts).toEqual([
      { span_id: 'eee19b7ec3c1b101', input_tokens: '10', output_tokens: '20', e2e_ms: 1000, end_ts: '2026-11-23 11:00:01.000000000' },
      { span_id: 'eee19b7ec3c1b102', input_tokens: '10', output_tokens: '20', e2e_ms: 3000, end_ts: '2026-11-23 11:00:13.000000000' },
      { span_id: 'eee19b7ec3c1b103', input_tokens: '10', output_tokens: '20', e2e_ms: 2000, end_ts: '2026-11-23 11:00:22.000000000' },
      { span_id: 'eee19b7ec3c1b104', input_tokens: '100', output_tokens: '50', e2e_ms: null, end_ts: '2026-11-23 11:00:30.000000000' },
      { span_id: 'eee19b7ec3c1b105', input_tokens: '7', output_tokens: '3', e2e_ms: null, end_ts: '2026-11-23 11:00:40.000000000' },
      { span_id: 'eee19b7ec3c1b106', input_tokens: '5', output_tokens: '5', e2e_ms: null, end_ts: '2026-11-23 11:00:50.000000000' },
    ]);
  });

  it('unit economics: the requests and tokens count, the latency quantiles are those of the finished spans', async () => {
    const r = await unitEconomics(store, config, { by: ['model'] });
    expect(r.rows.map((x) => [x.model, x.requests, x.input_tokens, x.output_tokens, x.e2e_ms_p50, x.e2e_ms_p99, x.tpot_ms_p50])).toEqual([
      ['m-a', 5, 137, 113, 2000, 3000, 100],
      // requests but no finished span: no latency, null (never 0)
      ['m-b', 1, 5, 5, null, null, null],
    ]);
  });

  it('rollups: the same p50 within the histogram error (0.99 %), unfinished spans left out', async () => {
    await settleRollups(store, config, { marginS: 0 });
    expect((await planRollupRead(store, config, {})).source).toBe('rollups');
    const r = await unitEconomicsAuto(store, config, { by: ['model'] });
    const a = r.rows.find((x) => x.model === 'm-a')!;
    expect([a.requests, a.input_tokens, a.output_tokens]).toEqual([5, 137, 113]);
    expect(Math.abs(Number(a.e2e_ms_p50) - 2000) / 2000).toBeLessThan(0.0099);
    expect(Math.abs(Number(a.e2e_ms_p99) - 3000) / 3000).toBeLessThan(0.0099);
    // m-b: a request but no finished span — no e2e or tpot quantile, null as from the facts (not 0)
    const b = r.rows.find((x) => x.model === 'm-b')!;
    expect([b.requests, b.e2e_ms_p50, b.e2e_ms_p99, b.tpot_ms_p50]).toEqual([1, null, null, null]);
  });
});
