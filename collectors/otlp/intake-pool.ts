/**
 * Where the receiver decodes and renders request bodies (`intakeOtlp`): on worker threads,
 * or — with no threads — on the event loop.
 *
 * Why threads: the collector drives the engine (the writer's queries) from its event
 * loop. With rendering on the loop, every engine step waits behind the requests being
 * rendered, and at full intake the engine idles while the loop is busy (measured in
 * bench:collect: 20–40 % of the two cores idle while the loop was saturated). On a worker
 * the loop only reads bodies, spools records and answers, so the writer's next query goes
 * out as soon as the last one finishes.
 *
 * Run from the TypeScript sources (the tests' runner) there is no compiled worker script:
 * the pool then works on the event loop; `token-factory collect` runs from `dist/` and
 * test/collectors/collect-process.test.ts drives it there, threads and all.
 *
 * Memory stays bounded by the receiver's in-flight budget: a body waiting for a worker is
 * still counted in flight. A worker that dies is replaced; the request it held gets a 503.
 *
 * Bodies and records cross between threads by moving their memory (a transfer list), not
 * by copying it, whenever a buffer is the whole of its ArrayBuffer (`ownsMemory`): so the
 * caller hands a body over and must not read it afterwards. The copies (740 KB for a
 * request of 512 spans: its body and its rows) cost less than the garbage they made: V8
 * runs a full collection whenever enough memory outside its heap has been allocated (in a
 * 300 k-span run, 31 full collections on the loop with copies, 17 without; bench/README.md).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DecodeError, type PayloadPosition } from '../../core/errors.js';
import type { OtlpSignal } from './decode-otlp.js';
import { intakeOtlp, type IntakeRecord, type OtlpWire, type SpanIntake } from './receiver-intake.js';

export interface IntakeTask {
  id: number;
  signal: OtlpSignal;
  wire: OtlpWire;
  spans: SpanIntake;
  body: Uint8Array;
}

export type IntakeReply =
  | { id: number; ok: true; record: IntakeRecord }
  | { id: number; ok: false; decode: { reason: string; position: PayloadPosition } }
  | { id: number; ok: false; error: string };

/** V8 heap limits of a worker, in MiB: room for a few maximum-size bodies (16 MiB) and their rows. */
const WORKER_OLD_SPACE_MB = 192;
const WORKER_YOUNG_SPACE_MB = 16;

/** The worker script, beside this module once built (`dist/`). */
const WORKER_URL = new URL('./intake-worker.js', import.meta.url);

/**
 * Whether `b` may be moved to another thread: it spans its whole ArrayBuffer, so nothing
 * else (a pooled small Buffer's neighbours, a larger buffer it was cut from) lives there.
 */
export function ownsMemory(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
}

/** The ArrayBuffers of `parts` that can be moved (each once), for a transfer list. */
export function transferable(parts: readonly Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const p of parts) if (ownsMemory(p)) out.add(p.buffer as ArrayBuffer);
  // a buffer two parts share is not moved twice (a transfer list must not repeat one)
  return [...out];
}

/** Whether worker threads can run here: the compiled worker script exists (not when running the TypeScript sources). */
export function intakeThreadsAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

interface Pending {
  resolve: (r: IntakeRecord) => void;
  reject: (e: unknown) => void;
}

export class IntakePool {
  private readonly workers: { worker: Worker; pending: Map<number, Pending>; load: number }[] = [];
  private nextId = 0;
  private closed = false;

  /** threads in use: as asked, or 0 where there is no compiled worker (the TypeScript sources, under the tests' runner) */
  readonly threads: number;

  /** `threads` 0: intake on the calling thread. */
  constructor(threads: number) {
    this.threads = intakeThreadsAvailable() ? threads : 0;
    for (let i = 0; i < this.threads; i++) this.workers.push(this.spawn());
  }

  /**
   * `intakeOtlp` of one body: a record, or a thrown `DecodeError` (400). With threads the
   * body's memory may move to the worker: the caller must not use `body` afterwards.
   */
  run(signal: OtlpSignal, wire: OtlpWire, body: Buffer, spans: SpanIntake): Promise<IntakeRecord> {
    if (this.workers.length === 0) {
      try {
        return Promise.resolve(intakeOtlp(signal, wire, body, spans));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (this.closed) return Promise.reject(new Error('the intake pool is closed'));
    // the least loaded worker
    const slot = this.workers.reduce((a, b) => (b.load < a.load ? b : a));
    const id = this.nextId++;
    slot.load++;
    return new Promise<IntakeRecord>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      const task: IntakeTask = { id, signal, wire, spans, body };
      slot.worker.postMessage(task, transferable([body]));
    });
  }

  /** Stops the workers (requests in flight are refused). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private spawn(): { worker: Worker; pending: Map<number, Pending>; load: number } {
    // a small heap: a worker holds one body and its rows at a time, so garbage is collected
    // early rather than growing the collector's RSS (bench:collect measures the peak)
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB } });
    const slot = { worker, pending: new Map<number, Pending>(), load: 0 };
    worker.unref(); // never what keeps the process alive
    worker.on('message', (reply: IntakeReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      slot.load--;
      if (reply.ok) p.resolve(reviveRecord(reply.record));
      else if ('decode' in reply) p.reject(new DecodeError(reply.decode.reason, reply.decode.position));
      else p.reject(new Error(`intake worker: ${reply.error}`));
    });
    const fail = (e: unknown): void => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
      slot.load = 0;
      const i = this.workers.indexOf(slot);
      if (i >= 0 && !this.closed) this.workers[i] = this.spawn();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`intake worker exited (${code})`));
    });
    return slot;
  }
}

/** Records come back as Uint8Arrays (structured clone): Buffers again, for the spool's writev. */
function reviveRecord(r: IntakeRecord): IntakeRecord {
  if (r.record === undefined) return r;
  return { ...r, record: { lane: r.record.lane, parts: r.record.parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)) } };
}
