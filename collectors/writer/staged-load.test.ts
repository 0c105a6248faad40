/**
 * The staged load's commit on embedded ClickHouse: it looks the staged identities up once
 * and inserts the plain rows when they are all new and distinct (the usual case), and
 * drops stored / repeated identities otherwise — with exact counts per table and per
 * source either way. One store per test file; each test uses its own trace ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import type { SpanRow } from '../../core/schema/otel-rows.js';
import { spanRow } from '../../test/helpers/rows.js';
import { toJsonEachRow } from './json-rows.js';
import { StagedLoad, STAGE_SOURCE_COLUMN } from './staged-load.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-staged-load-'));
  store = await openStore({ kind: 'embedded', path: dir }, { command: 'test' });
  await migrate(store);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function stored(traceId: string): Promise<{ spans: number; distinct: number; requests: number }> {
  const rs = await store.client.query({
    query: `SELECT
      (SELECT count() FROM otel_traces WHERE TraceId = {t:String}) AS spans,
      (SELECT uniqExact(SpanId) FROM otel_traces WHERE TraceId = {t:String}) AS distinct,
      (SELECT count() FROM llm_requests WHERE trace_id = {t:String}) AS requests`,
    query_params: { t: traceId },
    format: 'JSONEachRow',
  });
  const r = (await rs.json<{ spans: number | string; distinct: number | string; requests: number | string }>())[0]!;
  return { spans: Number(r.spans), distinct: Number(r.distinct), requests: Number(r.requests) };
}

/** Stages `rows` as payload `source` of the load (as the engine tags them). */
async function stageAs(load: StagedLoad, source: number, rows: SpanRow[]): Promise<void> {
  const stage = await load.stagingTable('otel_traces');
  if (rows.length === 0) return; // an empty payload stages nothing
  const body = toJsonEachRow(rows.map((r) => ({ ...r, [STAGE_SOURCE_COLUMN]: source })));
  const result = await store.client.exec({ query: `INSERT INTO ${stage.name} FORMAT JSONEachRow\n${body}` });
  for await (const _ of result.stream) {
    // drain
  }
  load.noteStaged('otel_traces', rows.length);
}

const span = (traceId: string, n: number): SpanRow => spanRow({ TraceId: traceId, SpanId: String(n).repeat(16), Timestamp: `${1764000000 + n}000000000` });

describe('commit', () => {
  it('writes new distinct rows as they are, then nothing when the same rows come again', async () => {
    const t = 'a1000000000000000000000000000001';
    const load = new StagedLoad(store);
    await load.add({ otel_traces: [span(t, 1), span(t, 2), span(t, 3)] });
    // 3 staged, 3 distinct identities, none stored: all 3 written
    expect((await load.commit()).otel_traces).toEqual({ staged: 3, written: 3 });
    // a replay of the same batch: 3 staged, all 3 stored already: 0 written
    await load.add({ otel_traces: [span(t, 1), span(t, 2), span(t, 3)] });
    expect((await load.commit()).otel_traces).toEqual({ staged: 3, written: 0 });
    await load.dispose();
    // the views saw each span once: spanRow carries token usage, so every span is a request
    expect(await stored(t)).toEqual({ spans: 3, distinct: 3, requests: 3 });
  });

  it('drops identities already stored and repeated within the load, in one commit', async () => {
    const t = 'a2000000000000000000000000000002';
    const load = new StagedLoad(store);
    await load.add({ otel_traces: [span(t, 1)] });
    expect((await load.commit()).otel_traces).toEqual({ staged: 1, written: 1 });
    // staged: 1 (stored), 2, 2 (repeated), 3 → 4 rows, 3 identities, 1 of them stored: 2 written
    await load.add({ otel_traces: [span(t, 1), span(t, 2), span(t, 2), span(t, 3)] });
    expect((await load.commit()).otel_traces).toEqual({ staged: 4, written: 2 });
    await load.dispose();
    expect(await stored(t)).toEqual({ spans: 3, distinct: 3, requests: 3 });
  });
});

describe('commitBySource', () => {
  it('credits each source with what it staged when every row is new and distinct', async () => {
    const t = 'b1000000000000000000000000000001';
    const load = new StagedLoad(store);
    await stageAs(load, 0, [span(t, 1), span(t, 2)]);
    await stageAs(load, 1, [span(t, 3)]);
    await stageAs(load, 2, []);
    const by = await load.commitBySource();
    expect([...by.entries()].map(([s, c]) => [s, c.otel_traces]).sort()).toEqual([
      [0, { staged: 2, written: 2 }],
      [1, { staged: 1, written: 1 }],
    ]);
    await load.dispose();
    expect(await stored(t)).toEqual({ spans: 3, distinct: 3, requests: 3 });
  });

  it('counts a stored span as written by no source, and a span staged by two sources once', async () => {
    const t = 'b2000000000000000000000000000002';
    const first = new StagedLoad(store);
    await first.add({ otel_traces: [span(t, 1)] });
    await first.commit();
    await first.dispose();
    const load = new StagedLoad(store);
    // source 0: 1 (stored), 2; source 1: 2 (also in source 0), 3
    await stageAs(load, 0, [span(t, 1), span(t, 2)]);
    await stageAs(load, 1, [span(t, 2), span(t, 3)]);
    const by = await load.commitBySource();
    const c0 = by.get(0)!.otel_traces;
    const c1 = by.get(1)!.otel_traces;
    expect([c0.staged, c1.staged]).toEqual([2, 2]);
    // 2 is credited to one of its sources: 3 identities − 1 stored = 2 written in all
    expect(c0.written + c1.written).toBe(2);
    expect(c1.written).toBeGreaterThanOrEqual(1); // 3 is only in source 1
    await load.dispose();
    expect(await stored(t)).toEqual({ spans: 3, distinct: 3, requests: 3 });
  });
});
