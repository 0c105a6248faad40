/**
 * A staged load: decoded rows go to per-load staging tables first; only when the
 * whole payload (a file) has decoded do they move into the raw tables, in one
 * `INSERT … SELECT` per table that drops rows already stored. So a malformed file
 * writes nothing, and the same span (trace id, span id) or the same metric point
 * (series, second) delivered twice — in one payload or across runs — is stored once.
 * A load interrupted between tables is completed by running it again: what was
 * already moved is recognised as a duplicate.
 *
 * A commit first looks at the staged rows once (`plan`: rows, distinct identities, and
 * identities the raw table already holds — one lookup of the stored identities, bounded
 * by the staged time range). The usual case — all new, each once — is a plain
 * `INSERT … SELECT` of the staged rows; only when there are duplicates does the INSERT
 * carry the `NOT IN` lookup and/or `LIMIT 1 BY`. Commits of one store must not run
 * concurrently (the writer and the file ingest commit one load at a time): between the
 * plan and the INSERT nothing else may store the same identities.
 *
 * Staging tables hold time columns as Int64 unix nanoseconds, exactly as decoders
 * hand them over; the final INSERT converts to the raw table's DateTime64(9) or
 * DateTime (seconds, the metrics tables' resolution). They have one column more than
 * their raw table, {@link STAGE_SOURCE_COLUMN}: which payload a row came from, for
 * loaders that stage several payloads in one engine-side INSERT and commit them at once
 * (`commitBySource`); rows staged with `add()` have source 0.
 */
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Store } from '../../core/store/open-store.js';
import { RAW_TABLES, type RawRows, type RawTable } from '../../core/schema/otel-rows.js';
import { qualified, columnIdent } from '../../core/schema/ddl.js';
import { ddlTarget } from '../../core/schema/migrate.js';
import { toJsonEachRow } from './json-rows.js';

/** Identity of a row within its raw table: what makes two deliveries "the same". */
interface DedupRule {
  /** SQL expressions over the table's columns */
  key: string;
  /** time column, to bound the lookup in the target to the staged time range */
  time: string;
  /** a cheap column to narrow the lookup (trace id, metric name) */
  narrow: string;
}

const SPAN_IDENTITY: DedupRule = { key: 'TraceId, SpanId', time: 'Timestamp', narrow: 'TraceId' };
/** A metric point: one series (service, name, attributes, resource) at one second (the raw tables' resolution). */
const POINT_IDENTITY: DedupRule = {
  key: 'ServiceName, MetricName, cityHash64(Attributes), cityHash64(ResourceAttributes), toDateTime(TimeUnix)',
  time: 'TimeUnix',
  narrow: 'MetricName',
};

const DEDUP: Record<RawTable, DedupRule> = {
  otel_traces: SPAN_IDENTITY,
  otel_metrics_gauge: POINT_IDENTITY,
  otel_metrics_sum: POINT_IDENTITY,
  otel_metrics_histogram: POINT_IDENTITY,
  otel_metrics_exponential_histogram: POINT_IDENTITY,
  otel_metrics_summary: POINT_IDENTITY,
};

export interface TableCounts {
  /** rows decoded and staged */
  staged: number;
  /** rows new to the raw table (staged minus duplicates) */
  written: number;
}
export type LoadCounts = Record<RawTable, TableCounts>;

export function zeroCounts(): LoadCounts {
  return Object.fromEntries(RAW_TABLES.map((t) => [t, { staged: 0, written: 0 }])) as LoadCounts;
}

let loadSeq = 0;

/** The staging column saying which payload (0, 1, …) of a multi-payload load a row came from. */
export const STAGE_SOURCE_COLUMN = '_source';

export interface StagedLoadOptions {
  /** rows per INSERT into staging (10 k beat 100 k in FINDINGS.md's measurements) */
  batchRows?: number;
  /**
   * Engine of the staging tables. `Memory` (default): rows staged and read back once are
   * not compressed, sorted nor written to disk (measured by bench/collect-profile.ts); they
   * are lost with the process, as nothing staged is acknowledged or committed yet.
   * `MergeTree`: staged rows on disk, for loads larger than memory should hold.
   */
  engine?: 'Memory' | 'MergeTree';
}

