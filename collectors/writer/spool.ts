/**
 * The on-disk spool: what the collector acknowledged and has not written yet. A sender's
 * 2xx waits for `append` to resolve, which waits for the record to be on disk (fdatasync),
 * so an acknowledged record survives `kill -9` (and a power cut) and a store that is down;
 * the writer deletes a batch only after its rows were committed, and a restart replays
 * whatever is left (the identity check at commit makes a replay count nothing twice).
 *
 * Layout of `dir`: `spool.id` (a random id, the prefix of every batch's deduplication
 * token), `spool.lock` (the pid of the one process using it), batches `<seq>.<lane>.open` while they are appended to and `<seq>.<lane>.seg`
 * once sealed, `failed/` for batches the store refused for good. A batch is one file of
 * framed records (spool-frame.ts) of one lane (spool-record.ts); `seq` orders batches.
 *
 * Batching: a lane appends to its open batch until it holds `maxBatchItems` items or
 * `maxBatchBytes` bytes, or `maxBatchAgeMs` after its first record once the writer has
 * nothing else to write (`sealDue`); then it is sealed (fsync, close, rename) and handed
 * to the writer. So batches are small when traffic is light (latency ≤ the age) and grow
 * to the size limits while the writer is behind. Durability costs one fdatasync per
 * wave of concurrent appends (group commit), not one per request.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fdatasync, fsync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync, writevSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COLLECTOR_DEFAULTS } from '../../core/config/schema.js';
import type { Signal } from '../observability/collector-metrics.js';
import { scanFrames, varint } from './spool-frame.js';
import { decodeRowsRecord, type Lane } from './spool-record.js';

const fdatasyncAsync = promisify(fdatasync);
/** `readRecords` reads each batch into a buffer of its own */
const NO_ARENA = Buffer.alloc(0);
const fsyncAsync = promisify(fsync);

export interface SpoolOptions {
  /** seal a batch at this many items (spans, data points); default 20 000 */
  maxBatchItems?: number;
  /** … or at this many bytes; default 16 MiB */
  maxBatchBytes?: number;
  /** … or this long after its first record; default 1000 ms */
  maxBatchAgeMs?: number;
}

/** From the config schema's defaults (`collector.batch`): one source. */
export const SPOOL_DEFAULTS = Object.freeze({
  maxBatchItems: COLLECTOR_DEFAULTS.batch.max_items,
  maxBatchBytes: COLLECTOR_DEFAULTS.batch.max_bytes,
  maxBatchAgeMs: COLLECTOR_DEFAULTS.batch.max_age_ms,
});

export type ItemCounts = Record<Signal, number>;

/** A sealed batch. */
export interface Batch {
  seq: number;
  lane: Lane;
  path: string;
  bytes: number;
  records: number;
  /** items per signal; for `traces-pb` and `traces-rb` batches recovered at start, 0 (not known without decoding) */
  items: ItemCounts;
  /** recovered from a previous run */
  recovered: boolean;
}

interface OpenBatch {
  seq: number;
  lane: Lane;
  path: string;
  fd: number;
  bytes: number;
  records: number;
  items: ItemCounts;
  synced: number;
  syncing: boolean;
  dirSynced: boolean;
  waiters: { upTo: number; resolve: () => void; reject: (e: unknown) => void }[];
  timer: NodeJS.Timeout | undefined;
  /** past maxBatchAgeMs: sealed as soon as the writer has nothing else */
  due: boolean;
  sealing: Promise<void> | undefined;
}

const zero = (): ItemCounts => ({ traces: 0, metrics: 0 });

export class Spool {
  /** prefix of every batch's deduplication token */
  readonly id: string;
  private seq: number;
  private readonly open = new Map<Lane, OpenBatch>();
  private readonly sealedBatches: Batch[] = [];
  private totalBytes = 0;
  private readonly pendingItems = zero();
  private readonly listeners = new Set<() => void>();
  private closed = false;
  private readonly opts: Required<SpoolOptions>;

  private constructor(
    readonly dir: string,
    id: string,
    nextSeq: number,
    opts: SpoolOptions,
  ) {
    this.id = id;
    this.seq = nextSeq;
    this.opts = { ...SPOOL_DEFAULTS, ...opts };
  }

