/**
 * The writer: takes sealed spool batches oldest first, stages them in a `StagedLoad`
 * and commits (one `INSERT … SELECT` per raw table that drops rows already stored), then
 * deletes the batches. So a batch is deleted only once its rows are in ClickHouse; a
 * crash in between replays it and the identity check (spans: trace id + span id; metric
 * points: series + second) writes nothing twice. Each commit also carries a deduplication
 * token (`<spool id>-<first seq>-<last seq>`).
 *
 * Throughput: consecutive batches of a lane are written together (a group: up to
 * `maxGroupBatches` batches, `maxGroupBytes` bytes) — for `traces-pb` one engine query
 * reads them as parallel sources, and its planning is paid once — and the next group
 * stages while the previous one commits.
 *
 * Failures, classified by error code (never by message text):
 * - the store is unreachable or overloaded (no ClickHouse code, or a retryable one):
 *   the batch stays, the writer retries with exponential backoff (senders get 503 once
 *   the spool is full);
 * - the store refuses the batch itself (another ClickHouse code) `maxAttempts` times in a
 *   row: the batch goes to `<spool>/failed/`, its items count as dropped
 *   (`refused_by_store`), and the writer goes on;
 * - a spool record that cannot be read (disk corruption): dropped (`corrupt`), the rest
 *   of its batch is written.
 */
import type { Store } from '../../core/store/open-store.js';
import { DecodeError } from '../../core/errors.js';
import { RAW_TABLES, type RawTable } from '../../core/schema/otel-rows.js';
import { decodeOtlp } from '../otlp/decode-otlp.js';
import { clickhouseErrorCode } from '../otlp-engine/engine-errors.js';
import type { CollectorMetrics, Signal } from '../observability/collector-metrics.js';
import { STAGE_MEMORY_SETTINGS, stageTracesBatch } from './engine-batch.js';
import { stageSpanRowBinary } from './row-binary-batch.js';
import { StagedLoad, type LoadCounts } from './staged-load.js';
import { decodeRowsRecord, type Lane } from './spool-record.js';
import type { Batch, Spool } from './spool.js';