export interface CommitOptions {
  /**
   * `insert_deduplication_token` of each raw-table INSERT (suffixed `:<table>`): the same
   * batch committed again (a retry after a lost response) is dropped by ClickHouse's
   * insert deduplication where that applies — Replicated tables, or MergeTree with
   * `non_replicated_deduplication_window` — on top of the identity check, which always applies.
   */
  deduplicationToken?: string;
  /** further settings of each raw-table INSERT (e.g. bounds on its memory) */
  insertSettings?: ClickHouseSettings;
}

export class StagedLoad {
  private readonly prefix: string;
  private readonly created = new Map<RawTable, StageColumn[]>();
  private staged = new Map<RawTable, number>();
  private readonly batchRows: number;
  private readonly engine: string;

  constructor(
    private readonly store: Store,
    opts: StagedLoadOptions = {},
  ) {
    this.prefix = `tf_stage_${process.pid}_${++loadSeq}`;
    this.batchRows = opts.batchRows ?? 10_000;
    this.engine = opts.engine === 'MergeTree' ? 'MergeTree ORDER BY tuple()' : 'Memory';
  }

  private stageName(table: RawTable): string {
    return `${this.prefix}_${table}`;
  }

  /** Creates the staging table of `table` on first use; returns how to read it back. */
  private async ensureStage(table: RawTable): Promise<StageColumn[]> {
    const known = this.created.get(table);
    if (known) return known;
    const t = ddlTarget(this.store);
    const rs = await this.store.client.query({
      query: 'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {table:String} ORDER BY position',
      query_params: { db: t.database, table },
      format: 'JSONEachRow',
    });
    const cols = (await rs.json<{ name: string; type: string }>()).map(stageColumn);
    if (cols.length === 0) throw new Error(`raw table ${table} does not exist: run token-factory migrate`);
    await this.store.client.command({
      query: `CREATE TABLE IF NOT EXISTS ${qualified(t, this.stageName(table))} (${cols.map((c) => `${c.ident} ${c.stageType}`).join(', ')}, ${columnIdent(STAGE_SOURCE_COLUMN)} UInt32 DEFAULT 0) ENGINE = ${this.engine}`,
    });
    this.created.set(table, cols);
    return cols;
  }

  /**
   * For loaders that fill staging inside the engine (`INSERT INTO <stage> SELECT …`):
   * the qualified staging table of `table` and its columns as staged (times as Int64
   * unix ns; without {@link STAGE_SOURCE_COLUMN}). Call `noteStaged` with the rows added.
   */
  async stagingTable(table: RawTable): Promise<{ name: string; columns: readonly { ident: string; stageType: string }[] }> {
    const columns = await this.ensureStage(table);
    return { name: qualified(ddlTarget(this.store), this.stageName(table)), columns };
  }

  noteStaged(table: RawTable, rows: number): void {
    this.staged.set(table, (this.staged.get(table) ?? 0) + rows);
  }

  /** Stages decoded rows (in batches). Nothing reaches the raw tables until commit(). */
  async add(rows: Partial<RawRows>): Promise<void> {
    for (const table of RAW_TABLES) {
      const list = rows[table] as object[] | undefined;
      if (!list || list.length === 0) continue;
      await this.ensureStage(table);
      const target = qualified(ddlTarget(this.store), this.stageName(table));
      for (let i = 0; i < list.length; i += this.batchRows) {
        const body = toJsonEachRow(list.slice(i, i + this.batchRows));
        await this.store.client.exec({ query: `INSERT INTO ${target} FORMAT JSONEachRow\n${body}` }).then(drain);
      }
      this.staged.set(table, (this.staged.get(table) ?? 0) + list.length);
    }
  }

  /** Moves staged rows that are new into the raw tables; returns counts per table. */
  async commit(options: CommitOptions = {}): Promise<LoadCounts> {
    const counts = zeroCounts();
    const t = ddlTarget(this.store);
    for (const [table, columns] of this.created) {
      const stage = qualified(t, this.stageName(table));
      const target = qualified(t, table);
      const colList = columns.map((c) => c.ident).join(', ');
      const plan = await this.plan(table, columns);
      const written = plan.unique - plan.stored;
      if (written > 0) {
        await this.store.client.command({
          query: `INSERT INTO ${target} (${colList}) ${this.freshRows(table, columns, '', plan)}`,
          clickhouse_settings: {
            ...options.insertSettings,
            ...(options.deduplicationToken !== undefined ? { insert_deduplication_token: `${options.deduplicationToken}:${table}` } : {}),
          },
        });
      }
      counts[table] = { staged: this.staged.get(table) ?? 0, written };
      await this.store.client.command({ query: `TRUNCATE TABLE ${stage}` });
    }
    this.staged = new Map();
    return counts;
  }

