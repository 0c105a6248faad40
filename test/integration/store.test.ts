/**
 * The store, migrations and the staged (deduplicating) load on embedded ClickHouse.
 * One store per test file (chDB: one data path per process); tests use distinct data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { MIGRATIONS } from '../../core/schema/migrations.js';
import { StagedLoad, dropStaleStaging } from '../../collectors/writer/staged-load.js';
import { readStoreHolder } from '../../core/store/store-lock.js';
import { spanRow, gaugeRow } from '../helpers/rows.js';

let dir: string;
let store: Store;

async function rows<T>(sql: string): Promise<T[]> {
  return (await store.client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-store-'));
  store = await openStore({ kind: 'embedded', path: dir }, { command: 'test' });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('create the raw tables with the exporter column types, once', async () => {
    const first = await migrate(store);
    expect(first.applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const again = await migrate(store);
    expect(first.views).toHaveLength(7);
    expect(again).toEqual({ applied: [], current: MIGRATIONS.at(-1)!.version, views: [] });
    // a config change re-renders the views that depend on it
    const changed = await migrate(store, { views: { tenant_attribute: 'org.id', ttft_attribute: 'gen_ai.server.time_to_first_token' } });
    expect(changed.views).toEqual(['llm_requests_mv', 'trace_roots_mv']);
    expect((await migrate(store)).views).toEqual(['llm_requests_mv', 'trace_roots_mv']);
    const cols = await rows<{ table: string; name: string; type: string }>(
      "SELECT table, name, type FROM system.columns WHERE database = 'default' AND name IN ('Timestamp', 'TimeUnix', 'MetricName', 'Duration', 'SpanAttributes') ORDER BY table, name",
    );
    expect(cols).toEqual([
      { table: 'otel_metrics_exponential_histogram', name: 'MetricName', type: 'LowCardinality(String)' },
      { table: 'otel_metrics_exponential_histogram', name: 'TimeUnix', type: 'DateTime' },
      { table: 'otel_metrics_gauge', name: 'MetricName', type: 'LowCardinality(String)' },
      { table: 'otel_metrics_gauge', name: 'TimeUnix', type: 'DateTime' },
      { table: 'otel_metrics_histogram', name: 'MetricName', type: 'LowCardinality(String)' },
      { table: 'otel_metrics_histogram', name: 'TimeUnix', type: 'DateTime' },
      { table: 'otel_metrics_sum', name: 'MetricName', type: 'LowCardinality(String)' },
      { table: 'otel_metrics_sum', name: 'TimeUnix', type: 'DateTime' },
      { table: 'otel_metrics_summary', name: 'MetricName', type: 'LowCardinality(String)' },
      { table: 'otel_metrics_summary', name: 'TimeUnix', type: 'DateTime' },
      { table: 'otel_traces', name: 'Duration', type: 'UInt64' },
      { table: 'otel_traces', name: 'SpanAttributes', type: 'Map(LowCardinality(String), String)' },
      { table: 'otel_traces', name: 'Timestamp', type: 'DateTime64(9)' },
    ]);
  });
});

describe('staged load', () => {
  it('stores a span once, whether repeated in one payload or across loads', async () => {
    const a = spanRow({ TraceId: '11111111111111111111111111111111', SpanId: '1111111111111111' });
    const b = spanRow({ TraceId: '11111111111111111111111111111111', SpanId: '2222222222222222', Timestamp: '1764000001000000000' });
    const load = new StagedLoad(store);
    await load.add({ otel_traces: [a, b, a] });
    expect((await load.commit()).otel_traces).toEqual({ staged: 3, written: 2 });
    await load.add({ otel_traces: [b, spanRow({ TraceId: '11111111111111111111111111111111', SpanId: '3333333333333333' })] });
    expect((await load.commit()).otel_traces).toEqual({ staged: 2, written: 1 });
    await load.dispose();
    const got = await rows<{ SpanId: string; ts: string; Duration: number }>(
      "SELECT SpanId, toString(Timestamp) AS ts, Duration FROM otel_traces WHERE TraceId = '11111111111111111111111111111111' ORDER BY SpanId",
    );
    expect(got).toEqual([
      { SpanId: '1111111111111111', ts: '2025-11-24 16:00:00.000000000', Duration: 1500000000 },
      { SpanId: '2222222222222222', ts: '2025-11-24 16:00:01.000000000', Duration: 1500000000 },
      { SpanId: '3333333333333333', ts: '2025-11-24 16:00:00.000000000', Duration: 1500000000 },
    ]);
  });

  it('abort leaves the raw tables untouched', async () => {
    const load = new StagedLoad(store);
    await load.add({ otel_traces: [spanRow({ TraceId: '22222222222222222222222222222222' })] });
    await load.abort();
    expect(await load.commit()).toMatchObject({ otel_traces: { staged: 0, written: 0 } });
    await load.dispose();
    expect(await rows("SELECT count() AS n FROM otel_traces WHERE TraceId = '22222222222222222222222222222222'")).toEqual([{ n: 0 }]);
  });

  it('metric points: ns timestamps narrow to the DateTime column; a series at one second is stored once; inf and nan survive', async () => {
    const load = new StagedLoad(store);
    const p = gaugeRow({ Attributes: { gpu: '7' } });
    await load.add({ otel_metrics_gauge: [p, { ...p, Value: 301 }, gaugeRow({ Attributes: { gpu: '7' }, TimeUnix: '1764000015000000000', Value: Infinity }), gaugeRow({ Attributes: { gpu: '8' }, Value: NaN })] });
    expect((await load.commit()).otel_metrics_gauge).toEqual({ staged: 4, written: 3 });
    await load.add({ otel_metrics_gauge: [p] });
    expect((await load.commit()).otel_metrics_gauge).toEqual({ staged: 1, written: 0 });
    await load.dispose();
    expect(
      await rows("SELECT Attributes['gpu'] AS gpu, toString(TimeUnix) AS t, toString(Value) AS v FROM otel_metrics_gauge WHERE MetricName = 'DCGM_FI_DEV_POWER_USAGE' ORDER BY gpu, t"),
    ).toEqual([
      { gpu: '7', t: '2025-11-24 16:00:00', v: '300' },
      { gpu: '7', t: '2025-11-24 16:00:15', v: 'inf' },
      { gpu: '8', t: '2025-11-24 16:00:00', v: 'nan' },
    ]);
    expect(await rows("SELECT count() AS n FROM system.tables WHERE name LIKE 'tf_stage_%'")).toEqual([{ n: 0 }]);
  });
});

describe('holder record', () => {
  it('names this process as the holder while open', () => {
    expect(readStoreHolder(dir)).toMatchObject({ pid: process.pid, command: 'test', api_url: null });
    store.advertiseApi('http://127.0.0.1:18080');
    expect(readStoreHolder(dir)?.api_url).toBe('http://127.0.0.1:18080');
  });
});

describe('stale staging', () => {
  it('drops staging tables of other processes, keeps this one\'s', async () => {
    await store.client.command({ query: 'CREATE TABLE tf_stage_999999_1_otel_traces (x UInt8) ENGINE = MergeTree ORDER BY tuple()' });
    const mine = new StagedLoad(store);
    await mine.add({ otel_traces: [spanRow({ TraceId: '33333333333333333333333333333333' })] });
    expect(await dropStaleStaging(store)).toBe(1);
    expect((await mine.commit()).otel_traces).toEqual({ staged: 1, written: 1 });
    await mine.dispose();
    expect(await rows("SELECT count() AS n FROM system.tables WHERE name LIKE 'tf_stage_%'")).toEqual([{ n: 0 }]);
  });
});
