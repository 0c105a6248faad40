/**
 * Load mode (`token-factory simulate --rate R --duration D --target URL`): gateway spans
 * at a fixed rate to an OTLP/HTTP endpoint, for benchmarking a collector.
 *
 * Making and serialising spans costs more than a collector needs to take them, so the
 * generator makes its payloads once: `templates` export requests of `batch` spans each —
 * the simulator's gateway spans (span-emitter.ts: GenAI attributes, a tenant, a deployment
 * endpoint), made with the OpenTelemetry SDK and serialised by its OTLP protobuf
 * serializer. Each send copies a template and rewrites, in place, every span's trace id
 * and span id (fresh seeded random ids: every span sent is a new span) and its start and
 * end time (shifted to now). The bytes are otherwise exactly what the SDK's
 * `OTLPTraceExporter` (protobuf) sends; they go over keep-alive HTTP, at most
 * `maxInFlight` requests outstanding, retrying 429/502/503/504 after `Retry-After`.
 *
 * The loop is closed: when the endpoint is slower than the rate, the generator waits for
 * it, so the acknowledged rate is what the endpoint sustained. It stops after `durationS`.
 */
import { Agent, request } from 'node:http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { CallRecord } from './engine.js';
import { Rng } from './rng.js';
import { CollectingSpanProcessor, SpanEmitter } from './span-emitter.js';
import { DEMO_TOPOLOGY, parseTopology, type TopologyInput } from './topology.js';

export interface LoadOptions {
  /** OTLP/HTTP base URL */
  url: string;
  ratePerS: number;
  durationS: number;
  /** spans per export request (default 1000) */
  batch?: number;
  /** export requests outstanding (default 4) */
  maxInFlight?: number;
  /** distinct payloads to cycle through (default 8) */
  templates?: number;
  seed?: number;
  topology?: TopologyInput;
  headers?: Record<string, string>;
  /** about every second: spans sent, acknowledged and failed so far */
  onProgress?: (p: { elapsedS: number; sent: number; acked: number; failed: number }) => void;
}

export interface LoadResult {
  /** spans sent (in requests that got an answer) */
  sent: number;
  /** spans the endpoint acknowledged (2xx) */
  acked: number;
  /** spans of requests refused for good (4xx, or retries exhausted) */
  failed: number;
  seconds: number;
  target_spans_per_s: number;
  acked_spans_per_s: number;
  export_ms_p50: number | null;
  export_ms_p99: number | null;
}

/** A serialised export request and where its spans' ids and times sit. */
export interface Template {
  bytes: Buffer;
  /** offsets of each span's 16-byte trace id, 8-byte span id, and fixed64 start/end times */
  traceIdAt: number[];
  spanIdAt: number[];
  startAt: number[];
  endAt: number[];
  /** the templates' span end time, unix ns */
  baseNs: bigint;
}

function indexOfAll(buf: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) out.push(at);
  return out;
}

function fixed64(ns: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(ns);
  return b;
}

/**
 * `count` spans made with the SDK from the topology's chat traffic, serialised as one
 * OTLP/protobuf export request, with the offsets to rewrite.
 */
export function makeTemplate(count: number, rng: Rng, topology = parseTopology(DEMO_TOPOLOGY), nowMs = Date.now()): Template {
  const processor = new CollectingSpanProcessor();
  const emitter = new SpanEmitter(processor);
  const sources = topology.tenants.flatMap((t) => t.chat.map((c) => ({ tenant: t.name, source: c })));
  const calls: CallRecord[] = [];
  for (let i = 0; i < count; i++) {
    const { tenant, source } = sources[rng.int(sources.length)]!;
    const deps = topology.deployments.filter((d) => d.model === source.model);
    const dep = deps[rng.int(deps.length)]!;
    const output = Math.max(1, Math.min(source.output_tokens.max, Math.round(rng.lognormal(source.output_tokens.median, source.output_tokens.sigma))));
    const ttftS = rng.lognormal(0.2, 0.5);
    const e2eMs = Math.round((ttftS + output * rng.lognormal(0.02, 0.2)) * 1000);
    const call: CallRecord = {
      traceId: rng.hex(16),
      spanId: rng.hex(8),
      parentSpanId: undefined,
      startMs: nowMs - e2eMs,
      endMs: nowMs,
      tenant,
      model: source.model,
      deployment: dep.name,
      endpoint: dep.endpoint,
      replica: `${dep.name}-0`,
      inputTokens: Math.max(1, Math.round(rng.lognormal(source.input_tokens.median, source.input_tokens.sigma))),
      outputTokens: output,
      ttftS,
      errorType: undefined,
      finishReason: 'stop',
      workflowId: undefined,
      workflowName: undefined,
      step: undefined,
    };
    calls.push(call);
    emitter.call(call);
  }
  const bytes = Buffer.from(ProtobufTraceSerializer.serializeRequest(processor.take())!);
  const t: Template = { bytes, traceIdAt: [], spanIdAt: [], startAt: [], endAt: [], baseNs: BigInt(nowMs) * 1_000_000n };
  const one = (list: number[], what: string) => {
    if (list.length !== 1) throw new Error(`load template: ${what} found ${list.length} times`);
    return list[0]!;
  };
  const endNeedle = Buffer.concat([Buffer.from([0x41]), fixed64(t.baseNs)]);
  const ends = indexOfAll(bytes, endNeedle);
  for (const c of calls) {
    // Span: 1 trace_id (tag 0x0a, length 16), 2 span_id (0x12, 8), 7 start (0x39, fixed64), 8 end (0x41, fixed64)
    const traceAt = one(indexOfAll(bytes, Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.from(c.traceId, 'hex')])), 'a trace id') + 2;
    t.traceIdAt.push(traceAt);
    t.spanIdAt.push(one(indexOfAll(bytes, Buffer.concat([Buffer.from([0x12, 0x08]), Buffer.from(c.spanId, 'hex')])), 'a span id') + 2);
    t.startAt.push(one(indexOfAll(bytes, Buffer.concat([Buffer.from([0x39]), fixed64(BigInt(c.startMs) * 1_000_000n)])).filter((at) => at > traceAt && at - traceAt < 200), 'a start time') + 1);
    const end = ends.find((at) => at > traceAt);
    if (end === undefined) throw new Error('load template: an end time not found');
    t.endAt.push(end + 1);
  }
  return t;
}

