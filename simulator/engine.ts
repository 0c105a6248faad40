/**
 * The simulated factory in time: a fixed-tick engine (topology `tick_s`, 5 s by
 * default) with an event queue for what happens between ticks.
 *
 * Each tick [t, t + tick):
 * 1. replicas crash and come back (outages: exponential time between crashes, a restart
 *    of a few minutes; a restarted vLLM starts its counters from zero);
 * 2. each replica's state (batch, queue, latency, power) is computed by the serving model
 *    from the load the gateway routed to it in the previous tick (serving-model.ts);
 * 3. tenants' demand (demand.ts) draws new chat calls and workflows, Poisson in the tick;
 * 4. events run in time order: calls start (routed to a replica, timed by its state) and
 *    end (the gateway span is emitted, the replica's token counters and latency
 *    histograms move), workflow steps follow each other, fail, retry, and attempts end
 *    (the root span is emitted);
 * 5. every GPU integrates its power over the tick (the energy counter, in mJ);
 * 6. at every sample time (`sampleIntervalS` after the start) the sink may read the
 *    GPUs and replicas (what dcgm-exporter and vLLM would show then).
 *
 * Randomness is keyed by the seed and the tick index, so a seed and a start time
 * always give the same factory. The engine also keeps its ground truth (ground-truth.ts):
 * tokens it produced, GPU-seconds and energy it simulated, workflows and their outcomes.
 */
import { EventQueue, type QueuedEvent } from './event-queue.js';
import { Rng } from './rng.js';
import { demandFactor } from './demand.js';
import { newHist, observe, VLLM_E2E_BUCKETS, VLLM_ITL_BUCKETS, VLLM_TTFT_BUCKETS, type Hist } from './histogram.js';
import { idleState, replicaPerf, requestLatency, stepReplica, type Load, type ReplicaHardware, type ReplicaPerf, type ReplicaState } from './serving-model.js';
import { DEMO_TOPOLOGY, gpuSpecOf, modelSpecOf, parseTopology, type ChatSource, type DeploymentSpec, type TokenDistribution, type Topology, type TopologyInput, type WorkflowSpec, type WorkflowStepSpec } from './topology.js';
import type { GpuSpec } from './hardware.js';
import { GroundTruth, UNASSIGNED } from './ground-truth.js';

const HOUR_MS = 3_600_000;
/** PCI bus numbers of the eight GPUs of an HGX board */
const PCI_BUS = ['18', '2A', '3A', '5D', '9A', 'AB', 'BA', 'DB', '1B', '2B', '3B', '5E', '9B', 'AC', 'BB', 'DC'];

export interface GpuUnit {
  /** index in `engine.gpus` (and the ground truth's GPU id) */
  readonly id: number;
  readonly uuid: string;
  readonly node: string;
  readonly index: number;
  readonly gpuType: string;
  readonly spec: GpuSpec;
  readonly pciBusId: string;
  readonly device: string;
  /** deployment name, or 'unassigned' */
  readonly deployment: string;
  /** Kubernetes pod mapping ('' for a GPU no pod holds) */
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
  replica: Replica | undefined;
  /** over the last tick */
  powerW: number;
  activity: number;
  fbUsedMiB: number;
  tempC: number;
  /** DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: mJ since the (simulated) driver load */
  energyMj: number;
  /** a fixed per-GPU spread of power and temperature (silicon lottery, airflow) */
  readonly spread: number;
}

/** What a vLLM process counts since it started. */
export interface VllmCounters {
  startedMs: number;
  promptTokens: number;
  generationTokens: number;
  success: { stop: number; length: number; abort: number };
  ttft: Hist;
  itl: Hist;
  e2e: Hist;
}

export interface Replica {
  readonly id: string;
  readonly deployment: string;
  readonly model: string;
  readonly gpuType: string;
  readonly index: number;
  readonly pod: string;
  readonly endpoint: string;
  readonly gpus: GpuUnit[];
  readonly hw: ReplicaHardware;
  perf: ReplicaPerf;
  perfCtx: number;
  ctxEwma: number;
  up: boolean;
  downSinceMs: number;
  upAtMs: number;
  nextCrashMs: number;
  queue: number;
  state: ReplicaState;
  /** load reaching the server in the current tick */
  acc: { n: number; sumIn: number; sumOut: number };
  prev: Load;
  counters: VllmCounters;
  readonly rng: Rng;
}

