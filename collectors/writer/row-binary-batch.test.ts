/**
 * `traces-rb` records staged with `stageSpanRowBinary` (RowBinary read by the engine from a
 * file) and committed by the staged load store exactly what the same rows loaded through
 * the JSONEachRow path store — every column of otel_traces, and the llm_requests row the
 * view makes — and a replayed batch commits each span once. Real embedded ClickHouse, one
 * store for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import type { SpanRow } from '../../core/schema/otel-rows.js';
import { spanRow } from '../../test/helpers/rows.js';
import { stageSpanRowBinary } from './row-binary-batch.js';
import { spanRowsToRowBinary } from './span-row-binary.js';
import { StagedLoad, zeroCounts } from './staged-load.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-row-binary-batch-'));
  store = await openStore({ kind: 'embedded', path: dir }, { command: 'test' });
  await migrate(store);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function select<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Every column of the spans of traces starting with `prefix`, by SpanId (Duration as text: the JSON output gives UInt64 as numbers). */
const storedSpans = (prefix: string) => select<Record<string, unknown>>('SELECT * REPLACE (toString(Duration) AS Duration) FROM otel_traces WHERE startsWith(TraceId, {p:String}) ORDER BY SpanId', { p: prefix });
const storedRequests = (prefix: string) =>
  select<Record<string, unknown>>(
    'SELECT trace_id, span_id, input_tokens, output_tokens, e2e_ms, tenant, model, is_error FROM llm_requests FINAL WHERE startsWith(trace_id, {p:String}) ORDER BY span_id',
    { p: prefix },
  );

const T = '17640000'; // 2025-11-24T16:00:00Z = 1764000000 s
const rows: SpanRow[] = [
  spanRow({
    TraceId: 'c1000000000000000000000000000001',
    SpanId: '00000000000000a1',
    Timestamp: `${T}00000000000`,
    Duration: '2500000000', // 2.5 s
    SpanAttributes: {
      'gen_ai.request.model': 'meta/llama-3.1-70b-instruct',
      'gen_ai.usage.input_tokens': '1234',
      'gen_ai.usage.output_tokens': '56',
      'tenant.id': 'acme',
      'prompt.lang': 'русский 🚀', // non-ASCII: 2- and 4-byte UTF-8
    },
    StatusCode: 'Error',
    StatusMessage: 'échec',
    'Events.Timestamp': [`${T}00250000000`, `${T}01000000000`],
    'Events.Name': ['gen_ai.first_token', 'done'],
    'Events.Attributes': [{ 'gen_ai.token.index': '0' }, {}],
    'Links.TraceId': ['c10000000000000000000000000000ff'],
    'Links.SpanId': ['00000000000000ff'],
    'Links.TraceState': ['k=v'],
    'Links.Attributes': [{ 'gen_ai.link.reason': 'retry', 'clé': 'ü' }],
  }),
  spanRow({ TraceId: 'c1000000000000000000000000000002', SpanId: '00000000000000a2', ParentSpanId: '00000000000000a1', Timestamp: `${T}05000000000`, Duration: '750000000' }),
  // end before start: Duration wrapped modulo 2^64 (2^64 − 1000), its end unknown to the view
  spanRow({ TraceId: 'c1000000000000000000000000000003', SpanId: '00000000000000a3', Timestamp: `${T}09000000000`, Duration: '18446744073709550616', ResourceAttributes: {} }),
];

