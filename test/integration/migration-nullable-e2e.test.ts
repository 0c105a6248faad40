/**
 * Migration 4 (core/schema/migrations.ts) on a store created before it: llm_requests.e2e_ms
 * becomes Nullable(Float64); a row the old view wrote from a span that ended at 0 (its
 * Duration wrapped: e2e_ms = (2^64 − start_ns) / 1e6) gets e2e_ms NULL and end_ts = ts;
 * other rows are untouched; the changed llm_requests view is re-created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { MIGRATIONS } from '../../core/schema/migrations.js';

let store: Store;

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store, { migrations: MIGRATIONS.filter((m) => m.version <= 3) });
  // the column as migration 2 created it before version 4 (ClickHouse wants a DEFAULT to make a column non-nullable)
  await store.client.command({ query: 'ALTER TABLE llm_requests MODIFY COLUMN e2e_ms Float64 DEFAULT 0' });
  // forget the views' record, so that the next migrate re-creates them as after an upgrade
  await store.client.command({ query: 'TRUNCATE TABLE tf_views' });
  const start = 1_795_431_630n; // 2026-11-23 11:00:30 UTC
  const wrappedMs = Number(2n ** 64n - start * 1_000_000_000n) / 1e6; // ≈ 1.6651e13 ms
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: [
      { ts: '2026-11-23 11:00:00', hour: '2026-11-23 11:00:00', end_ts: '2026-11-23 11:00:01', trace_id: 't1', span_id: 's1', input_tokens: 10, output_tokens: 20, e2e_ms: 1000 },
      { ts: '2026-11-23 11:00:30', hour: '2026-11-23 11:00:00', end_ts: '1970-01-01 00:00:00', trace_id: 't2', span_id: 's2', input_tokens: 100, output_tokens: 50, e2e_ms: wrappedMs },
    ],
  });
});
afterAll(() => store.close());

describe('migration 4: nullable e2e_ms', () => {
  it('makes the column Nullable, clears the wrapped durations, keeps the rest', async () => {
    const r = await migrate(store);
    expect(r.applied).toEqual([{ version: 4, name: MIGRATIONS.find((m) => m.version === 4)!.name }]);
    expect(r.views).toContain('llm_requests_mv');
    const [col] = await (await store.client.query({ query: "SELECT type FROM system.columns WHERE database = currentDatabase() AND table = 'llm_requests' AND name = 'e2e_ms'", format: 'JSONEachRow' })).json<{ type: string }>();
    expect(col!.type).toBe('Nullable(Float64)');
    const rows = await (
      await store.client.query({ query: 'SELECT span_id, input_tokens, output_tokens, e2e_ms, toString(end_ts) AS end_ts FROM llm_requests ORDER BY span_id', format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
    ).json();
    expect(rows).toEqual([
      { span_id: 's1', input_tokens: 10, output_tokens: 20, e2e_ms: 1000, end_ts: '2026-11-23 11:00:01.000000000' },
      { span_id: 's2', input_tokens: 100, output_tokens: 50, e2e_ms: null, end_ts: '2026-11-23 11:00:30.000000000' },
    ]);
    // once only
    expect((await migrate(store)).applied).toEqual([]);
  });
});
