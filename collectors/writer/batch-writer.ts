/**
 * The writer: takes sealed spool batches oldest first, stages each in a `StagedLoad`
 * and commits it (one `INSERT … SELECT` per raw table that drops rows already stored),
 * then deletes the batch. So a batch is deleted only once its rows are in ClickHouse; a
 * crash in between replays it and the identity check (spans: trace id + span id; metric
 * points: series + second) writes nothing twice. Each commit also carries the batch's
 * deduplication token (`<spool id>-<seq>`).
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
import { stageTracesBatch } from './engine-batch.js';
import { StagedLoad, type LoadCounts } from './staged-load.js';
import { decodeRowsRecord } from './spool-record.js';
import type { Batch, ItemCounts, Spool } from './spool.js';

export interface BatchWriterOptions {
  /** attempts of a batch the store refuses (with a ClickHouse error code) before it is set aside; default 3 */
  maxAttempts?: number;
  /** first retry delay; doubles up to `maxBackoffMs`; default 200 ms */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** decoder of `traces-pb` batches: ClickHouse (`engine`, default) or this process (`js`) */
  decoder?: 'engine' | 'js';
  /** called on every batch outcome (logging) */
  onEvent?: (e: WriterEvent) => void;
}

export type WriterEvent =
  | { kind: 'written'; batch: Batch; counts: LoadCounts; seconds: number; decoder: 'engine' | 'js' }
  | { kind: 'retry'; batch: Batch; error: unknown; delayMs: number }
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
  private readonly loads: Record<Batch['lane'], StagedLoad>;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private readonly opts: Required<Omit<BatchWriterOptions, 'onEvent'>> & Pick<BatchWriterOptions, 'onEvent'>;
  private failures = 0;
  private lastError: unknown;

  constructor(
    private readonly store: Store,
    private readonly spool: Spool,
    private readonly metrics: CollectorMetrics,
    opts: BatchWriterOptions = {},
  ) {
    this.opts = { maxAttempts: 3, minBackoffMs: 200, maxBackoffMs: 10_000, decoder: 'engine', ...opts };
    this.loads = { 'traces-pb': new StagedLoad(store), rows: new StagedLoad(store) };
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

  /** Stops after the batch in hand (its commit finishes; a batch in backoff is left spooled). */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe();
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.loop;
    for (const load of Object.values(this.loads)) await load.dispose().catch(() => {});
  }

  private async run(): Promise<void> {
    while (this.running) {
      const batch = this.spool.sealed[0];
      this.metrics.queueBatches.set(this.spool.sealed.length);
      this.metrics.spoolBytes.set(this.spool.bytes);
      this.metrics.queueItems.set({ signal: 'traces' }, this.spool.queuedItems.traces);
      this.metrics.queueItems.set({ signal: 'metrics' }, this.spool.queuedItems.metrics);
      if (!batch) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const started = performance.now();
      try {
        const { counts, decoder } = await this.write(batch);
        const seconds = (performance.now() - started) / 1000;
        this.metrics.batchSeconds.observe({ lane: batch.lane, outcome: 'written' }, seconds);
        const written: ItemCounts = { traces: 0, metrics: 0 };
        for (const table of RAW_TABLES) {
          const c = counts[table];
          const signal = SIGNAL_OF[table];
          written[signal] += c.staged;
          if (c.written > 0) this.metrics.writtenRows.inc({ signal, table }, c.written);
          if (c.staged > c.written) this.metrics.droppedItems.inc({ signal, reason: 'duplicate' }, c.staged - c.written);
        }
        await this.spool.remove(batch, written);
        this.failures = 0;
        this.opts.onEvent?.({ kind: 'written', batch, counts, seconds, decoder });
      } catch (e) {
        this.metrics.batchSeconds.observe({ lane: batch.lane, outcome: 'failed' }, (performance.now() - started) / 1000);
        this.failures++;
        this.lastError = e;
        const code = clickhouseErrorCode(e);
        if (code !== undefined && !RETRYABLE_CODES.has(code) && this.failures >= this.opts.maxAttempts) {
          const path = await this.spool.quarantine(batch);
          for (const s of ['traces', 'metrics'] as const) if (batch.items[s] > 0) this.metrics.droppedItems.inc({ signal: s, reason: 'refused_by_store' }, batch.items[s]);
          this.failures = 0;
          this.opts.onEvent?.({ kind: 'quarantined', batch, error: e, path });
          continue;
        }
        const delayMs = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** Math.min(this.failures - 1, 16));
        this.opts.onEvent?.({ kind: 'retry', batch, error: e, delayMs });
        await new Promise<void>((resolve) => {
          this.sleepTimer = setTimeout(resolve, delayMs);
          this.wake = resolve;
        });
        this.wake = undefined;
      }
    }
  }

  /** Stages and commits one batch. */
  private async write(batch: Batch): Promise<{ counts: LoadCounts; decoder: 'engine' | 'js' }> {
    const load = this.loads[batch.lane];
    // whatever a failed attempt left in staging goes first (throws while the store is down: retried)
    await load.abort();
    let decoder: 'engine' | 'js' = 'js';
    if (batch.lane === 'traces-pb') {
      decoder = this.opts.decoder === 'engine' && (await this.stageWithEngine(load, batch)) ? 'engine' : 'js';
      if (decoder === 'js') await this.stageTracesInJs(load, batch);
    } else {
      await this.stageRows(load, batch);
    }
    const counts = await load.commit({ deduplicationToken: `${this.spool.id}-${batch.seq}` });
    return { counts, decoder };
  }

  /** True when the engine staged the batch; false when it must be decoded in JS (the staging is undone). */
  private async stageWithEngine(load: StagedLoad, batch: Batch): Promise<boolean> {
    try {
      const r = await stageTracesBatch(this.store, load, batch.path);
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

  private async stageRows(load: StagedLoad, batch: Batch): Promise<void> {
    const records = await this.spool.readRecords(batch);
    const texts = new Map<RawTable, { rows: number; parts: Buffer[]; bytes: number }>();
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
