/**
 * A running simulated factory: the engine, its exporters' `/metrics` endpoints on
 * loopback, and its gateway sending OTLP to a collector. Two ways to run time:
 *
 * - `backfill(toMs)`: as fast as the collector takes it, with historical timestamps
 *   (backfill.ts);
 * - `startLive({ speed })`: in step with the wall clock, `speed` simulated seconds per
 *   real second. At speed 1 it first catches up to now, then spans go through the SDK's
 *   BatchSpanProcessor as they end, the exporters serve the values of the moment to a
 *   scraper (`metrics: 'scrape'`), and the gateway's own metrics
 *   (`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`) go out every 15 s
 *   through a PeriodicExportingMetricReader. Faster than real time the simulated clock
 *   runs ahead of the wall clock, which a scraper cannot follow: samples are then pushed
 *   as OTLP with their simulated timestamps (`metrics: 'push'`).
 *
 * Everything leaves through HTTP, so the same class runs in the caller's thread or in a
 * worker (simulator-host.ts).
 */
import { ValueType, type Histogram as OtelHistogram } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { backfill, type BackfillProgress, type BackfillResult, type TargetNames } from './backfill.js';
import { FactoryEngine, type CallRecord, type GpuUnit, type SimSink } from './engine.js';
import { DCGM_FIELDS, VLLM_FIELDS } from './exporter-fields.js';
import { DCGM_JOB, serveExporters, type ExporterEndpoint, type ServedExporters } from './exposition.js';
import type { GroundTruthData } from './ground-truth.js';
import { TargetSamples } from './otlp-metrics.js';
import { OtlpPush } from './otlp-push.js';
import { GATEWAY_RESOURCE, GATEWAY_SCOPE, PROVIDER_NAME, SpanEmitter } from './span-emitter.js';
import type { TopologyInput } from './topology.js';

export interface SimulationOptions {
  topology?: TopologyInput;
  seed?: number;
  /** where the factory's clock starts, ms */
  startMs: number;
  /** the collector's OTLP/HTTP base URL */
  otlpUrl: string;
  headers?: Record<string, string>;
  /** serve the exporters' /metrics endpoints (default true) */
  serve?: boolean;
  /** seconds between the exporter samples a backfill sends (default 60) */
  sampleIntervalS?: number;
  /** also send the samples of the start time (a fresh store: true; resuming after data already there: false) */
  sampleAtStart?: boolean;
}

export interface LiveOptions {
  /** simulated seconds per real second (default 1) */
  speed?: number;
  /** exporter samples: served for a scraper (`scrape`, speed 1 only) or pushed as OTLP (`push`); default by speed */
  metrics?: 'scrape' | 'push';
  /** seconds of simulated time between pushed samples (default 15) */
  pushIntervalS?: number;
}

const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

interface LiveState {
  speed: number;
  simStart: number;
  wallStart: number;
  timer: NodeJS.Timeout;
  emitter: SpanEmitter;
  meters: MeterProvider | undefined;
  pushing: Promise<void>;
  stopped: boolean;
}

export class Simulation {
  readonly engine: FactoryEngine;
  readonly push: OtlpPush;
  private served: ServedExporters | undefined;
  private live: LiveState | undefined;
  private liveSink: SimSink | undefined;
  private readonly sampleIntervalS: number;

  private constructor(private readonly opts: SimulationOptions) {
    this.sampleIntervalS = opts.sampleIntervalS ?? 60;
    this.engine = new FactoryEngine({
      ...(opts.topology !== undefined ? { topology: opts.topology } : {}),
      seed: opts.seed ?? 42,
      startMs: opts.startMs,
      sampleIntervalS: this.sampleIntervalS,
      sampleAtStart: opts.sampleAtStart ?? true,
    });
    this.push = new OtlpPush({ url: opts.otlpUrl, ...(opts.headers ? { headers: opts.headers } : {}) });
  }

  static async create(opts: SimulationOptions): Promise<Simulation> {
    const sim = new Simulation(opts);
    if (opts.serve !== false) {
      sim.served = await serveExporters(sim.engine, {
        available: () => sim.live !== undefined && !sim.live.stopped && sim.live.speed === 1,
        beforeScrape: () => sim.catchUp(),
      });
    }
    return sim;
  }

  get endpoints(): ExporterEndpoint[] {
    return this.served?.endpoints ?? [];
  }

  /** The exporters' scrape identities: the served endpoints' when served, else stable names. */
  private targetNames(): TargetNames | undefined {
    if (!this.served) return undefined;
    const byName = new Map(this.served.endpoints.map((e) => [e.name, e]));
    return {
      dcgm: (node) => ({ job: DCGM_JOB, instance: byName.get(node)!.instance }),
      vllm: (r) => ({ job: r.deployment, instance: byName.get(r.id)!.instance }),
    };
  }

