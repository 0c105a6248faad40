/**
 * The writer on embedded ClickHouse, fed a spool directly: batches written together as
 * one engine query; a request the engine SQL does not render sends its group through the
 * JS decoder (nothing lost); an unreadable spool record is dropped and the rest of its
 * batch written; a batch the store refuses for good is set aside in failed/ after
 * `maxAttempts`, and the batches after it are still written.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../core/schema/migrate.js';
import { openStore, type Store } from '../../core/store/open-store.js';
import { createCollectorMetrics, type CollectorMetrics } from '../../collectors/observability/collector-metrics.js';
import { BatchWriter, type WriterEvent } from '../../collectors/writer/batch-writer.js';
import { decodeOtlp } from '../../collectors/otlp/decode-otlp.js';
import { encodeRowsRecord } from '../../collectors/writer/spool-record.js';
import { Spool } from '../../collectors/writer/spool.js';
import { encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';

let store: Store;
let root: string;
let spool: Spool;
let metrics: CollectorMetrics;
let events: WriterEvent[];

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  root = mkdtempSync(join(tmpdir(), 'tf-writer-test-'));
});
afterAll(async () => {
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(async () => {
  await store.client.command({ query: 'TRUNCATE TABLE otel_traces' });
  spool = Spool.open(mkdtempSync(join(root, 'spool-')), { maxBatchItems: 10, maxBatchAgeMs: 60_000 });
  metrics = createCollectorMetrics({ processMetrics: false });
  events = [];
});

async function count(): Promise<{ n: number; ids: number }> {
  const rs = await store.client.query({ query: 'SELECT count() AS n, uniqExact(TraceId, SpanId) AS ids FROM otel_traces', format: 'JSONEachRow' });
  return (await rs.json<{ n: number; ids: number }>())[0]!;
}

const pb = (i: number, spans: number) => Buffer.from(encodeProtobuf(genAiTraceRequest(i, spans, spans)));

describe('BatchWriter', () => {
  it('writes consecutive batches of a lane as one group through the engine', async () => {
    // 3 batches of 10 spans (maxBatchItems 10), sealed before the writer starts
    for (let i = 0; i < 3; i++) await spool.append('traces-pb', [pb(i, 10)], { traces: 10 });
    await spool.sealAll();
    expect(spool.sealed).toHaveLength(3);
    const writer = new BatchWriter(store, spool, metrics, { onEvent: (e) => events.push(e) });
    writer.start();
    await writer.flush();
    await writer.stop();
    expect(await count()).toEqual({ n: 30, ids: 30 });
    const written = events.filter((e) => e.kind === 'written');
    expect(written.map((e) => [e.batches.map((b) => b.seq), e.decoder, e.counts.otel_traces])).toEqual([[[1, 2, 3], 'engine', { staged: 30, written: 30 }]]);
  });

  it('decodes a group in JS when a request holds values the engine SQL does not render', async () => {
    // an array nested in an array: rendered by the JS decoder only (see collectors/otlp-engine/trace-sql.ts)
    const odd = genAiTraceRequest(20, 4, 4);
    odd.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.push({ key: 'nested', value: { arrayValue: { values: [{ arrayValue: { values: [{ stringValue: 'x' }] } }] } } } as never);
    await spool.append('traces-pb', [pb(21, 10)], { traces: 10 });
    await spool.append('traces-pb', [Buffer.from(encodeProtobuf(odd))], { traces: 4 });
    await spool.sealAll();
    const writer = new BatchWriter(store, spool, metrics, { onEvent: (e) => events.push(e) });
    writer.start();
    await writer.flush();
    await writer.stop();
    expect(await count()).toEqual({ n: 14, ids: 14 });
    expect(events.filter((e) => e.kind === 'written').map((e) => e.decoder)).toEqual(['js']);
    const rs = await store.client.query({ query: "SELECT SpanAttributes['nested'] AS v FROM otel_traces WHERE mapContains(SpanAttributes, 'nested')", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ v: '[["x"]]' }]);
  });

  it('drops an unreadable record and writes the rest of its batch', async () => {
    await spool.append('rows', [Buffer.from('not a rows record')], { traces: 1 });
    const spans = decodeOtlp(pb(30, 3), { format: 'protobuf', signal: 'traces' }).otel_traces;
    const record = encodeRowsRecord('traces', { otel_traces: spans });
    await spool.append('rows', record.parts, { traces: 3 });
    await spool.sealAll();
    const writer = new BatchWriter(store, spool, metrics, { onEvent: (e) => events.push(e) });
    writer.start();
    await writer.flush();
    await writer.stop();
    expect(await count()).toEqual({ n: 3, ids: 3 });
    expect(events.filter((e) => e.kind === 'corrupt-record').map((e) => (e as { record: number }).record)).toEqual([0]);
    expect(await metrics.registry.metrics()).toContain('token_factory_collector_dropped_items_total{signal="unknown",reason="corrupt"} 1');
  });

  it('sets a batch the store refuses for good aside in failed/ after maxAttempts, and goes on', async () => {
    // a span whose Duration is not a number: ClickHouse refuses the staging insert (a parse error, not retryable)
    const [span] = decodeOtlp(pb(40, 1), { format: 'protobuf', signal: 'traces' }).otel_traces;
    const bad = encodeRowsRecord('traces', { otel_traces: [{ ...span!, Duration: 'forty' }] });
    await spool.append('rows', bad.parts, { traces: 1 });
    await spool.sealAll();
    await spool.append('traces-pb', [pb(41, 5)], { traces: 5 });
    await spool.sealAll();
    const writer = new BatchWriter(store, spool, metrics, { maxAttempts: 3, minBackoffMs: 10, maxBackoffMs: 20, onEvent: (e) => events.push(e) });
    writer.start();
    await writer.flush();
    await writer.stop();
    expect(await count()).toEqual({ n: 5, ids: 5 });
    expect(events.filter((e) => e.kind === 'retry')).toHaveLength(2);
    const quarantined = events.filter((e) => e.kind === 'quarantined');
    expect(quarantined.map((e) => (e as { batch: { seq: number } }).batch.seq)).toEqual([1]);
    expect(readdirSync(join(spool.dir, 'failed'))).toEqual(['000000000001.rows.seg']);
    expect(existsSync(join(spool.dir, '000000000001.rows.seg'))).toBe(false);
    expect(await metrics.registry.metrics()).toContain('token_factory_collector_dropped_items_total{signal="traces",reason="refused_by_store"} 1');
  });
});