export interface BatchWriterOptions {
  /** attempts of a batch the store refuses (with a ClickHouse error code) before it is set aside; default 3 */
  maxAttempts?: number;
  /** first retry delay; doubles up to `maxBackoffMs`; default 200 ms */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** decoder of `traces-pb` batches (the sender's protobuf, spooled as it came): ClickHouse (`engine`, default) or this process (`js`) */
  decoder?: 'engine' | 'js';
  /** most batches written together; default 4 */
  maxGroupBatches?: number;
  /**
   * most bytes written together; default per lane ({@link GROUP_BYTES}). The option applies
   * to every lane.
   */
  maxGroupBytes?: number;
  /** called on every batch outcome (logging) */
  onEvent?: (e: WriterEvent) => void;
}

/**
 * Bytes of spooled batches written together, by lane. `traces-pb`: one default-sized
 * (16 MiB) batch per group — two (40 MiB) wrote ≈ 15 % faster end to end (bench:collect,
 * 2 cores) but peaked at 1.02–1.06 GiB RSS: the engine's protobuf decoding works on the
 * whole group. `traces-rb`: two batches (≈ 40 k spans): four wrote up to 15 % faster but
 * peaked at 1.09–1.2 GiB RSS, two at 0.95–0.97 GiB (bench/README.md).
 */
const GROUP_BYTES: Record<Lane, number> = { 'traces-pb': 24 * 1024 * 1024, 'traces-rb': 32 * 1024 * 1024, rows: 24 * 1024 * 1024 };

/** Who made a group's rows: ClickHouse (`engine`), the writer (`js`), or the receiver as it took them (`receiver`). */
export type RowsFrom = 'engine' | 'js' | 'receiver';

export type WriterEvent =
  | { kind: 'written'; batches: readonly Batch[]; counts: LoadCounts; seconds: number; decoder: RowsFrom }
  | { kind: 'retry'; batches: readonly Batch[]; error: unknown; delayMs: number }
  | { kind: 'quarantined'; batch: Batch; error: unknown; path: string }
  | { kind: 'corrupt-record'; batch: Batch; record: number; error: unknown };

/**
 * ClickHouse error codes that say "try again later", not "this batch is wrong": the server
 * is busy, short of memory, timing out, or a replica/keeper is away.
 */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([
  3, // UNEXPECTED_END_OF_FILE (connection cut)
  159, // TIMEOUT_EXCEEDED
  164, // READONLY (replica in read-only mode)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  279, // ALL_CONNECTION_TRIES_FAILED
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

const SIGNAL_OF: Record<RawTable, Signal> = {
  otel_traces: 'traces',
  otel_metrics_gauge: 'metrics',
  otel_metrics_sum: 'metrics',
  otel_metrics_histogram: 'metrics',
  otel_metrics_exponential_histogram: 'metrics',
  otel_metrics_summary: 'metrics',
};

export class BatchWriter {
  private readonly loads: Record<Batch['lane'], StagedLoad[]>;
  /** buffers `traces-rb` batches are read into, one per batch of a group, reused (see `stage`) */
  private readonly readArenas: Buffer[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  /** cuts a backoff short (stop) */
  private endBackoff: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private readonly opts: Required<Omit<BatchWriterOptions, 'onEvent' | 'maxGroupBytes'>> & Pick<BatchWriterOptions, 'onEvent' | 'maxGroupBytes'>;
  private failures = 0;
  private lastError: unknown;

  constructor(
    private readonly store: Store,
    private readonly spool: Spool,
    private readonly metrics: CollectorMetrics,
    opts: BatchWriterOptions = {},
  ) {
    this.opts = { maxAttempts: 3, minBackoffMs: 200, maxBackoffMs: 10_000, decoder: 'engine', maxGroupBatches: 4, ...opts };
    this.loads = {
      'traces-pb': [new StagedLoad(store), new StagedLoad(store)],
      'traces-rb': [new StagedLoad(store), new StagedLoad(store)],
      rows: [new StagedLoad(store), new StagedLoad(store)],
    };
    this.unsubscribe = spool.onSealed(() => this.wake?.());
  }

  /** Batches waiting, and the last store error while the writer is failing (undefined when healthy). */
  get health(): { waiting: number; failing: boolean; lastError: unknown } {
    return { waiting: this.spool.sealed.length, failing: this.failures > 0, lastError: this.failures > 0 ? this.lastError : undefined };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Writes what is spooled (sealing open batches first) until the spool is empty or
   * `deadlineMs` passes, then stops. What is left stays spooled for the next start.
   */
  async drain(deadlineMs: number): Promise<{ left: number }> {
    await this.spool.sealAll();
    const until = Date.now() + deadlineMs;
    while (this.spool.sealed.length > 0 && Date.now() < until && this.running) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.stop();
    return { left: this.spool.sealed.length };
  }

  /**
   * Seals what is open and waits until every batch spooled so far is written (tests, and
   * callers that must see their rows). Throws after `timeoutMs` with the last store error.
   */
  async flush(timeoutMs = 30_000): Promise<void> {
    await this.spool.sealAll();
    const until = Date.now() + timeoutMs;
    while (this.spool.sealed.length > 0) {
      if (Date.now() > until) throw new Error(`the writer did not write ${this.spool.sealed.length} batches within ${timeoutMs} ms`, { cause: this.lastError });
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops after the group in hand (its commit finishes; a group in backoff is left spooled). */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe();
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.endBackoff?.();
    this.wake?.();
    await this.loop;
    for (const load of Object.values(this.loads).flat()) await load.dispose().catch(() => {});
  }

  private async run(): Promise<void> {
    // Two groups in flight at most: the next one stages while the previous one commits
    // (commits one at a time). Each lane has a load per slot.
    let committing: Promise<void> | undefined;
    const inFlight = new Set<Batch>();
    let slot = 0;
    while (this.running) {
      this.updateGauges();
      const group = this.nextGroup(inFlight);
      if (group.length === 0) {
        if (committing) {
          await committing;
          committing = undefined;
          continue;
        }
        // nothing sealed: what has been open long enough goes now; else wait for a batch
        this.spool.sealDue();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const lane = group[0]!.lane;
      const load = this.loads[lane][slot++ % 2]!;
      for (const b of group) inFlight.add(b);
      const started = performance.now();
      let decoder: RowsFrom;
      try {
        decoder = await this.stage(load, group, committing);
      } catch (e) {
        await committing;
        committing = undefined;
        for (const b of group) inFlight.delete(b);
        await this.failed(group, e, started);
        continue;
      }
      await committing;
      committing = this.commit(load, group, decoder, started).finally(() => {
        for (const b of group) inFlight.delete(b);
      });
    }
    await committing;
    this.updateGauges();
  }

  /**
   * The oldest sealed batch not in flight, with the batches of its lane that follow it
   * (within the group limits). One batch at a time while the writer is failing, so a
   * batch the store refuses is found and set aside alone.
   */
  private nextGroup(inFlight: ReadonlySet<Batch>): Batch[] {
    const free = this.spool.sealed.filter((b) => !inFlight.has(b));
    const first = free[0];
    if (!first) return [];
    const group = [first];
    let bytes = first.bytes;
    const most = this.failures > 0 ? 1 : this.opts.maxGroupBatches;
    const maxBytes = this.opts.maxGroupBytes ?? GROUP_BYTES[first.lane];
    for (const b of free.slice(1)) {
      if (group.length >= most || b.lane !== first.lane || bytes + b.bytes > maxBytes) break;
      group.push(b);
      bytes += b.bytes;
    }
    return group;
  }

  private updateGauges(): void {
    this.metrics.queueBatches.set(this.spool.sealed.length);
    this.metrics.spoolBytes.set(this.spool.bytes);
    this.metrics.queueItems.set({ signal: 'traces' }, this.spool.queuedItems.traces);
    this.metrics.queueItems.set({ signal: 'metrics' }, this.spool.queuedItems.metrics);
  }

  /**
   * Stages a group into `load` (emptied first: what a failed attempt left goes; throws
   * while the store is down). `committing`: the previous group's commit, which a
   * `traces-rb` group's engine load waits for (see `stageSpanRowBinary`).
   */
  private async stage(load: StagedLoad, group: readonly Batch[], committing: Promise<void> | undefined): Promise<RowsFrom> {
    await load.abort();
    if (group[0]!.lane === 'rows') {
      await this.stageRows(load, group);
      return 'js';
    }
    if (group[0]!.lane === 'traces-rb') {
      // rendered by the receiver: the engine loads the rows as they are. Each batch is read
      // into a buffer kept for the next group (groups stage one at a time, and their records
      // are written out for the engine before staging returns): no garbage of a group's size.
      const records: Buffer[] = [];
      for (const [i, batch] of group.entries()) {
        const read = await this.spool.readRecordsInto(batch, this.readArenas[i] ?? Buffer.alloc(0));
        this.readArenas[i] = read.arena;
        records.push(...read.records);
      }
      await stageSpanRowBinary(this.store, load, records, committing);
      return 'receiver';
    }
    if (this.opts.decoder === 'engine' && (await this.stageWithEngine(load, group))) return 'engine';
    for (const batch of group) await this.stageTracesInJs(load, batch);
    return 'js';
  }

  /** Commits a staged group and forgets its batches; a failure is handled (retry or set aside), never thrown. */
  private async commit(load: StagedLoad, group: readonly Batch[], decoder: RowsFrom, started: number): Promise<void> {
    let counts: LoadCounts;
    try {
      // traces-rb: one insert block (one part per table) per group; the others' commits keep the staging bounds
      const insertSettings = group[0]!.lane === 'traces-rb' ? {} : STAGE_MEMORY_SETTINGS;
      counts = await load.commit({ deduplicationToken: `${this.spool.id}-${group[0]!.seq}-${group[group.length - 1]!.seq}`, insertSettings });
      for (const table of RAW_TABLES) {
        const c = counts[table];
        const signal = SIGNAL_OF[table];
        if (c.written > 0) this.metrics.writtenRows.inc({ signal, table }, c.written);
        if (c.staged > c.written) this.metrics.droppedItems.inc({ signal, reason: 'duplicate' }, c.staged - c.written);
      }
      for (const batch of group) await this.spool.remove(batch);
    } catch (e) {
      await this.failed(group, e, started);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    this.metrics.batchSeconds.observe({ lane: group[0]!.lane, outcome: 'written' }, seconds);
    this.failures = 0;
    this.opts.onEvent?.({ kind: 'written', batches: group, counts, seconds, decoder });
  }

  /** A group failed: a single batch the store refuses for good is set aside; else back off (the batches stay first in line). */
  private async failed(group: readonly Batch[], e: unknown, started: number): Promise<void> {
    this.metrics.batchSeconds.observe({ lane: group[0]!.lane, outcome: 'failed' }, (performance.now() - started) / 1000);
    this.failures++;
    this.lastError = e;
    const code = clickhouseErrorCode(e);
    if (group.length === 1 && code !== undefined && !RETRYABLE_CODES.has(code) && this.failures >= this.opts.maxAttempts) {
      const batch = group[0]!;
      const path = await this.spool.quarantine(batch);
      for (const s of ['traces', 'metrics'] as const) if (batch.items[s] > 0) this.metrics.droppedItems.inc({ signal: s, reason: 'refused_by_store' }, batch.items[s]);
      this.failures = 0;
      this.opts.onEvent?.({ kind: 'quarantined', batch, error: e, path });
      return;
    }
    const delayMs = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** Math.min(this.failures - 1, 16));
    this.opts.onEvent?.({ kind: 'retry', batches: group, error: e, delayMs });
    if (!this.running) return;
    await new Promise<void>((resolve) => {
      this.sleepTimer = setTimeout(resolve, delayMs);
      this.endBackoff = resolve;
    });
    this.endBackoff = undefined;
  }

  /**
   * True when the engine staged the group (one query); false when it must be decoded in
   * JS (the staging is undone): a request holds values the engine SQL does not render, or
   * one the engine refuses that the receiver's check took.
   */
  private async stageWithEngine(load: StagedLoad, group: readonly Batch[]): Promise<boolean> {
    try {
      const r = await stageTracesBatch(this.store, load, group.map((b) => b.path));
      if (r.kind === 'staged') return true;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
    await load.abort();
    return false;
  }

  private async stageTracesInJs(load: StagedLoad, batch: Batch): Promise<void> {
    const records = await this.spool.readRecords(batch);
    for (const [i, record] of records.entries()) {
      let rows;
      try {
        rows = decodeOtlp(record, { format: 'protobuf', signal: 'traces' });
      } catch (e) {
        this.corrupt(batch, i, e, 'traces');
        continue;
      }
      await load.add({ otel_traces: rows.otel_traces });
    }
  }

  private async stageRows(load: StagedLoad, group: readonly Batch[]): Promise<void> {
    const texts = new Map<RawTable, { rows: number; parts: Buffer[]; bytes: number }>();
    for (const batch of group) {
      const records = await this.spool.readRecords(batch);
      for (const [i, record] of records.entries()) {
        let decoded;
        try {
          decoded = decodeRowsRecord(record);
        } catch (e) {
          this.corrupt(batch, i, e, undefined);
          continue;
        }
        for (const t of decoded.texts) {
          const acc = texts.get(t.table) ?? texts.set(t.table, { rows: 0, parts: [], bytes: 0 }).get(t.table)!;
          acc.rows += t.rows;
          acc.parts.push(t.text);
          acc.bytes += t.text.length;
        }
      }
    }
    for (const [table, acc] of texts) {
      const stage = await load.stagingTable(table);
      const body = Buffer.concat(acc.parts, acc.bytes).toString('utf8');
      const result = await this.store.client.exec({ query: `INSERT INTO ${stage.name} FORMAT JSONEachRow\n${body}` });
      for await (const _ of result.stream) {
        // drain: an INSERT answers nothing, but the response must be consumed
      }
      load.noteStaged(table, acc.rows);
    }
  }

  private corrupt(batch: Batch, record: number, error: unknown, signal: Signal | undefined): void {
    this.metrics.droppedItems.inc({ signal: signal ?? 'unknown', reason: 'corrupt' }, 1);
    this.opts.onEvent?.({ kind: 'corrupt-record', batch, record, error });
  }
}