  /** Opens (creating) the spool at `dir` and recovers what a previous run left: torn tails are cut, open batches sealed. */
  static open(dir: string, opts: SpoolOptions = {}): Spool {
    mkdirSync(dir, { recursive: true });
    lockSpool(dir);
    const idFile = join(dir, 'spool.id');
    if (!existsSync(idFile)) writeFileSync(idFile, randomUUID() + '\n');
    const id = readFileSync(idFile, 'utf8').trim();
    const found: Batch[] = [];
    let maxSeq = 0;
    for (const name of readdirSync(dir)) {
      const m = /^(\d{12})\.(traces-pb|traces-rb|rows)\.(open|seg)$/.exec(name);
      if (!m) continue;
      const seq = Number(m[1]);
      const lane = m[2] as Lane;
      maxSeq = Math.max(maxSeq, seq);
      let path = join(dir, name);
      const bytes = readFileSync(path);
      const scan = scanFrames(bytes);
      if (m[3] === 'open') {
        if (scan.validBytes < bytes.length) truncateSync(path, scan.validBytes);
        const sealed = join(dir, `${m[1]}.${lane}.seg`);
        renameSync(path, sealed);
        path = sealed;
      }
      if (scan.records.length === 0) {
        // an empty batch (created, nothing acknowledged in it)
        renameSync(path, path + '.empty');
        continue;
      }
      const items = zero();
      if (lane !== 'rows') {
        // spans are counted when written
      } else {
        for (const [s, e] of scan.records) {
          try {
            const h = decodeRowsRecord(bytes.subarray(s, e)).header;
            items[h.signal] += h.items;
          } catch {
            // counted as corrupt when the writer reads it
          }
        }
      }
      found.push({ seq, lane, path, bytes: scan.validBytes, records: scan.records.length, items, recovered: true });
    }
    for (const name of readdirSync(dir)) if (name.endsWith('.empty')) rmQuiet(join(dir, name));
    const spool = new Spool(dir, id, maxSeq + 1, opts);
    found.sort((a, b) => a.seq - b.seq);
    for (const b of found) spool.addSealed(b);
    return spool;
  }

  /** Bytes on disk, open and sealed batches. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Items spooled and not yet written (known counts). */
  get queuedItems(): Readonly<ItemCounts> {
    return this.pendingItems;
  }

  /** Sealed batches waiting, oldest first. */
  get sealed(): readonly Batch[] {
    return this.sealedBatches;
  }