interface DeploymentRuntime {
  spec: DeploymentSpec;
  replicas: Replica[];
  /** routing weight: nominal capacity, requests/s */
  weight: number;
}

/** One model call as the gateway saw it: one span. Times in ms since the epoch (fractional). */
export interface CallRecord {
  traceId: string;
  spanId: string;
  /** the workflow attempt's root span, when part of one */
  parentSpanId: string | undefined;
  startMs: number;
  endMs: number;
  tenant: string;
  model: string;
  deployment: string;
  endpoint: string;
  replica: string;
  inputTokens: number;
  outputTokens: number;
  /** seconds; undefined when no token came back */
  ttftS: number | undefined;
  /** undefined when the call succeeded */
  errorType: string | undefined;
  finishReason: 'stop' | 'length' | 'abort' | 'error';
  workflowId: string | undefined;
  workflowName: string | undefined;
  step: string | undefined;
}

/** One attempt of a workflow: the root span of its trace. */
export interface AttemptRecord {
  traceId: string;
  spanId: string;
  startMs: number;
  endMs: number;
  tenant: string;
  workflowId: string;
  workflowName: string;
  attempt: number;
  outcome: 'success' | 'failure' | 'error';
}

export interface SimSink {
  call(c: CallRecord): void;
  attempt(a: AttemptRecord): void;
  /** a sample time: read `engine.gpus` and `engine.replicas` now */
  sample?(tMs: number): void;
}

export interface EngineOptions {
  /** default: the demo factory */
  topology?: TopologyInput | Topology;
  seed?: number;
  /** start of the simulation, ms; rounded down to the tick */
  startMs: number;
  /** call sink.sample every this many seconds of simulated time (0: never); a multiple of the tick */
  sampleIntervalS?: number;
  /** also sample at the start (counters at zero) */
  sampleAtStart?: boolean;
}

interface ChatPlan {
  kind: 'chat';
  source: ChatSource;
  tenant: string;
  rng: Rng;
}

interface WorkflowRun {
  id: string;
  name: string;
  spec: WorkflowSpec;
  tenant: string;
  rng: Rng;
  attempt: number;
  traceId: string;
  rootSpanId: string;
  attemptStartMs: number;
  plan: WorkflowStepSpec[];
  idx: number;
  retries: number;
  contextTokens: number;
}

type EventBody =
  | { kind: 'chat'; plan: ChatPlan }
  | { kind: 'workflow-start'; tenant: string; name: string; rng: Rng }
  | { kind: 'attempt-start'; run: WorkflowRun }
  | { kind: 'step'; run: WorkflowRun }
  | { kind: 'call-end'; call: CallRecord; run: WorkflowRun | undefined; served: { input: number; output: number; itlS: number; ttftS: number | undefined; e2eS: number } | undefined; replica: Replica }
  | { kind: 'attempt-end'; run: WorkflowRun; record: AttemptRecord };

function drawTokens(rng: Rng, d: TokenDistribution): number {
  return Math.max(1, Math.min(d.max, Math.round(rng.lognormal(d.median, d.sigma))));
}