/** A copy of the template with fresh ids and times shifted by `shiftNs`. */
export function instantiate(t: Template, rng: Rng, shiftNs: bigint): Buffer {
  const b = Buffer.from(t.bytes);
  for (let i = 0; i < t.traceIdAt.length; i++) {
    const ta = t.traceIdAt[i]!;
    for (let k = 0; k < 16; k += 4) b.writeUInt32LE(rng.u32(), ta + k);
    const sa = t.spanIdAt[i]!;
    b.writeUInt32LE((rng.u32() | 1) >>> 0, sa);
    b.writeUInt32LE(rng.u32(), sa + 4);
    b.writeBigUInt64LE(b.readBigUInt64LE(t.startAt[i]!) + shiftNs, t.startAt[i]!);
    b.writeBigUInt64LE(b.readBigUInt64LE(t.endAt[i]!) + shiftNs, t.endAt[i]!);
  }
  return b;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (!(opts.ratePerS > 0)) throw new Error(`rate ${opts.ratePerS}: expected spans per second > 0`);
  if (!(opts.durationS > 0)) throw new Error(`duration ${opts.durationS}: expected seconds > 0`);
  const batch = Math.max(1, Math.floor(opts.batch ?? 1000));
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
  const topology = parseTopology(opts.topology ?? DEMO_TOPOLOGY);
  const rng = Rng.of(opts.seed ?? 42, 'load', Date.now());
  const templates = Array.from({ length: Math.max(1, opts.templates ?? 8) }, () => makeTemplate(batch, rng, topology));
  const url = new URL(`${opts.url.replace(/\/+$/, '')}/v1/traces`);
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const latencies: number[] = [];
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;

  const post = (body: Buffer): Promise<{ status: number; retryAfterS: number }> =>
    new Promise((resolve) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length, ...(opts.headers ?? {}) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfterS: Number(res.headers['retry-after'] ?? 1) || 1 }));
        },
      );
      req.on('error', () => resolve({ status: 0, retryAfterS: 1 }));
      req.end(body);
    });

  const send = async (body: Buffer, spans: number): Promise<void> => {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const r = await post(body);
      if (r.status >= 200 && r.status < 300) {
        acked += spans;
        break;
      }
      if ((!RETRYABLE.has(r.status) && r.status !== 0) || attempt >= 5) {
        failed += spans;
        break;
      }
      await new Promise((res) => setTimeout(res, Math.min(30, r.retryAfterS) * 1000));
    }
    latencies.push(performance.now() - started);
    sent += spans;
  };

  const started = performance.now();
  const wallStartNs = BigInt(Date.now()) * 1_000_000n;
  let made = 0;
  let next = 0;
  let lastReport = 0;
  const jobs: Promise<void>[] = [];
  for (;;) {
    const elapsedS = (performance.now() - started) / 1000;
    if (elapsedS >= opts.durationS) break;
    if (opts.onProgress && elapsedS - lastReport >= 1) {
      lastReport = Math.floor(elapsedS);
      opts.onProgress({ elapsedS, sent, acked, failed });
    }
    const due = Math.floor(opts.ratePerS * elapsedS);
    if (due - made < batch || inFlight >= maxInFlight) {
      // wait for a batch to fall due or a request to finish (at least a millisecond, so I/O runs)
      const untilDueMs = ((made + batch) / opts.ratePerS - elapsedS) * 1000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(50, untilDueMs)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      continue;
    }
    const t = templates[next++ % templates.length]!;
    const shift = wallStartNs + BigInt(Math.round(elapsedS * 1e9)) - t.baseNs;
    const body = instantiate(t, rng, shift);
    made += batch;
    inFlight++;
    jobs.push(
      send(body, batch).finally(() => {
        inFlight--;
        wake?.();
      }),
    );
  }
  await Promise.all(jobs);
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! * 10) / 10 : null);
  return {
    sent,
    acked,
    failed,
    seconds: Math.round(seconds * 1000) / 1000,
    target_spans_per_s: opts.ratePerS,
    acked_spans_per_s: Math.round(acked / seconds),
    export_ms_p50: q(0.5),
    export_ms_p99: q(0.99),
  };
}