  async backfill(toMs: number, opts: { drain?: boolean; onProgress?: (p: BackfillProgress) => void } = {}): Promise<BackfillResult> {
    if (this.live) throw new Error('the simulation is live: stop it before a backfill');
    this.engine.setSampleInterval(this.sampleIntervalS);
    const names = this.targetNames();
    return backfill({
      engine: this.engine,
      toMs,
      push: this.push,
      ...(names ? { targets: names } : {}),
      ...(opts.drain !== undefined ? { drain: opts.drain } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  }

  async startLive(opts: LiveOptions = {}): Promise<void> {
    if (this.live) return;
    const speed = opts.speed ?? 1;
    if (!(speed > 0)) throw new Error(`speed ${speed}: expected a positive number`);
    const mode = opts.metrics ?? (speed === 1 && this.served ? 'scrape' : 'push');
    if (mode === 'scrape' && (speed !== 1 || !this.served)) throw new Error('scraping needs speed 1 and served exporters');
    // at speed 1 the simulated clock is the wall clock: first catch up to it
    if (speed === 1 && this.engine.now < Date.now() - 1000) await this.backfill(Date.now());
    this.engine.setSampleInterval(mode === 'push' ? (opts.pushIntervalS ?? 15) : 0);
    const emitter = new SpanEmitter(new BatchSpanProcessor(this.push.traces, { maxQueueSize: 200_000, maxExportBatchSize: 4096, scheduledDelayMillis: 1000 }));
    const meters = speed === 1 ? this.gatewayMeters() : undefined;
    const names = this.targetNames();
    const dcgm = this.engine.topology.nodes.map((n) => ({
      gpus: this.engine.gpus.filter((g) => g.node === n.name) as readonly GpuUnit[],
      samples: new TargetSamples(names ? names.dcgm(n.name) : { job: DCGM_JOB, instance: `${n.name}:9400` }, DCGM_FIELDS),
    }));
    const vllm = this.engine.replicas.map((r) => ({ replica: r, samples: new TargetSamples(names ? names.vllm(r) : { job: r.deployment, instance: `${r.pod}:8000` }, VLLM_FIELDS) }));
    const record = meters?.record;
    const sink: SimSink = {
      call: (c) => {
        emitter.call(c);
        record?.(c);
      },
      attempt: (a) => emitter.attempt(a),
      sample: (t) => {
        for (const d of dcgm) d.samples.add(t, d.gpus);
        for (const v of vllm) if (v.replica.up) v.samples.add(t, v.replica);
      },
    };
    const live: LiveState = {
      speed,
      simStart: this.engine.now,
      wallStart: Date.now(),
      emitter,
      meters: meters?.provider,
      pushing: Promise.resolve(),
      stopped: false,
      timer: setInterval(() => {
        this.advanceLive(sink);
        const batches = [...dcgm, ...vllm].map((t) => ({ points: t.samples.points, rm: t.samples.take() })).filter((b) => b.rm !== undefined);
        if (batches.length > 0) {
          live.pushing = live.pushing.then(async () => {
            for (const b of batches) await this.push.resourceMetrics(b.rm!, b.points);
          });
        }
      }, 250),
    };
    this.liveSink = sink;
    this.live = live;
  }

  /** Simulated now of the live clock. */
  private liveNow(): number {
    const l = this.live!;
    return l.simStart + l.speed * (Date.now() - l.wallStart);
  }

  private advanceLive(sink: SimSink): void {
    if (!this.live || this.live.stopped) return;
    this.engine.advance(this.liveNow(), sink);
  }

  /** Before a scrape: the engine reaches now, so the scrape sees the values of its moment. */
  private catchUp(): void {
    if (this.liveSink) this.advanceLive(this.liveSink);
  }

  async stopLive(): Promise<void> {
    const l = this.live;
    if (!l) return;
    l.stopped = true;
    clearInterval(l.timer);
    await l.pushing.catch(() => {});
    await l.emitter.shutdown();
    await l.meters?.shutdown();
    await this.push.flush();
    this.live = undefined;
    this.liveSink = undefined;
  }

  /** The gateway's own OTLP metrics (GenAI semantic conventions), exported every 15 s. */
  private gatewayMeters(): { provider: MeterProvider; record: (c: CallRecord) => void } {
    const exporter = new OTLPMetricExporter({ url: `${this.opts.otlpUrl.replace(/\/+$/, '')}/v1/metrics`, headers: this.opts.headers ?? {} });
    const provider = new MeterProvider({
      resource: resourceFromAttributes(GATEWAY_RESOURCE),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 15_000 })],
    });
    const meter = provider.getMeter(GATEWAY_SCOPE.name, GATEWAY_SCOPE.version);
    const tokens: OtelHistogram = meter.createHistogram('gen_ai.client.token.usage', {
      unit: '{token}',
      description: 'Number of input and output tokens used',
      valueType: ValueType.INT,
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    });
    const duration: OtelHistogram = meter.createHistogram('gen_ai.client.operation.duration', {
      unit: 's',
      description: 'GenAI operation duration',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    return {
      provider,
      record: (c) => {
        const base = {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': PROVIDER_NAME,
          'gen_ai.request.model': c.model,
          'server.address': c.endpoint,
          'tenant.id': c.tenant,
        };
        duration.record((c.endMs - c.startMs) / 1000, c.errorType !== undefined ? { ...base, 'error.type': c.errorType } : { ...base, 'gen_ai.response.model': c.model });
        if (c.inputTokens > 0) tokens.record(c.inputTokens, { ...base, 'gen_ai.token.type': 'input' });
        if (c.outputTokens > 0) tokens.record(c.outputTokens, { ...base, 'gen_ai.token.type': 'output' });
      },
    };
  }

  truth(): GroundTruthData {
    return this.engine.truth.data();
  }

  async close(): Promise<void> {
    await this.stopLive();
    await this.push.shutdown();
    await this.served?.close();
  }
}
