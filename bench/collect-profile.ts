/**
 * `node dist/bench/collect-profile.js`: where the collector writer's engine time goes.
 * Spools SDK-sized OTLP/protobuf trace requests (bench/genai-spans.ts), then for each
 * writer-sized group of batches (BENCH_GROUP_BATCHES, default 4) times, in the same run:
 *
 * - stage: `stageTracesBatch` (ClickHouse decodes the spooled protobuf into staging);
 * - keys: count() and uniqExact(TraceId, SpanId) of the staged rows;
 * - lookup: the dedup `NOT IN` over otel_traces alone (count of staged rows not stored);
 * - fresh: the whole `fresh` subquery of the commit (lookup + `LIMIT 1 BY`), counted;
 * - bare: INSERT of the staged rows (converted) into a copy of otel_traces without views;
 * - bare-noidx: the same into a copy without its skip indexes;
 * - +llm / +roots: the same into a copy with only the llm_requests view (and its
 *   dirty-hour mark view) / only the trace_roots view, each to copies of their targets;
 * - commit: `StagedLoad.commit()` into the real otel_traces (as the writer commits).
 *
 * Environment: BENCH_SPANS (default 160000), BENCH_GROUP_BATCHES (4). The table goes to stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../core/schema/migrate.js';
import { openStore, type Store } from '../core/store/open-store.js';
import { stageTracesBatch, STAGE_MEMORY_SETTINGS } from '../collectors/writer/engine-batch.js';
import { StagedLoad } from '../collectors/writer/staged-load.js';
import { Spool } from '../collectors/writer/spool.js';
import { encodeProtobuf, genAiTraceRequest } from './genai-spans.js';

const SPANS = Number(process.env.BENCH_SPANS ?? 160_000);
const PER_REQUEST = 512;
const GROUP = Number(process.env.BENCH_GROUP_BATCHES ?? 4);
const REQUESTS = Math.ceil(SPANS / PER_REQUEST);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function scalar(store: Store, query: string): Promise<Record<string, string | number>> {
  const rs = await store.client.query({ query, format: 'JSONEachRow' });
  return (await rs.json<Record<string, string | number>>())[0] ?? {};
}

async function viewDdl(store: Store, name: string): Promise<string> {
  const r = await scalar(store, `SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = '${name}'`);
  return String(r.q);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-collect-profile-'));
  const store = await openStore({ kind: 'embedded', path: join(dir, 'store') }, { command: 'bench' });
  try {
    await migrate(store);
    const db = store.database;
    const q = (s: string) => store.client.command({ query: s });
    // copies: without views, without skip indexes, with one view each
    await q('CREATE TABLE p_bare AS otel_traces');
    await q('CREATE TABLE p_noidx AS otel_traces');
    const idx = await store.client.query({ query: "SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'otel_traces'", format: 'JSONEachRow' });
    for (const { name } of await idx.json<{ name: string }>()) await q(`ALTER TABLE p_noidx DROP INDEX \`${name}\``);
    await q('CREATE TABLE p_llm AS otel_traces');
    await q('CREATE TABLE p_roots AS otel_traces');
    await q('CREATE TABLE p_llm_requests AS llm_requests');
    await q('CREATE TABLE p_trace_roots AS trace_roots');
    await q('CREATE TABLE p_dirty AS rollup_dirty_hours');
    const retarget = (ddl: string, pairs: [string, string][]) => pairs.reduce((s, [a, b]) => s.replaceAll(`${db}.${a} `, `${db}.${b} `).replaceAll(`${db}.${a}\n`, `${db}.${b}\n`), `${ddl}\n`);
    await q(retarget(await viewDdl(store, 'llm_requests_mv'), [['llm_requests_mv', 'p_llm_mv'], ['llm_requests', 'p_llm_requests'], ['otel_traces', 'p_llm']]));
    await q(retarget(await viewDdl(store, 'rollup_dirty_requests_mv'), [['rollup_dirty_requests_mv', 'p_dirty_mv'], ['rollup_dirty_hours', 'p_dirty'], ['llm_requests', 'p_llm_requests']]));
    await q(retarget(await viewDdl(store, 'trace_roots_mv'), [['trace_roots_mv', 'p_roots_mv'], ['trace_roots', 'p_trace_roots'], ['otel_traces', 'p_roots']]));
    // all views, as otel_traces has them, for the commit as it was (to compare in the same run)
    await q('CREATE TABLE p_full AS otel_traces');
    await q(retarget(await viewDdl(store, 'llm_requests_mv'), [['llm_requests_mv', 'p_full_llm_mv'], ['llm_requests', 'p_llm_requests'], ['otel_traces', 'p_full']]));
    await q(retarget(await viewDdl(store, 'trace_roots_mv'), [['trace_roots_mv', 'p_full_roots_mv'], ['trace_roots', 'p_trace_roots'], ['otel_traces', 'p_full']]));
    const deps = await store.client.query({ query: "SELECT name, dependencies_table FROM system.tables WHERE database = currentDatabase() AND name LIKE 'p\\_%'", format: 'JSONEachRow' });
    process.stderr.write(`copies: ${JSON.stringify(await deps.json())}\n`);

    const spool = Spool.open(join(dir, 'spool'), { maxBatchAgeMs: 600_000 });
    for (let k = 0; k < REQUESTS; k++) await spool.append('traces-pb', [Buffer.from(encodeProtobuf(genAiTraceRequest(k, PER_REQUEST, REQUESTS * PER_REQUEST)))], { traces: PER_REQUEST });
    await spool.sealAll();
    const paths = spool.sealed.map((b) => b.path);
    process.stderr.write(`${REQUESTS * PER_REQUEST} spans, ${paths.length} batches, groups of ${GROUP}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

    // stage variants: the same query into a Null table (decode + render only) and into a Memory table
    {
      const load = new StagedLoad(store);
      const stage = await load.stagingTable('otel_traces');
      await q(`CREATE TABLE p_stage_null AS ${stage.name} ENGINE = Null`);
      await q(`CREATE TABLE p_stage_mem AS ${stage.name} ENGINE = Memory`);
      await load.dispose();
    }
    const { traceRowsSelect, protobufReadSettings, settingsClause, sqlString, TRACE_REQUEST_STRUCTURE } = await import('../collectors/otlp-engine/trace-sql.js');
    const { traceRequestSchema } = await import('../collectors/otlp-engine/proto-schema.js');
    const stageInto = async (table: string, group: string[], extra: Record<string, string | number> = {}) => {
      const colsRs = await store.client.query({ query: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${table}' ORDER BY position`, format: 'JSONEachRow' });
      const names = (await colsRs.json<{ name: string }>()).map((c) => c.name);
      const sources = group.map((p) => `file(${sqlString(p)}, 'Protobuf', ${sqlString(TRACE_REQUEST_STRUCTURE)})`);
      const settings = { ...protobufReadSettings(traceRequestSchema()), ...(STAGE_MEMORY_SETTINGS as Record<string, string>), ...extra };
      return timed(() => q(`INSERT INTO ${table} (${names.map((n) => `\`${n}\``).join(', ')}) ${traceRowsSelect(sources, names)} ${settingsClause(settings)}`));
    };
    for (let g = 0; g * GROUP < paths.length; g++) {
      const group = paths.slice(g * GROUP, (g + 1) * GROUP);
      const sources = group.map((p) => `file(${sqlString(p)}, 'Protobuf', ${sqlString(TRACE_REQUEST_STRUCTURE)})`);
      const parse = await timed(() => scalar(store, `SELECT sum(length(arrayFlatten(resource_spans.scope_spans.spans.name))) FROM (${sources.map((s) => `SELECT resource_spans FROM ${s}`).join(' UNION ALL ')}) ${settingsClause(protobufReadSettings(traceRequestSchema()))}`));
      const tNull = await stageInto('p_stage_null', group);
      const tMem = await stageInto('p_stage_mem', group);
      await q('TRUNCATE TABLE p_stage_mem');
      const tNull1 = await stageInto('p_stage_null', group, { max_threads: 1 });
      process.stdout.write(`stage variants, group ${g}: parse only ${parse.toFixed(2)}  into Null ${tNull.toFixed(2)}  into Memory ${tMem.toFixed(2)}  Null max_threads=1 ${tNull1.toFixed(2)}\n`);
    }

    const header = ['group', 'rows', 'uniq', 'stage MT', 'stage Mem', 'keys', 'lookup', 'fresh', 'bare', 'bare-noidx', '+llm', '+roots', 'old commit', 'commit'];
    const out: string[][] = [header];
    for (let g = 0; g * GROUP < paths.length; g++) {
      const load = new StagedLoad(store);
      const group = paths.slice(g * GROUP, (g + 1) * GROUP);
      const row: string[] = [String(g)];
      const mt = new StagedLoad(store, { engine: 'MergeTree' });
      const tStageMt = await timed(() => stageTracesBatch(store, mt, group));
      await mt.dispose();
      const tStage = await timed(() => stageTracesBatch(store, load, group));
      const stage = await load.stagingTable('otel_traces');
      const read = stage.columns.map((c) => c.ident);
      // the staged rows as the raw table's types (as StagedLoad.freshRows reads them)
      const colsSql = await store.client.query({ query: `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position`, format: 'JSONEachRow' });
      const types = await colsSql.json<{ name: string; type: string }>();
      const conv = types
        .map((c) => {
          const id = `\`${c.name}\``;
          if (c.type === 'DateTime64(9)') return `fromUnixTimestamp64Nano(${id}) AS ${id}`;
          if (c.type === 'Array(DateTime64(9))') return `arrayMap(x -> fromUnixTimestamp64Nano(x), ${id}) AS ${id}`;
          return id;
        })
        .join(', ');
      const staged = `(SELECT ${conv} FROM ${stage.name})`;
      let keys: Record<string, string | number> = {};
      const tKeys = await timed(async () => (keys = await scalar(store, `SELECT count() AS n, uniqExact(TraceId, SpanId) AS u FROM ${stage.name}`)));
      row.push(String(keys.n), String(keys.u), tStageMt.toFixed(2), tStage.toFixed(2), tKeys.toFixed(2));
      const lookup = `SELECT TraceId, SpanId FROM otel_traces WHERE Timestamp >= toDateTime((SELECT min(Timestamp) FROM ${staged})) AND Timestamp <= (SELECT max(Timestamp) FROM ${staged}) AND TraceId IN (SELECT TraceId FROM ${staged})`;
      row.push((await timed(() => scalar(store, `SELECT count() FROM ${staged} WHERE (TraceId, SpanId) NOT IN (${lookup})`))).toFixed(2));
      row.push((await timed(() => scalar(store, `SELECT count() FROM (SELECT * FROM ${staged} WHERE (TraceId, SpanId) NOT IN (${lookup}) LIMIT 1 BY TraceId, SpanId)`))).toFixed(2));
      const cols = read.join(', ');
      const settings = STAGE_MEMORY_SETTINGS;
      for (const target of ['p_bare', 'p_noidx', 'p_llm', 'p_roots']) {
        row.push((await timed(() => store.client.command({ query: `INSERT INTO ${target} (${cols}) SELECT ${cols} FROM ${staged}`, clickhouse_settings: settings }))).toFixed(2));
      }
      // the commit as it was: the fresh rows counted, then inserted (the lookup and LIMIT 1 BY twice)
      const fresh = `SELECT ${cols} FROM ${staged} WHERE (TraceId, SpanId) NOT IN (${lookup.replaceAll('FROM otel_traces', 'FROM p_full')}) LIMIT 1 BY TraceId, SpanId`;
      row.push(
        (
          await timed(async () => {
            await scalar(store, `SELECT count() AS n FROM (${fresh})`);
            await store.client.command({ query: `INSERT INTO p_full (${cols}) ${fresh}`, clickhouse_settings: settings });
          })
        ).toFixed(2),
      );
      row.push((await timed(() => load.commit({ insertSettings: settings }))).toFixed(2));
      await load.dispose();
      out.push(row);
      process.stderr.write(`${row.join(' ')}\n`);
    }
    const widths = header.map((_, i) => Math.max(...out.map((r) => (r[i] ?? '').length)));
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; seconds per step\n`);
    for (const r of out) process.stdout.write(`${r.map((c, i) => c.padStart(widths[i]!)).join('  ')}\n`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
