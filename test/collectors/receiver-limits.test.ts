/**
 * The receiver's memory bound, without a store: request bodies in flight share a budget
 * (over it: 429 with Retry-After, whether the sender declares a Content-Length or streams
 * chunks), and a receiver that is shutting down answers 503. Nothing refused is spooled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollectorMetrics } from '../../collectors/observability/collector-metrics.js';
import { createOtlpReceiver, type OtlpReceiver } from '../../collectors/otlp/receiver.js';
import { Spool } from '../../collectors/writer/spool.js';
import { encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';

let dir: string;
let spool: Spool;
let receiver: OtlpReceiver;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-receiver-limits-'));
  spool = Spool.open(dir, { maxBatchAgeMs: 60_000 });
  receiver = createOtlpReceiver({ spool, metrics: createCollectorMetrics({ processMetrics: false }), maxInflightBytes: 4096, maxBodyBytes: 1024 * 1024 });
  server = receiver.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await spool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('receiver limits', () => {
  it('answers 429 with Retry-After for a body over the in-flight budget, declared or streamed', async () => {
    const body = encodeProtobuf(genAiTraceRequest(1, 20, 20));
    expect(body.length).toBeGreaterThan(4096);
    let r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(Buffer.from(await r.arrayBuffer()).toString()).toContain('the receiver holds as many request bytes as it may: retry shortly');

    const chunks = [body.subarray(0, 3000), body.subarray(3000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    r = await fetch(url, { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'application/x-protobuf' } } as RequestInit);
    expect(r.status).toBe(429);
    expect(receiver.budget.inUse).toBe(0);
    expect(spool.bytes).toBe(0);

    // a body within the budget is taken
    r = await fetch(url, { method: 'POST', body: encodeProtobuf(genAiTraceRequest(2, 2, 2)), headers: { 'content-type': 'application/x-protobuf' } });
    expect(r.status).toBe(200);
    expect(receiver.budget.inUse).toBe(0);
    expect(spool.queuedItems.traces).toBe(2);
  });

  it('answers 503 with Retry-After once it stops accepting', async () => {
    receiver.stopAccepting();
    const r = await fetch(url, { method: 'POST', body: '{"resourceSpans":[]}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(await r.json()).toEqual({ code: 14, message: 'the collector is shutting down' });
  });
});