  /** Calls `fn` whenever a batch is sealed; returns the unsubscribe. */
  onSealed(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Appends one record to `lane`; resolves once it is on disk (the caller may then
   * acknowledge it). Throws when the spool is closed or the disk fails.
   */
  append(lane: Lane, parts: readonly Buffer[], items: Partial<ItemCounts>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the spool is closed'));
    let batch: OpenBatch | undefined;
    let written: number;
    try {
      batch = this.open.get(lane) ?? this.startBatch(lane);
      const length = parts.reduce((n, p) => n + p.length, 0);
      const head = varint(length);
      written = writevSync(batch.fd, [head, ...parts]);
      if (written !== head.length + length) throw new Error(`short write to ${batch.path}: ${written} of ${head.length + length} bytes`);
    } catch (e) {
      // a partial write would tear the framing of every later record: cut it off
      if (batch) {
        try {
          ftruncateSync(batch.fd, batch.bytes);
        } catch {
          // the batch is sealed as it is; recovery cuts a torn tail
        }
      }
      return Promise.reject(e);
    }
    batch.bytes += written;
    batch.records++;
    this.totalBytes += written;
    for (const s of ['traces', 'metrics'] as const) {
      const n = items[s] ?? 0;
      batch.items[s] += n;
      this.pendingItems[s] += n;
    }
    const durable = this.waitSynced(batch, batch.bytes);
    const full = batch.items.traces + batch.items.metrics >= this.opts.maxBatchItems || batch.bytes >= this.opts.maxBatchBytes;
    if (full) void this.seal(batch).catch(() => {});
    else batch.timer ??= setTimeout(() => this.aged(batch), this.opts.maxBatchAgeMs);
    return durable;
  }

  /**
   * Seals the open batches that are past `maxBatchAgeMs`: the writer calls this when it
   * has nothing sealed to write. (An aged batch is sealed at once only when no sealed
   * batch is waiting; while the writer is behind, open batches keep filling up to their
   * size limits, so batches grow with the load instead of the writer paying a query per
   * small batch.)
   */
  sealDue(): void {
    for (const batch of [...this.open.values()]) if (batch.due) void this.seal(batch).catch(() => {});
  }

  /** Seals every open batch (at shutdown, or to flush now). */
  async sealAll(): Promise<void> {
    await Promise.all([...this.open.values()].map((b) => this.seal(b)));
  }

  /** Forgets a batch that was written (deletes its file). */
  async remove(batch: Batch): Promise<void> {
    await unlink(batch.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    this.dropSealed(batch);
  }

  /** Moves a batch the store refused for good to `failed/` (kept for a person to look at). */
  async quarantine(batch: Batch): Promise<string> {
    const failedDir = join(this.dir, 'failed');
    mkdirSync(failedDir, { recursive: true });
    const to = join(failedDir, `${String(batch.seq).padStart(12, '0')}.${batch.lane}.seg`);
    await rename(batch.path, to);
    this.dropSealed(batch);
    return to;
  }

  /** Reads a sealed batch's records. */
  async readRecords(batch: Batch): Promise<Buffer[]> {
    return (await this.readRecordsInto(batch, NO_ARENA)).records;
  }

  /**
   * `readRecords` into `arena` (from its start), for a reader that reuses one buffer rather
   * than allocating a batch's worth each time: the records are views of it, valid until it
   * is read into again. A batch larger than `arena` is read into a new buffer of its size,
   * returned as `arena` for next time.
   */
  async readRecordsInto(batch: Batch, arena: Buffer): Promise<{ records: Buffer[]; arena: Buffer }> {
    const file = await open(batch.path, 'r');
    try {
      const size = (await file.stat()).size;
      const into = arena.length >= size ? arena : Buffer.allocUnsafe(size);
      let read = 0;
      while (read < size) {
        const { bytesRead } = await file.read(into, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      const bytes = into.subarray(0, read);
      return { records: scanFrames(bytes).records.map(([s, e]) => bytes.subarray(s, e)), arena: into };
    } finally {
      await file.close();
    }
  }

  /** Seals what is open, refuses further appends and lets another process open the spool. */
  async close(): Promise<void> {
    this.closed = true;
    await this.sealAll();
    unlockSpool(this.dir);
  }

  private dropSealed(batch: Batch): void {
    const i = this.sealedBatches.indexOf(batch);
    if (i >= 0) this.sealedBatches.splice(i, 1);
    this.totalBytes -= batch.bytes;
    for (const s of ['traces', 'metrics'] as const) this.pendingItems[s] = Math.max(0, this.pendingItems[s] - batch.items[s]);
  }

  private addSealed(batch: Batch): void {
    this.sealedBatches.push(batch);
    if (batch.recovered) {
      this.totalBytes += batch.bytes;
      this.pendingItems.traces += batch.items.traces;
      this.pendingItems.metrics += batch.items.metrics;
    }
    for (const fn of this.listeners) fn();
  }

  private aged(batch: OpenBatch): void {
    batch.due = true;
    if (this.sealedBatches.length === 0) void this.seal(batch).catch(() => {});
  }

  private startBatch(lane: Lane): OpenBatch {
    const seq = this.seq++;
    const path = join(this.dir, `${String(seq).padStart(12, '0')}.${lane}.open`);
    const fd = openSync(path, 'a');
    const batch: OpenBatch = { seq, lane, path, fd, bytes: 0, records: 0, items: zero(), synced: 0, syncing: false, dirSynced: false, waiters: [], timer: undefined, due: false, sealing: undefined };
    this.open.set(lane, batch);
    return batch;
  }

  private waitSynced(batch: OpenBatch, upTo: number): Promise<void> {
    if (batch.synced >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => {
      batch.waiters.push({ upTo, resolve, reject });
      void this.syncLoop(batch);
    });
  }

  /** Group commit: one fdatasync covers every record written before it started. */
  private async syncLoop(batch: OpenBatch): Promise<void> {
    if (batch.syncing) return;
    batch.syncing = true;
    try {
      while (batch.waiters.length > 0) {
        const target = batch.bytes;
        await fdatasyncAsync(batch.fd);
        if (!batch.dirSynced) {
          // the batch file's directory entry, so the file itself survives a power cut
          await syncDir(this.dir);
          batch.dirSynced = true;
        }
        batch.synced = target;
        const ready = batch.waiters.filter((w) => w.upTo <= target);
        batch.waiters = batch.waiters.filter((w) => w.upTo > target);
        for (const w of ready) w.resolve();
      }
    } catch (e) {
      const waiters = batch.waiters;
      batch.waiters = [];
      for (const w of waiters) w.reject(e);
    } finally {
      batch.syncing = false;
    }
  }

  private seal(batch: OpenBatch): Promise<void> {
    batch.sealing ??= (async () => {
      if (this.open.get(batch.lane) === batch) this.open.delete(batch.lane);
      if (batch.timer) clearTimeout(batch.timer);
      await this.waitSynced(batch, batch.bytes);
      closeSync(batch.fd);
      const path = batch.path.replace(/\.open$/, '.seg');
      renameSync(batch.path, path);
      if (batch.records === 0) {
        rmQuiet(path);
        return;
      }
      this.addSealed({ seq: batch.seq, lane: batch.lane, path, bytes: batch.bytes, records: batch.records, items: batch.items, recovered: false });
    })();
    return batch.sealing;
  }
}

/**
 * One process per spool: `spool.lock` holds the owner's pid. A lock whose process is gone
 * is taken over (the previous run was killed); this process may open its own spool again.
 */
function lockSpool(dir: string): void {
  const file = join(dir, 'spool.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid === process.pid) return;
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new Error(`the spool ${dir} is in use by process ${pid}`);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock the spool ${dir}`);
}

function unlockSpool(dir: string): void {
  const file = join(dir, 'spool.lock');
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
  } catch {
    // gone already
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

function rmQuiet(path: string): void {
  void unlink(path).catch(() => {});
}

