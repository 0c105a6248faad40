/**
 * Starts a simulated factory in a worker thread (the default when the compiled worker
 * is there, i.e. when running from `dist/`) or in the caller's thread (`local`; what
 * tests running the TypeScript sources get), behind one asynchronous interface. In the
 * demo the caller's thread holds the embedded ClickHouse, the collector and the API;
 * the worker keeps the factory's work on the other core.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BackfillProgress, BackfillResult } from './backfill.js';
import type { ExporterEndpoint } from './exposition.js';
import { GroundTruth, type GroundTruthData } from './ground-truth.js';
import { Simulation, type LiveOptions, type SimulationOptions } from './simulation.js';
import type { Topology } from './topology.js';

export type HostRequest =
  | { type: 'backfill'; id: number; toMs: number; drain: boolean }
  | { type: 'live'; id: number; options: LiveOptions }
  | { type: 'stop-live'; id: number }
  | { type: 'truth'; id: number }
  | { type: 'close'; id: number };

export type WorkerMessage =
  | { type: 'ready'; endpoints: ExporterEndpoint[]; topology: Topology }
  | { type: 'progress'; id: number; progress: BackfillProgress }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; message: string; stack: string | undefined };

export interface SimulatorHandle {
  readonly thread: 'worker' | 'local';
  readonly endpoints: readonly ExporterEndpoint[];
  readonly topology: Topology;
  /** runs the factory up to `toMs` as fast as the collector takes it */
  backfill(toMs: number, opts?: { drain?: boolean; onProgress?: (p: BackfillProgress) => void }): Promise<BackfillResult>;
  startLive(opts?: LiveOptions): Promise<void>;
  stopLive(): Promise<void>;
  /** what the simulator knows it did */
  truth(): Promise<GroundTruth>;
  close(): Promise<void>;
}

export interface StartSimulatorOptions extends SimulationOptions {
  /** where the factory runs: a worker thread, this thread, or a worker when one is built (default) */
  thread?: 'worker' | 'local' | 'auto';
}

const WORKER_FILE = new URL('./sim-worker.js', import.meta.url);

export async function startSimulator(opts: StartSimulatorOptions): Promise<SimulatorHandle> {
  const { thread = 'auto', ...options } = opts;
  const workerBuilt = existsSync(fileURLToPath(WORKER_FILE));
  if (thread === 'worker' && !workerBuilt) throw new Error(`the simulator worker ${fileURLToPath(WORKER_FILE)} is not built: run npm run build`);
  return thread === 'local' || !workerBuilt ? startLocal(options) : startWorker(options);
}

async function startLocal(options: SimulationOptions): Promise<SimulatorHandle> {
  const sim = await Simulation.create(options);
  return {
    thread: 'local',
    endpoints: sim.endpoints,
    topology: sim.engine.topology,
    backfill: (toMs, o = {}) => sim.backfill(toMs, o),
    startLive: (o) => sim.startLive(o),
    stopLive: () => sim.stopLive(),
    truth: async () => new GroundTruth(structuredClone(sim.truth())),
    close: () => sim.close(),
  };
}

async function startWorker(options: SimulationOptions): Promise<SimulatorHandle> {
  const worker = new Worker(WORKER_FILE, { workerData: options });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: (p: BackfillProgress) => void }>();
  let nextId = 1;
  let exited = false;
  const ready = new Promise<Extract<WorkerMessage, { type: 'ready' }>>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') return resolve(m);
      if (m.type === 'error' && m.id === 0) return reject(Object.assign(new Error(`simulator: ${m.message}`), { stack: m.stack }));
      const p = pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') return p.progress?.(m.progress);
      pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.result);
      else if (m.type === 'error') p.reject(Object.assign(new Error(`simulator: ${m.message}`), { stack: m.stack }));
    });
    worker.on('error', (e) => {
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    worker.on('exit', (code) => {
      exited = true;
      const e = new Error(`the simulator thread exited (code ${code})`);
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  });
  const hello = await ready;
  type Body = HostRequest extends infer R ? (R extends HostRequest ? Omit<R, 'id'> : never) : never;
  const request = <T>(body: Body, progress?: (p: BackfillProgress) => void): Promise<T> => {
    if (exited) return Promise.reject(new Error('the simulator thread has exited'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(progress ? { progress } : {}) });
      worker.postMessage({ ...body, id });
    });
  };
  return {
    thread: 'worker',
    endpoints: hello.endpoints,
    topology: hello.topology,
    backfill: (toMs, o = {}) => request<BackfillResult>({ type: 'backfill', toMs, drain: o.drain ?? false }, o.onProgress),
    startLive: (o = {}) => request<void>({ type: 'live', options: o }),
    stopLive: () => request<void>({ type: 'stop-live' }),
    truth: async () => new GroundTruth(await request<GroundTruthData>({ type: 'truth' })),
    close: async () => {
      if (!exited) {
        await request<void>({ type: 'close' }).catch(() => {});
        await worker.terminate();
      }
    },
  };
}
