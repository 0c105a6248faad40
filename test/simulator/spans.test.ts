/**
 * The gateway's spans as the collector decodes them: made with the OpenTelemetry SDK from
 * the engine's records, serialised by the SDK's OTLP protobuf serializer, decoded by the
 * receiver's decoder. And load mode's payloads: templates whose ids and times are
 * rewritten per send, checked the same way, then sent to a live HTTP endpoint.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeOtlp } from '../../collectors/otlp/decode-otlp.js';
import type { AttemptRecord, CallRecord } from '../../simulator/engine.js';
import { instantiate, makeTemplate, runLoad } from '../../simulator/load.js';
import { Rng } from '../../simulator/rng.js';
import { CollectingSpanProcessor, SpanEmitter } from '../../simulator/span-emitter.js';

/** 2026-11-18T12:00:00Z */
const T = Date.UTC(2026, 10, 18, 12);

const call: CallRecord = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  parentSpanId: '00f067aa0ba902b7',
  startMs: T + 250.5,
  endMs: T + 4250.5,
  tenant: 'acme',
  model: 'meta/llama-3.1-70b-instruct',
  deployment: 'llama-70b-b200',
  endpoint: 'llama-70b-b200.inference.svc',
  replica: 'llama-70b-b200-1',
  inputTokens: 12000,
  outputTokens: 350,
  ttftS: 0.4123456,
  errorType: 'timeout',
  finishReason: 'abort',
  workflowId: 'wf-1234abcd',
  workflowName: 'support-agent',
  step: 'draft',
};
const attempt: AttemptRecord = {
  traceId: call.traceId,
  spanId: '00f067aa0ba902b7',
  startMs: T,
  endMs: T + 5000,
  tenant: 'acme',
  workflowId: 'wf-1234abcd',
  workflowName: 'support-agent',
  attempt: 2,
  outcome: 'error',
};

describe('gateway spans', () => {
  it('carry the GenAI attributes, the tenant, the workflow, ids and times through OTLP/protobuf', () => {
    const processor = new CollectingSpanProcessor();
    const emitter = new SpanEmitter(processor);
    emitter.call(call);
    emitter.attempt(attempt);
    const rows = decodeOtlp(ProtobufTraceSerializer.serializeRequest(processor.take())!, { format: 'protobuf', signal: 'traces' }).otel_traces;
    expect(rows).toHaveLength(2);
    const [chat, root] = rows;
    expect(chat).toMatchObject({
      TraceId: call.traceId,
      SpanId: call.spanId,
      ParentSpanId: '00f067aa0ba902b7',
      SpanName: 'chat meta/llama-3.1-70b-instruct',
      SpanKind: 'Client',
      ServiceName: 'ai-gateway',
      ScopeName: 'token-factory-simulator/gateway',
      // 2026-11-18T12:00:00.2505Z = 1,795,003,200.2505 s; 4 s long
      Timestamp: '1795003200250500000',
      Duration: '4000000000',
      StatusCode: 'Error',
      StatusMessage: 'client timeout',
    });
    expect(chat!.SpanAttributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': 'meta/llama-3.1-70b-instruct',
      'gen_ai.response.model': 'meta/llama-3.1-70b-instruct',
      'gen_ai.usage.input_tokens': '12000',
      'gen_ai.usage.output_tokens': '350',
      'gen_ai.server.time_to_first_token': '0.412346',
      'gen_ai.response.finish_reasons': '["abort"]',
      'server.address': 'llama-70b-b200.inference.svc',
      'server.port': '8000',
      'tenant.id': 'acme',
      'error.type': 'timeout',
      'workflow.id': 'wf-1234abcd',
      'workflow.step': 'draft',
    });
    expect(root).toMatchObject({ TraceId: call.traceId, SpanId: '00f067aa0ba902b7', ParentSpanId: '', SpanName: 'invoke_agent support-agent', SpanKind: 'Internal', StatusCode: 'Error', Duration: '5000000000' });
    expect(root!.SpanAttributes).toEqual({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-agent',
      'workflow.id': 'wf-1234abcd',
      'workflow.name': 'support-agent',
      'workflow.outcome': 'error',
      'workflow.attempt': '2',
      'tenant.id': 'acme',
    });
  });

  it('a call refused by a crashed server has no response model, no first token, no finish reason', () => {
    const processor = new CollectingSpanProcessor();
    new SpanEmitter(processor).call({ ...call, parentSpanId: undefined, workflowId: undefined, step: undefined, inputTokens: 0, outputTokens: 0, ttftS: undefined, errorType: '503', finishReason: 'error' });
    const [row] = decodeOtlp(ProtobufTraceSerializer.serializeRequest(processor.take())!, { format: 'protobuf', signal: 'traces' }).otel_traces;
    expect(row!.ParentSpanId).toBe('');
    expect(Object.keys(row!.SpanAttributes).sort()).toEqual(
      ['error.type', 'gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'server.address', 'server.port', 'tenant.id'].sort(),
    );
  });
});

describe('load mode', () => {
  it('rewrites every span’s ids and times in a copy of the template, nothing else', () => {
    const rng = Rng.of(1, 'test');
    const t = makeTemplate(50, rng, undefined, T);
    const decode = (b: Uint8Array) => decodeOtlp(b, { format: 'protobuf', signal: 'traces' }).otel_traces;
    const before = decode(t.bytes);
    const shiftNs = 90_000_000_123n;
    const after = decode(instantiate(t, rng, shiftNs));
    expect(after).toHaveLength(50);
    const ids = new Set([...before, ...after].map((r) => `${r.TraceId}/${r.SpanId}`));
    expect(ids.size).toBe(100);
    after.forEach((r, i) => {
      const b = before[i]!;
      expect(BigInt(r.Timestamp) - BigInt(b.Timestamp)).toBe(shiftNs);
      expect(r.Duration).toBe(b.Duration);
      expect({ ...r, TraceId: '', SpanId: '', Timestamp: '' }).toEqual({ ...b, TraceId: '', SpanId: '', Timestamp: '' });
    });
    // the template's spans all end at T
    expect(before.every((r) => BigInt(r.Timestamp) + BigInt(r.Duration) === BigInt(T) * 1_000_000n)).toBe(true);
  });

  it('sends at the rate to an OTLP/HTTP endpoint; every span acknowledged is a new one', async () => {
    const seen = new Set<string>();
    let bad = 0;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          for (const r of decodeOtlp(Buffer.concat(chunks), { format: 'protobuf', signal: 'traces' }).otel_traces) seen.add(`${r.TraceId}/${r.SpanId}`);
        } catch {
          bad++;
        }
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await runLoad({ url, ratePerS: 2000, durationS: 1.5, batch: 200, templates: 2 });
      // 2000/s × 1.5 s = 3000 spans due; batches of 200 fall due every 0.1 s: the 15th at 1.5 s is cut off
      expect(r.sent).toBeGreaterThanOrEqual(2600);
      expect(r.sent).toBeLessThanOrEqual(3000);
      expect(r.sent % 200).toBe(0);
      expect([r.acked, r.failed, bad]).toEqual([r.sent, 0, 0]);
      expect(seen.size).toBe(r.sent);
    } finally {
      server.close();
    }
  });
});