  /**
   * `commit()` for a load that staged several payloads (rows tagged with
   * {@link STAGE_SOURCE_COLUMN}): counts per source. A row staged twice within the load
   * is written once and credited to one of its sources.
   */
  async commitBySource(): Promise<Map<number, LoadCounts>> {
    const bySource = new Map<number, LoadCounts>();
    const of = (source: number): LoadCounts => bySource.get(source) ?? bySource.set(source, zeroCounts()).get(source)!;
    const t = ddlTarget(this.store);
    const source = columnIdent(STAGE_SOURCE_COLUMN);
    const perSource = async (query: string): Promise<[number, number][]> => {
      const rs = await this.store.client.query({ query, format: 'JSONEachRow' });
      return (await rs.json<{ s: number | string; n: number | string }>()).map((r) => [Number(r.s), Number(r.n)]);
    };
    for (const [table, columns] of this.created) {
      const stage = qualified(t, this.stageName(table));
      const colList = columns.map((c) => c.ident).join(', ');
      const staged = await perSource(`SELECT ${source} AS s, count() AS n FROM ${stage} GROUP BY s`);
      for (const [s, n] of staged) of(s)[table].staged = n;
      const plan = await this.plan(table, columns);
      if (plan.stored === 0 && plan.unique === plan.rows) {
        // the usual case: every staged row is new and once in the load, so each source wrote what it staged
        for (const [s, n] of staged) of(s)[table].written = n;
        if (plan.rows > 0) await this.store.client.command({ query: `INSERT INTO ${qualified(t, table)} (${colList}) ${this.freshRows(table, columns, '', plan)}` });
      } else {
        // duplicates: which source a written row is credited to is decided by the row kept
        const fresh = this.freshRows(table, columns, `, ${source}`, plan);
        const written = await perSource(`SELECT ${source} AS s, count() AS n FROM (${fresh}) GROUP BY s`);
        for (const [s, n] of written) of(s)[table].written = n;
        if (written.some(([, n]) => n > 0)) {
          await this.store.client.command({ query: `INSERT INTO ${qualified(t, table)} (${colList}) SELECT ${colList} FROM (${fresh})` });
        }
      }
      await this.store.client.command({ query: `TRUNCATE TABLE ${stage}` });
    }
    this.staged = new Map();
    return bySource;
  }

  /**
   * What the staged rows of `table` are, in one pass: how many, how many distinct
   * identities, and how many of those the raw table already holds (the lookup of the
   * stored identities runs once; normally it finds none).
   */
  private async plan(table: RawTable, columns: readonly StageColumn[]): Promise<CommitPlan> {
    const rule = DEDUP[table];
    const rs = await this.store.client.query({
      query: `SELECT count() AS rows, uniqExact(${rule.key}) AS u, uniqExactIf(${rule.key}, (${rule.key}) ${this.globalIn()}IN (${this.storedKeys(table, columns)})) AS d FROM ${this.stagedRows(table, columns, '')}`,
      format: 'JSONEachRow',
    });
    const r = (await rs.json<{ rows: number | string; u: number | string; d: number | string }>())[0];
    return { rows: Number(r?.rows ?? 0), unique: Number(r?.u ?? 0), stored: Number(r?.d ?? 0) };
  }

  private globalIn(): string {
    return ddlTarget(this.store).cluster ? 'GLOBAL ' : '';
  }

  /** The staged rows of `table` read as the raw table's types, plus `extra`. */
  private stagedRows(table: RawTable, columns: readonly StageColumn[], extra: string): string {
    return `(SELECT ${columns.map((c) => `${c.read} AS ${c.ident}`).join(', ')}${extra} FROM ${qualified(ddlTarget(this.store), this.stageName(table))})`;
  }

