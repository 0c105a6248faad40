/**
 * Synthetic AI-gateway spans for the ingest benchmark: OTLP trace export requests as an
 * AI gateway's SDK sends them — one resource (a gateway instance) and one scope per
 * request, CLIENT spans named `chat <model>` with the GenAI semantic-convention attributes
 * a gateway sets (operation, provider, request/response model, token usage, TTFT,
 * temperature, streaming flag, finish reasons), a tenant, the upstream server, and now
 * and then a parent span, an event, a link and an error status.
 *
 * Deterministic (a seeded PRNG): the same arguments give the same bytes. Encoded as
 * OTLP/protobuf with the protobufjs code generated from the official .proto
 * (`otlp-proto`, see collectors/otlp/otlp-proto.ts) and as OTLP/JSON (hex ids, enums as
 * integers, 64-bit integers as strings, as the OTLP/JSON mapping specifies).
 */
import { createRequire } from 'node:module';

const MODELS = ['meta/llama-3.1-70b-instruct', 'meta/llama-3.1-8b-instruct', 'mistralai/mixtral-8x22b-instruct', 'qwen/qwen2.5-72b-instruct', 'deepseek-ai/deepseek-r1'];
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];
const FINISH_REASONS = ['stop', 'stop', 'stop', 'length', 'tool_calls'];

/** 2026-01-01T00:00:00Z in unix ns */
const T0_NS = 1_767_225_600_000_000_000n;

type Value = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: Value[] } };
interface KeyValue {
  key: string;
  value: Value;
}
interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  events: { timeUnixNano: string; name: string; attributes: KeyValue[] }[];
  links: { traceId: Uint8Array; spanId: Uint8Array; attributes: KeyValue[] }[];
  status: { code: number; message?: string };
}
export interface TraceRequest {
  resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { scope: { name: string; version: string }; spans: Span[] }[] }[];
}

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const s = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });
const i = (key: string, v: number): KeyValue => ({ key, value: { intValue: String(v) } });
const d = (key: string, v: number): KeyValue => ({ key, value: { doubleValue: v } });
const b = (key: string, v: boolean): KeyValue => ({ key, value: { boolValue: v } });

/**
 * Request number `index` of a run: `spans` spans, starting at span number
 * `index * spans` of a run spread over 24 hours from 2026-01-01 (`totalSpans` in all).
 */
export function genAiTraceRequest(index: number, spans: number, totalSpans: number): TraceRequest {
  const rand = prng(0x5eed + index);
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = Math.floor(rand() * 256);
    return out;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const instance = index % 4;
  const stepNs = (86_400n * 1_000_000_000n) / BigInt(Math.max(totalSpans, 1));
  const list: Span[] = [];
  for (let k = 0; k < spans; k++) {
    const n = index * spans + k;
    const model = pick(MODELS);
    const input = 50 + Math.floor(rand() * 4000);
    const output = 1 + Math.floor(rand() * 1000);
    const ttft = 0.02 + rand() * 0.8;
    const durationNs = BigInt(Math.floor((ttft + output * (0.005 + rand() * 0.03)) * 1e9));
    const start = T0_NS + BigInt(n) * stepNs;
    const error = rand() < 0.02;
    const traceId = bytes(16);
    const attributes: KeyValue[] = [
      s('gen_ai.operation.name', 'chat'),
      s('gen_ai.provider.name', 'vllm'),
      s('gen_ai.request.model', model),
      s('gen_ai.response.model', model),
      s('gen_ai.response.id', `chatcmpl-${n.toString(36)}`),
      i('gen_ai.request.max_tokens', 1024),
      d('gen_ai.request.temperature', pick([0, 0.2, 0.7, 1])),
      b('gen_ai.request.stream', rand() < 0.8),
      i('gen_ai.usage.input_tokens', input),
      i('gen_ai.usage.output_tokens', output),
      d('gen_ai.server.time_to_first_token', Math.round(ttft * 1e6) / 1e6),
      { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: error ? 'error' : pick(FINISH_REASONS) }] } } },
      s('tenant.id', pick(TENANTS)),
      s('server.address', `vllm-${Math.floor(rand() * 16)}.gpu.internal`),
      i('server.port', 8000),
    ];
    if (error) attributes.push(s('error.type', pick(['timeout', '503', 'rate_limited'])));
    list.push({
      traceId,
      spanId: bytes(8),
      ...(rand() < 0.5 ? { parentSpanId: bytes(8) } : {}),
      name: `chat ${model}`,
      kind: 3, // CLIENT
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + durationNs),
      attributes,
      events: rand() < 0.1 ? [{ timeUnixNano: String(start + BigInt(Math.floor(ttft * 1e9))), name: 'gen_ai.first_token', attributes: [i('gen_ai.token.index', 0)] }] : [],
      links: rand() < 0.01 ? [{ traceId: bytes(16), spanId: bytes(8), attributes: [s('gen_ai.link.reason', 'retry')] }] : [],
      status: error ? { code: 2, message: 'upstream error' } : { code: 0 },
    });
  }
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            s('service.name', 'ai-gateway'),
            s('service.version', '2.3.1'),
            s('service.instance.id', `gateway-${instance}`),
            s('deployment.environment.name', 'prod'),
            s('host.name', `gw-node-${instance}`),
          ],
        },
        scopeSpans: [{ scope: { name: 'gen-ai-gateway', version: '2.3.1' }, spans: list }],
      },
    ],
  };
}

interface GeneratedType {
  encode(m: unknown): { finish(): Uint8Array };
}

let requestType: GeneratedType | undefined;

/**
 * OTLP/protobuf bytes of `request` (the official .proto compiled by protobufjs, from
 * `otlp-proto`). `request` already has the generated code's shape (bytes as Uint8Array,
 * 64-bit values as decimal strings), so it is encoded without `fromObject`.
 */
export function encodeProtobuf(request: TraceRequest): Uint8Array {
  if (!requestType) {
    const require = createRequire(import.meta.url);
    const path = require.resolve('otlp-proto/build/esm/generated/root.js');
    const root = createRequire(path)(path) as { opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: GeneratedType } } } } } };
    requestType = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  }
  return requestType.encode(request).finish();
}

const hex = (id: Uint8Array): string => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');

/** OTLP/JSON of `request`: ids in hex, enums as integers, 64-bit integers as strings. */
export function encodeJson(request: TraceRequest): string {
  return JSON.stringify(request, (key, value: unknown) => (value instanceof Uint8Array ? hex(value) : value));
}