describe('stageSpanRowBinary', () => {
  it('stores every column as the JSONEachRow path does, and the request with its exact tokens', async () => {
    // two records (a batch's records are one RowBinary stream once concatenated)
    const load = new StagedLoad(store);
    expect(await stageSpanRowBinary(store, load, [spanRowsToRowBinary(rows.slice(0, 2)), spanRowsToRowBinary(rows.slice(2))])).toBe(3);
    expect(await load.commit()).toEqual({ ...zeroCounts(), otel_traces: { staged: 3, written: 3 } });
    const viaRowBinary = await storedSpans('c1');
    const requestsViaRowBinary = await storedRequests('c1');

    expect(viaRowBinary).toHaveLength(3);
    expect(viaRowBinary[0]).toMatchObject({
      Timestamp: '2025-11-24 16:00:00.000000000',
      SpanAttributes: { 'prompt.lang': 'русский 🚀' },
      StatusMessage: 'échec',
      'Events.Timestamp': ['2025-11-24 16:00:00.250000000', '2025-11-24 16:00:01.000000000'],
      'Events.Name': ['gen_ai.first_token', 'done'],
      'Links.Attributes': [{ 'gen_ai.link.reason': 'retry', clé: 'ü' }],
    });
    expect(viaRowBinary[2]!.Duration).toBe('18446744073709550616');
    // llm_requests: tokens as sent; e2e_ms = Duration / 1e6: 2 500 000 000 ns = 2500 ms, 750 000 000 ns = 750 ms;
    // the wrapped Duration (past 2^63) is an unknown end: NULL. spanRow's default tokens are 100 in / 20 out.
    expect(requestsViaRowBinary).toEqual([
      { trace_id: 'c1000000000000000000000000000001', span_id: '00000000000000a1', input_tokens: 1234, output_tokens: 56, e2e_ms: 2500, tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', is_error: 1 },
      { trace_id: 'c1000000000000000000000000000002', span_id: '00000000000000a2', input_tokens: 100, output_tokens: 20, e2e_ms: 750, tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', is_error: 0 },
      { trace_id: 'c1000000000000000000000000000003', span_id: '00000000000000a3', input_tokens: 100, output_tokens: 20, e2e_ms: null, tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', is_error: 0 },
    ]);

    // the same rows through the JSONEachRow path, after emptying the tables
    await store.client.command({ query: 'TRUNCATE TABLE otel_traces' });
    await store.client.command({ query: 'TRUNCATE TABLE llm_requests' });
    expect(await storedSpans('c1')).toEqual([]);
    const json = new StagedLoad(store);
    await json.add({ otel_traces: rows });
    expect(await json.commit()).toEqual({ ...zeroCounts(), otel_traces: { staged: 3, written: 3 } });
    expect(await storedSpans('c1')).toEqual(viaRowBinary);
    expect(await storedRequests('c1')).toEqual(requestsViaRowBinary);
  });

  it('a replayed batch commits each span once', async () => {
    const replay = rows.map((r, k) => ({ ...r, TraceId: `c2${r.TraceId.slice(2)}`, SpanId: `00000000000000b${k}` }));
    const records = [spanRowsToRowBinary(replay)];
    const load = new StagedLoad(store);
    expect(await stageSpanRowBinary(store, load, records)).toBe(3);
    expect(await stageSpanRowBinary(store, load, records)).toBe(3);
    // staged 3 + 3 = 6; the 3 repeated identities are written once
    expect(await load.commit()).toEqual({ ...zeroCounts(), otel_traces: { staged: 6, written: 3 } });
    // and the batch again, in a later load: all 3 already stored
    const again = new StagedLoad(store);
    expect(await stageSpanRowBinary(store, again, records)).toBe(3);
    expect(await again.commit()).toEqual({ ...zeroCounts(), otel_traces: { staged: 3, written: 0 } });
    const [n] = await select<{ spans: number; distinct: number; requests: number }>(
      "SELECT (SELECT count() FROM otel_traces WHERE startsWith(TraceId, 'c2')) AS spans, (SELECT uniqExact(SpanId) FROM otel_traces WHERE startsWith(TraceId, 'c2')) AS distinct, (SELECT count() FROM llm_requests WHERE startsWith(trace_id, 'c2')) AS requests",
    );
    expect(n).toEqual({ spans: 3, distinct: 3, requests: 3 });
  });

  it("a record cut short fails the INSERT with the engine's error, and stages nothing", async () => {
    const whole = spanRowsToRowBinary(rows);
    const load = new StagedLoad(store);
    await expect(stageSpanRowBinary(store, load, [whole.subarray(0, whole.length - 5)])).rejects.toThrow();
    const stage = await load.stagingTable('otel_traces');
    expect(await select<{ n: number }>(`SELECT count() AS n FROM ${stage.name}`)).toEqual([{ n: 0 }]);
    await load.abort();
  });
});