  /** The identities stored in `table` that staged rows may share (bounded by the staged time range and narrowing column). */
  private storedKeys(table: RawTable, columns: readonly StageColumn[]): string {
    const rule = DEDUP[table];
    const staged = this.stagedRows(table, columns, '');
    return `
          SELECT ${rule.key} FROM ${qualified(ddlTarget(this.store), table)}
          WHERE ${rule.time} >= toDateTime((SELECT min(${rule.time}) FROM ${staged}))
            AND ${rule.time} <= (SELECT max(${rule.time}) FROM ${staged})
            AND ${rule.narrow} ${this.globalIn()}IN (SELECT ${rule.narrow} FROM ${staged})`;
  }

  /**
   * The staged rows of `table` that are new to it (one per identity), with the columns of
   * the raw table plus `extra`. What `plan` found decides what the query must do: the
   * lookup in the raw table only when it holds some staged identity, `LIMIT 1 BY` only
   * when an identity is staged more than once.
   */
  private freshRows(table: RawTable, columns: readonly StageColumn[], extra: string, plan: CommitPlan): string {
    const rule = DEDUP[table];
    const notStored = plan.stored > 0 ? `\n        WHERE (${rule.key}) ${this.globalIn()}NOT IN (${this.storedKeys(table, columns)})` : '';
    const once = plan.unique < plan.rows ? `\n        LIMIT 1 BY ${rule.key}` : '';
    return `
        SELECT ${columns.map((c) => c.ident).join(', ')}${extra} FROM ${this.stagedRows(table, columns, extra)}${notStored}${once}`;
  }

  /** Forgets what was staged (a payload that failed to decode). */
  async abort(): Promise<void> {
    const t = ddlTarget(this.store);
    for (const table of this.created.keys()) {
      await this.store.client.command({ query: `TRUNCATE TABLE ${qualified(t, this.stageName(table))}` });
    }
    this.staged = new Map();
  }

  /** Drops the staging tables. */
  async dispose(): Promise<void> {
    const t = ddlTarget(this.store);
    for (const table of this.created.keys()) {
      await this.store.client.command({ query: `DROP TABLE IF EXISTS ${qualified(t, this.stageName(table))}` });
    }
    this.created.clear();
  }
}

/** What the staged rows of a table are (see `StagedLoad.plan`). */
interface CommitPlan {
  rows: number;
  /** distinct identities among them */
  unique: number;
  /** distinct identities among them the raw table already holds */
  stored: number;
}

/**
 * A raw-table column as staged: time columns are staged as Int64 unix nanoseconds
 * (what decoders produce, exact) and converted to the raw table's type on the way out.
 */
interface StageColumn {
  ident: string;
  stageType: string;
  /** SQL reading the staged column as the raw table's type */
  read: string;
}

const NS_TO: Record<string, (x: string) => string> = {
  'DateTime64(9)': (x) => `fromUnixTimestamp64Nano(${x})`,
  DateTime: (x) => `toDateTime(intDiv(${x}, 1000000000))`,
};

function stageColumn(c: { name: string; type: string }): StageColumn {
  const ident = columnIdent(c.name);
  const scalar = NS_TO[c.type];
  if (scalar) return { ident, stageType: 'Int64', read: scalar(ident) };
  const inner = /^Array\((.*)\)$/.exec(c.type)?.[1];
  const element = inner !== undefined ? NS_TO[inner] : undefined;
  if (element) return { ident, stageType: 'Array(Int64)', read: `arrayMap(x -> ${element('x')}, ${ident})` };
  return { ident, stageType: c.type, read: ident };
}

async function drain(r: { stream: NodeJS.ReadableStream }): Promise<void> {
  for await (const _ of r.stream) {
    // exec returns a stream even for INSERT; it must be consumed to release the request
  }
}

/** Rows in `table` (a staging table: loaders that fill one in the engine count what they added). */
export async function countRows(store: Store, table: string): Promise<number> {
  const rs = await store.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0);
}

/**
 * Drops staging tables left by a process that died mid-load. Only for the embedded
 * store: one process holds it, so every staging table of another pid is stale.
 */
export async function dropStaleStaging(store: Store): Promise<number> {
  if (store.kind !== 'embedded') return 0;
  const rs = await store.client.query({
    query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'tf_stage_') AND NOT startsWith(name, {mine:String})",
    query_params: { mine: `tf_stage_${process.pid}_` },
    format: 'JSONEachRow',
  });
  const names = (await rs.json<{ name: string }>()).map((r) => r.name);
  for (const name of names) await store.client.command({ query: `DROP TABLE IF EXISTS ${columnIdent(name)}` });
  return names.length;
}
