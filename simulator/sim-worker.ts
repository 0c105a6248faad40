/**
 * The simulator's worker thread (see simulator-host.ts): runs a `Simulation` and answers
 * the host's requests. The factory then uses the second core, and reaches the collector
 * only over HTTP, as a real factory would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Simulation, type SimulationOptions } from './simulation.js';
import type { HostRequest, WorkerMessage } from './simulator-host.js';

const port = parentPort;
if (!port) throw new Error('sim-worker.js runs as a worker thread');
const post = (m: WorkerMessage) => port.postMessage(m);

try {
  const sim = await Simulation.create(workerData as SimulationOptions);
  post({ type: 'ready', endpoints: sim.endpoints, topology: sim.engine.topology });
  port.on('message', (req: HostRequest) => {
    void handle(sim, req).then(
      (result) => post({ type: 'result', id: req.id, result }),
      (e: unknown) => post({ type: 'error', id: req.id, message: (e as Error).message ?? String(e), stack: (e as Error).stack }),
    );
  });
} catch (e) {
  post({ type: 'error', id: 0, message: (e as Error).message ?? String(e), stack: (e as Error).stack });
}

async function handle(sim: Simulation, req: HostRequest): Promise<unknown> {
  switch (req.type) {
    case 'backfill': {
      let last = 0;
      return sim.backfill(req.toMs, {
        drain: req.drain,
        onProgress: (p) => {
          const now = Date.now();
          if (now - last < 100 && p.doneMs < p.totalMs) return;
          last = now;
          post({ type: 'progress', id: req.id, progress: p });
        },
      });
    }
    case 'live':
      return sim.startLive(req.options);
    case 'stop-live':
      return sim.stopLive();
    case 'truth':
      return sim.truth();
    case 'close':
      await sim.close();
      // the host terminates the thread once it has the answer
      return undefined;
  }
}