function uuidOf(rng: Rng): string {
  const h = rng.hex(16);
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function newCounters(startedMs: number): VllmCounters {
  return {
    startedMs,
    promptTokens: 0,
    generationTokens: 0,
    success: { stop: 0, length: 0, abort: 0 },
    ttft: newHist(VLLM_TTFT_BUCKETS),
    itl: newHist(VLLM_ITL_BUCKETS),
    e2e: newHist(VLLM_E2E_BUCKETS),
  };
}

const NOMINAL_CONTEXT = 4000;

export class FactoryEngine {
  readonly topology: Topology;
  readonly seed: number;
  readonly tickMs: number;
  readonly startMs: number;
  readonly gpus: GpuUnit[] = [];
  readonly replicas: Replica[] = [];
  readonly truth = new GroundTruth();
  /** every crash of a vLLM replica: down from `fromMs` until `toMs` */
  readonly outages: { replica: string; fromMs: number; toMs: number }[] = [];
  private readonly deployments = new Map<string, DeploymentRuntime>();
  private readonly byModel = new Map<string, DeploymentRuntime[]>();
  private readonly queue = new EventQueue<EventBody>();
  private sampleMs: number;
  private tickStart: number;
  private tickOpen = false;
  private arrivals = true;
  private sampling = true;
  private draining = false;
  private pendingStartSample = false;
  /** simulated time reached */
  private clock = 0;
  /** workflows not finished yet */
  private inFlight = 0;

  constructor(opts: EngineOptions) {
    this.topology = parseTopology(opts.topology ?? DEMO_TOPOLOGY);
    this.seed = opts.seed ?? 42;
    this.tickMs = Math.round(this.topology.tick_s * 1000);
    this.startMs = Math.floor(opts.startMs / this.tickMs) * this.tickMs;
    this.tickStart = this.startMs;
    this.sampleMs = Math.round((opts.sampleIntervalS ?? 0) * 1000);
    if (this.sampleMs % this.tickMs !== 0) throw new Error(`the sample interval (${opts.sampleIntervalS} s) must be a multiple of the tick (${this.topology.tick_s} s)`);
    this.build();
    if (opts.sampleAtStart && this.sampleMs > 0) this.pendingStartSample = true;
  }

  /** Simulated time reached: everything before it has happened. */
  get now(): number {
    return this.clock;
  }

  /**
   * Samples every `seconds` of simulated time from now on (0: no sampling), at the
   * same grid as the start: times start + k × interval.
   */
  setSampleInterval(seconds: number): void {
    const ms = Math.round(seconds * 1000);
    if (ms % this.tickMs !== 0) throw new Error(`the sample interval (${seconds} s) must be a multiple of the tick (${this.topology.tick_s} s)`);
    this.sampleMs = ms;
    this.sampling = ms > 0;
  }

  /** the sampling interval, ms (0: none) */
  get sampleIntervalMs(): number {
    return this.sampleMs;
  }

  /** time of the last sample handed to a sink (-Infinity before the first) */
  lastSampleMs = -Infinity;

  /**
   * A sample now, off the grid (the end of a backfill: it closes the last interval, as
   * a scrape at that moment would). Only at a tick boundary, once per time.
   */
  sampleNow(sink: SimSink): void {
    if (this.tickOpen || this.clock === this.lastSampleMs) return;
    this.lastSampleMs = this.clock;
    sink.sample?.(this.clock);
  }

  /** Workflows still running. */
  get workflowsInFlight(): number {
    return this.inFlight;
  }

  private build(): void {
    const t = this.topology;
    for (const node of t.nodes) {
      const spec = gpuSpecOf(t, node.gpu_type);
      for (let i = 0; i < node.gpus; i++) {
        const rng = Rng.of(this.seed, 'gpu', node.name, i);
        this.gpus.push({
          id: this.gpus.length,
          uuid: uuidOf(rng),
          node: node.name,
          index: i,
          gpuType: node.gpu_type,
          spec,
          pciBusId: `00000000:${PCI_BUS[i % PCI_BUS.length]}:00.0`,
          device: `nvidia${i}`,
          deployment: UNASSIGNED,
          pod: '',
          namespace: '',
          container: '',
          replica: undefined,
          powerW: spec.idle_w,
          activity: 0,
          fbUsedMiB: 0,
          tempC: 30,
          energyMj: 0,
          spread: 1 + 0.04 * (rng.next() - 0.5),
        });
      }
    }
    const gpuAt = (node: string, index: number) => this.gpus.find((g) => g.node === node && g.index === index)!;
    for (const d of t.deployments) {
      const gpuType = t.nodes.find((n) => n.name === d.node)!.gpu_type;
      const hw: ReplicaHardware = { gpu: gpuSpecOf(t, gpuType), model: modelSpecOf(t, d.model), precision: d.precision, tp: d.tp };
      const perf = replicaPerf(hw, NOMINAL_CONTEXT);
      const replicas: Replica[] = [];
      for (let r = 0; r < d.gpus.length / d.tp; r++) {
        const pod = `vllm-${d.name}-${r}`;
        const gpus = d.gpus.slice(r * d.tp, (r + 1) * d.tp).map((i) => {
          const g = gpuAt(d.node, i);
          const assigned: GpuUnit = { ...g, deployment: d.name, pod, namespace: t.namespace, container: 'vllm' };
          this.gpus[this.gpus.indexOf(g)] = assigned;
          return assigned;
        });
        const rng = Rng.of(this.seed, 'replica', d.name, r, this.startMs);
        const replica: Replica = {
          id: `${d.name}-${r}`,
          deployment: d.name,
          model: d.model,
          gpuType,
          index: r,
          pod,
          endpoint: d.endpoint,
          gpus,
          hw,
          perf,
          perfCtx: NOMINAL_CONTEXT,
          ctxEwma: NOMINAL_CONTEXT,
          up: true,
          downSinceMs: 0,
          upAtMs: 0,
          nextCrashMs: this.startMs + rng.exponential(t.outages.mtbf_hours * HOUR_MS),
          queue: 0,
          state: idleState(hw.gpu, perf),
          acc: { n: 0, sumIn: 0, sumOut: 0 },
          prev: { ratePerS: 0, meanInputTokens: 3000, meanOutputTokens: 300 },
          counters: newCounters(this.startMs),
          rng,
        };
        for (const g of gpus) g.replica = replica;
        replicas.push(replica);
        this.replicas.push(replica);
      }
      const nominal = stepReplica(hw.gpu, perf, { ratePerS: 1e9, meanInputTokens: 3000, meanOutputTokens: 300 }, 0, 1).capacityPerS;
      const rt: DeploymentRuntime = { spec: d, replicas, weight: nominal * replicas.length };
      this.deployments.set(d.name, rt);
      const list = this.byModel.get(d.model) ?? [];
      list.push(rt);
      this.byModel.set(d.model, list);
    }
    for (const g of this.gpus) this.truth.registerGpu({ uuid: g.uuid, gpuType: g.gpuType, deployment: g.deployment, node: g.node, index: g.index });
    this.clock = this.startMs;
  }

  /** The deployment's model and GPU type. */
  deployment(name: string): { model: string; gpuType: string } | undefined {
    const d = this.deployments.get(name);
    return d ? { model: d.spec.model, gpuType: d.replicas[0]!.gpuType } : undefined;
  }

  /**
   * Runs the simulation up to `toMs` (exclusive): ticks that start before it are
   * opened (their arrivals drawn), events before it happen, ticks that end by it close.
   */
  advance(toMs: number, sink: SimSink): void {
    if (this.pendingStartSample) {
      this.pendingStartSample = false;
      this.lastSampleMs = this.startMs;
      sink.sample?.(this.startMs);
    }
    for (;;) {
      const tickEnd = this.tickStart + this.tickMs;
      if (!this.tickOpen) {
        if (this.tickStart >= toMs) break;
        this.openTick();
      }
      const until = Math.min(toMs, tickEnd);
      this.runEvents(until, sink);
      if (toMs < tickEnd) {
        this.clock = Math.max(this.clock, toMs);
        break;
      }
      this.closeTick(sink);
      this.tickStart = tickEnd;
      this.clock = tickEnd;
    }
  }

  /**
   * Stops new arrivals and sampling and runs on until every workflow and call in flight
   * has finished (at most `maxMs` of simulated time): what a gateway does when it drains.
   */
  drain(sink: SimSink, maxMs = HOUR_MS): void {
    this.arrivals = false;
    this.sampling = false;
    // nobody measures the GPUs any more: their time after the end is not the truth's either
    this.draining = true;
    const limit = this.tickStart + maxMs;
    while (this.queue.size > 0 && this.tickStart < limit) this.advance(this.tickStart + this.tickMs, sink);
  }

  private openTick(): void {
    const t = this.tickStart;
    this.tickOpen = true;
    const outages = this.topology.outages;
    for (const r of this.replicas) {
      if (r.up && t >= r.nextCrashMs) {
        r.up = false;
        r.downSinceMs = t;
        r.upAtMs = t + r.rng.uniform(outages.minutes[0], outages.minutes[1]) * 60_000;
        r.queue = 0;
        this.outages.push({ replica: r.id, fromMs: t, toMs: r.upAtMs });
      } else if (!r.up && t >= r.upAtMs) {
        r.up = true;
        // back at the first tick after the restart
        for (let i = this.outages.length - 1; i >= 0; i--) {
          if (this.outages[i]!.replica === r.id) {
            this.outages[i]!.toMs = t;
            break;
          }
        }
        r.counters = newCounters(t);
        r.nextCrashMs = t + r.rng.exponential(outages.mtbf_hours * HOUR_MS);
      }
      if (r.up) {
        if (Math.abs(r.ctxEwma - r.perfCtx) > 0.1 * r.perfCtx) {
          r.perf = replicaPerf(r.hw, r.ctxEwma);
          r.perfCtx = r.ctxEwma;
        }
        r.state = stepReplica(r.hw.gpu, r.perf, r.prev, r.queue, this.topology.tick_s);
        r.queue = r.state.queue;
      } else {
        r.state = idleState(r.hw.gpu, r.perf);
      }
    }
    if (this.arrivals) this.drawArrivals(t);
  }

  private drawArrivals(t: number): void {
    const tickIndex = Math.round(t / this.tickMs);
    const rng = Rng.of(this.seed, 'tick', tickIndex);
    const dtS = this.topology.tick_s;
    const mid = t + this.tickMs / 2;
    for (const tenant of this.topology.tenants) {
      const f = demandFactor(tenant, mid);
      for (const source of tenant.chat) {
        const n = rng.poisson(source.peak_rate_per_s * f * dtS);
        for (let i = 0; i < n; i++) {
          const at = t + rng.next() * this.tickMs;
          this.queue.push(at, { kind: 'chat', plan: { kind: 'chat', source, tenant: tenant.name, rng: rng.fork() } });
        }
      }
      for (const w of tenant.workflows) {
        const n = rng.poisson((w.peak_per_hour / 3600) * f * dtS);
        for (let i = 0; i < n; i++) {
          const at = t + rng.next() * this.tickMs;
          this.queue.push(at, { kind: 'workflow-start', tenant: tenant.name, name: w.workflow, rng: rng.fork() });
        }
      }
    }
  }

  private runEvents(until: number, sink: SimSink): void {
    for (;;) {
      const e = this.queue.peek();
      if (!e || e.t >= until) return;
      this.queue.pop();
      this.clock = Math.max(this.clock, e.t);
      this.handle(e, sink);
    }
  }

  private handle(e: QueuedEvent<EventBody>, sink: SimSink): void {
    const b = e.body;
    switch (b.kind) {
      case 'chat': {
        const { source, tenant, rng } = b.plan;
        this.startCall(e.t, rng, {
          tenant,
          model: source.model,
          inputTokens: drawTokens(rng, source.input_tokens),
          outputDist: source.output_tokens,
          timeoutS: source.timeout_s,
          traceId: rng.hex(16),
          spanId: rng.hex(8),
          run: undefined,
          step: undefined,
        });
        return;
      }
      case 'workflow-start': {
        const spec = this.topology.workflows[b.name]!;
        const run: WorkflowRun = {
          id: `wf-${b.rng.hex(8)}`,
          name: b.name,
          spec,
          tenant: b.tenant,
          rng: b.rng,
          attempt: 0,
          traceId: '',
          rootSpanId: '',
          attemptStartMs: e.t,
          plan: [],
          idx: 0,
          retries: 0,
          contextTokens: 0,
        };
        this.inFlight++;
        this.truth.workflowStarted(run.id, run.name, run.tenant, e.t);
        this.startAttempt(run, e.t);
        return;
      }
      case 'attempt-start':
        this.startAttempt(b.run, e.t);
        return;
      case 'step': {
        const run = b.run;
        const step = run.plan[run.idx]!;
        this.startCall(e.t, run.rng, {
          tenant: run.tenant,
          model: step.model,
          inputTokens: drawTokens(run.rng, step.input_tokens) + (step.carry_context ? run.contextTokens : 0),
          outputDist: step.output_tokens,
          timeoutS: run.spec.timeout_s,
          traceId: run.traceId,
          spanId: run.rng.hex(8),
          run,
          step: step.name,
        });
        return;
      }
      case 'call-end':
        this.endCall(b.call, b.run, b.served, b.replica, e.t, sink);
        return;
      case 'attempt-end': {
        sink.attempt(b.record);
        this.truth.attemptEnded(b.record.workflowId, b.record.outcome, b.record.endMs);
        const run = b.run;
        if (b.record.outcome !== 'success' && run.attempt < run.spec.max_attempts) {
          this.queue.push(e.t + run.rng.uniform(5_000, 30_000), { kind: 'attempt-start', run });
        } else {
          this.inFlight--;
        }
        return;
      }
    }
  }

  private startAttempt(run: WorkflowRun, t: number): void {
    run.attempt++;
    run.traceId = run.rng.hex(16);
    run.rootSpanId = run.rng.hex(8);
    run.attemptStartMs = t;
    run.plan = [];
    for (const s of run.spec.steps) {
      const n = s.repeat[0] + run.rng.int(s.repeat[1] - s.repeat[0] + 1);
      for (let i = 0; i < n; i++) run.plan.push(s);
    }
    run.idx = 0;
    run.retries = 0;
    run.contextTokens = 0;
    this.queue.push(t + run.rng.uniform(5, 40), { kind: 'step', run });
  }

  /** The replica the gateway sends a call to: by deployment capacity, avoiding replicas it knows are down. */
  private route(model: string, t: number, rng: Rng): Replica {
    const detectMs = this.topology.outages.detect_s * 1000;
    const healthy = (r: Replica) => r.up || t < r.downSinceMs + detectMs;
    const deps = this.byModel.get(model)!;
    const usable = deps.filter((d) => d.replicas.some(healthy));
    const pool = usable.length > 0 ? usable : deps;
    const dep = pool[rng.weighted(pool.map((d) => d.weight))]!;
    const candidates = dep.replicas.filter(healthy);
    const list = candidates.length > 0 ? candidates : dep.replicas;
    return list[rng.int(list.length)]!;
  }

  private startCall(
    t: number,
    rng: Rng,
    c: { tenant: string; model: string; inputTokens: number; outputDist: TokenDistribution; timeoutS: number; traceId: string; spanId: string; run: WorkflowRun | undefined; step: string | undefined },
  ): void {
    const replica = this.route(c.model, t, rng);
    const wanted = drawTokens(rng, c.outputDist);
    const hitLimit = wanted >= c.outputDist.max;
    const zTtft = rng.normal();
    const zItl = rng.normal();
    const netS = rng.uniform(0.004, 0.02);
    // every field written out: spreading records is the simulator's hottest path
    const call: CallRecord = {
      traceId: c.traceId,
      spanId: c.spanId,
      parentSpanId: c.run?.rootSpanId,
      startMs: t,
      endMs: t + netS * 1000,
      tenant: c.tenant,
      model: c.model,
      deployment: replica.deployment,
      endpoint: replica.endpoint,
      replica: replica.id,
      inputTokens: 0,
      outputTokens: 0,
      ttftS: undefined,
      errorType: '503',
      finishReason: 'error',
      workflowId: c.run?.id,
      workflowName: c.run?.name,
      step: c.step,
    };
    if (!replica.up) {
      // connection refused / 503 from the crashed server: nothing processed, nothing billed
      this.queue.push(call.endMs, { kind: 'call-end', call, run: c.run, served: undefined, replica });
      return;
    }
    const s = replica.state;
    const lat = requestLatency(s, c.inputTokens, wanted);
    const ttftS = lat.ttftS * Math.exp(0.15 * zTtft);
    const itlS = lat.itlS * Math.exp(0.08 * zItl);
    let input = c.inputTokens;
    let output = wanted;
    let e2eS = ttftS + (wanted - 1) * itlS + netS;
    let errorType: string | undefined;
    let finish: CallRecord['finishReason'] = hitLimit ? 'length' : 'stop';
    let firstToken: number | undefined = ttftS;
    if (ttftS >= c.timeoutS) {
      // the client gives up before the first token; if it was still queued, the server did nothing
      errorType = 'timeout';
      finish = 'abort';
      output = 0;
      firstToken = undefined;
      if (s.waitS * Math.exp(0.15 * zTtft) >= c.timeoutS) input = 0;
      e2eS = c.timeoutS;
    } else if (e2eS >= c.timeoutS) {
      errorType = 'timeout';
      finish = 'abort';
      output = Math.max(1, 1 + Math.floor((c.timeoutS - ttftS) / itlS));
      e2eS = c.timeoutS;
    }
    replica.acc.n += input > 0 ? 1 : 0;
    replica.acc.sumIn += input;
    replica.acc.sumOut += output;
    call.endMs = t + e2eS * 1000;
    call.inputTokens = input;
    call.outputTokens = output;
    call.ttftS = firstToken;
    call.errorType = errorType;
    call.finishReason = finish;
    const served = input > 0 || output > 0 ? { input, output, itlS, ttftS: firstToken, e2eS } : undefined;
    this.queue.push(call.endMs, { kind: 'call-end', call, run: c.run, served, replica });
  }

  private endCall(call: CallRecord, run: WorkflowRun | undefined, served: { input: number; output: number; itlS: number; ttftS: number | undefined; e2eS: number } | undefined, replica: Replica, t: number, sink: SimSink): void {
    if (served && replica.downSinceMs > call.startMs) {
      // the server crashed while streaming: the gateway gets what came before the reset
      const crashS = (replica.downSinceMs - call.startMs) / 1000;
      const ttft = served.ttftS;
      const output = ttft === undefined || crashS < ttft ? 0 : Math.min(call.outputTokens, 1 + Math.floor((crashS - ttft) / served.itlS));
      call.endMs = replica.downSinceMs + 5;
      call.outputTokens = output;
      call.ttftS = output > 0 ? ttft : undefined;
      call.errorType = '502';
      call.finishReason = 'error';
      served = undefined;
    }
    sink.call(call);
    this.truth.call(call);
    // the server counts what it processed (a crash took its counters with it)
    if (served) {
      const k = replica.counters;
      k.promptTokens += served.input;
      k.generationTokens += served.output;
      if (call.finishReason === 'stop' || call.finishReason === 'length' || call.finishReason === 'abort') k.success[call.finishReason]++;
      if (served.ttftS !== undefined) observe(k.ttft, served.ttftS);
      if (served.output > 1) observe(k.itl, served.itlS, served.output - 1);
      observe(k.e2e, served.e2eS);
    }
    if (!run) return;
    const spec = run.spec;
    if (call.errorType !== undefined) {
      if (run.retries < spec.call_retries) {
        run.retries++;
        this.queue.push(t + 1000 * 2 ** run.retries * run.rng.uniform(0.5, 1.5), { kind: 'step', run });
      } else {
        this.endAttempt(run, t, 'error');
      }
      return;
    }
    run.retries = 0;
    run.contextTokens += call.outputTokens;
    run.idx++;
    if (run.idx < run.plan.length) {
      this.queue.push(t + 1000 * run.rng.uniform(spec.tool_s[0], spec.tool_s[1]), { kind: 'step', run });
    } else {
      this.endAttempt(run, t, run.rng.chance(spec.failure_rate) ? 'failure' : 'success');
    }
  }

  private endAttempt(run: WorkflowRun, t: number, outcome: AttemptRecord['outcome']): void {
    const endMs = t + run.rng.uniform(2, 20);
    const record: AttemptRecord = {
      traceId: run.traceId,
      spanId: run.rootSpanId,
      startMs: run.attemptStartMs,
      endMs,
      tenant: run.tenant,
      workflowId: run.id,
      workflowName: run.name,
      attempt: run.attempt,
      outcome,
    };
    this.queue.push(endMs, { kind: 'attempt-end', run, record });
  }

  private closeTick(sink: SimSink): void {
    const dtS = this.topology.tick_s;
    const t = this.tickStart;
    for (const r of this.replicas) {
      const n = r.acc.n;
      r.prev = n > 0 ? { ratePerS: n / dtS, meanInputTokens: r.acc.sumIn / n, meanOutputTokens: r.acc.sumOut / n } : { ...r.prev, ratePerS: 0 };
      if (n > 0) r.ctxEwma += 0.05 * (r.acc.sumIn / n + r.acc.sumOut / n / 2 - r.ctxEwma);
      r.acc = { n: 0, sumIn: 0, sumOut: 0 };
    }
    for (const g of this.gpus) {
      const r = g.replica;
      const up = r !== undefined && r.up;
      const s = up ? r.state : undefined;
      const idle = g.spec.idle_w;
      g.activity = s ? s.activity : 0;
      g.powerW = s ? idle + (s.powerW - idle) * g.spread : idle * g.spread;
      g.fbUsedMiB = up ? Math.round(g.spec.memory_gib * 1024 * 0.9 + 600) : 0;
      g.tempC = 28 + 52 * ((g.powerW - idle) / (g.spec.max_w - idle)) + 100 * (g.spread - 1);
      const mj = g.powerW * dtS * 1000;
      g.energyMj += mj;
      if (!this.draining) this.truth.gpuTick(g.id, t, dtS, mj);
    }
    this.tickOpen = false;
    const end = t + this.tickMs;
    if (this.sampling && this.sampleMs > 0 && (end - this.startMs) % this.sampleMs === 0) {
      this.lastSampleMs = end;
      sink.sample?.(end);
    }
  }
}
