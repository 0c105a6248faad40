/**
 * The engine path (ClickHouse parses and flattens OTLP/protobuf) against the JS decoder:
 * for payloads serialised by the OpenTelemetry JS SDK, and for hand-built payloads with
 * the value kinds the SDK never sends (bytes, kvlists, empty values, NaN, zero ids), the
 * rows stored in `otel_traces` must be exactly the same. Malformed payloads must give a
 * DecodeError and write nothing; payloads the engine SQL does not render must fall back
 * to the JS decoder. Embedded ClickHouse only (a server cannot be installed here).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { DecodeError } from '../../core/errors.js';
import { StagedLoad } from '../writer/staged-load.js';
import { ingestFiles, type IngestOptions } from '../ingest/ingest-files.js';
import { genAiTraceExport, CHAT_SPAN_ID, TRACE_ID, LINKED_TRACE_ID } from '../../test/fixtures/otlp/sdk-genai-export.js';
import { stageTracesProtobuf } from './stage-traces.js';
import { traceRequestSchema } from './proto-schema.js';

let dir: string;
let store: Store;
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-otlp-engine-'));
  store = await openStore({ kind: 'embedded', path: join(dir, 'store') }, { command: 'test' });
  await migrate(store);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await store.client.command({ query: 'TRUNCATE TABLE otel_traces' });
});

function writePayload(bytes: Uint8Array, ext = '.binpb'): string {
  const sub = join(dir, `p${++n}`);
  mkdirSync(sub);
  const path = join(sub, `payload${ext}`);
  writeFileSync(path, bytes);
  return path;
}

type Row = Record<string, unknown>;

async function storedRows(): Promise<Row[]> {
  const rs = await store.client.query({
    query: 'SELECT * FROM otel_traces ORDER BY TraceId, SpanId',
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  return rs.json<Row>();
}

/** Ingests `paths` with `decoder`, returns the summary and the rows stored, leaving the table empty. */
async function ingest(paths: string[], decoder: IngestOptions['decoder']) {
  const summary = await ingestFiles(store, paths, { signal: 'traces', decoder });
  const rows = await storedRows();
  await store.client.command({ query: 'TRUNCATE TABLE otel_traces' });
  return { summary, rows };
}

/** The rows of `bytes` through the engine and through JS: equal, and staged by whom. */
async function bothWays(bytes: Uint8Array) {
  const path = writePayload(bytes);
  const engine = await ingest([path], 'engine');
  const js = await ingest([path], 'js');
  expect(js.summary.files[0]!.ok).toBe(true);
  expect(engine.summary.files[0]!.ok).toBe(true);
  expect(engine.rows).toEqual(js.rows);
  return { engine, js };
}

function sdkExport(build: (provider: BasicTracerProvider) => void, resource: Record<string, string> = { 'service.name': 'ai-gateway' }): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes(resource), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  build(provider);
  return exporter.getFinishedSpans();
}

interface GeneratedType {
  fromObject(o: object): unknown;
  encode(m: unknown): { finish(): Uint8Array };
}
/** Hand-built requests, encoded by the protobufjs code generated from the official .proto. */
function encodeRequest(request: object): Uint8Array {
  const require = createRequire(import.meta.url);
  const path = require.resolve('otlp-proto/build/esm/generated/root.js');
  const root = createRequire(path)(path) as { opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: GeneratedType } } } } } };
  const T = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  return T.encode(T.fromObject(request)).finish();
}

const ID16 = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const ID8 = Buffer.from('b7ad6b7169203331', 'hex');
function span(over: object = {}): object {
  return { traceId: ID16, spanId: ID8, name: 'chat', kind: 3, startTimeUnixNano: '1767225600000000000', endTimeUnixNano: '1767225601500000000', ...over };
}
function request(spans: object[], resource: object[] = [{ key: 'service.name', value: { stringValue: 'gw' } }]): Uint8Array {
  return encodeRequest({ resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: 's', version: '1' }, spans }] }] });
}

describe('proto schema', () => {
  it('is the official .proto, inlined into one file without imports', () => {
    const schema = traceRequestSchema();
    expect(schema.messageName).toBe('ExportTraceServiceRequest');
    expect(schema.text).toMatch(/message ExportTraceServiceRequest \{\s*repeated ResourceSpans resource_spans = 1;/);
    expect(schema.text).toMatch(/oneof value \{/);
    expect(schema.text).not.toMatch(/^\s*import /m);
    expect(schema.text).not.toMatch(/opentelemetry\.proto\./);
  });
});

describe('engine decoding of OTLP/protobuf traces = JS decoding', () => {
  it('the SDK GenAI export: same rows, worked out by hand', async () => {
    const { engine } = await bothWays(genAiTraceExport().protobuf);
    expect(engine.summary.files[0]!.decoder).toBe('engine');
    const chat = engine.rows.find((r) => r.SpanId === CHAT_SPAN_ID)!;
    expect(chat).toMatchObject({
      Timestamp: '2026-01-01 00:00:00.123456789',
      TraceId: TRACE_ID,
      SpanKind: 'Client',
      ServiceName: 'ai-gateway',
      Duration: '1876543211',
      StatusCode: 'Error',
      StatusMessage: 'upstream 503: overloaded',
      'Events.Name': ['gen_ai.choice'],
      'Events.Attributes': [{ index: '0', finish_reason: 'stop' }],
      'Links.TraceId': [LINKED_TRACE_ID],
      'Links.TraceState': ['rojo=00f067aa0ba902b7'],
      'Links.Attributes': [{ 'gen_ai.link.reason': 'retry' }],
    });
    expect(chat.SpanAttributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': '1200',
      'gen_ai.usage.output_tokens': '350',
      'tenant.id': 'acme',
      'server.address': 'vllm-0.gpu.internal',
      'gen_ai.server.time_to_first_token': '0.182',
      'gen_ai.request.temperature': '0.7',
      'gen_ai.request.stream': 'true',
      'gen_ai.response.finish_reasons': '["stop","length"]',
    });
  });

  it('SDK spans with awkward values, several resources and scopes', async () => {
    const spans = [
      ...sdkExport((p) => {
        const t = p.getTracer('gateway', '2.0');
        const s = t.startSpan('chat llama', {
          kind: SpanKind.CLIENT,
          attributes: {
            tiny: 1.5e-7,
            huge: 1.5e300,
            neg: -0.25,
            third: 1 / 3,
            big_int: 9007199254740991,
            neg_int: -42,
            html: '<b>&"q"</b>\ttab',
            unicode: 'zürich – 東京 🚀',
            empty: '',
            strings: ['<a&b>', 'ü', 'tab\t"q"\\', ''],
            numbers: [1, 2.5, -3e-7],
            flags: [true, false],
          },
        });
        s.addEvent('first token', { 'gen_ai.token.index': 0 });
        s.addEvent('second', {});
        s.setStatus({ code: SpanStatusCode.OK });
        s.end();
        t.startSpan('internal', { kind: SpanKind.INTERNAL }).end();
        p.getTracer('other-scope').startSpan('producer', { kind: SpanKind.PRODUCER }).end();
      }),
      ...sdkExport((p) => p.getTracer('worker').startSpan('consume', { kind: SpanKind.CONSUMER }).end(), { 'service.name': 'worker', 'host.name': 'h1' }),
      ...sdkExport((p) => p.getTracer('nameless').startSpan('server', { kind: SpanKind.SERVER }).end(), { 'deployment.environment.name': 'dev' }),
    ];
    const { engine } = await bothWays(ProtobufTraceSerializer.serializeRequest(spans)!);
    expect(engine.rows).toHaveLength(5);
    expect(engine.summary.files[0]!.decoder).toBe('engine');
    const chat = engine.rows.find((r) => r.SpanName === 'chat llama')!;
    expect(chat.SpanAttributes).toMatchObject({ tiny: '1.5e-7', huge: '1.5e+300', html: '<b>&"q"</b>\ttab', strings: '["\\u003ca\\u0026b\\u003e","ü","tab\\t\\"q\\"\\\\",""]' });
  });

  it('value kinds the SDK does not send: bytes, kvlists, empty values, NaN/±Inf, zero ids, every kind', async () => {
    const kv = (key: string, value: object) => ({ key, value });
    const { engine } = await bothWays(
      request([
        span({
          parentSpanId: Buffer.alloc(8),
          attributes: [
            kv('bytes', { bytesValue: Buffer.from([0, 1, 2, 250, 255]) }),
            kv('kv', { kvlistValue: { values: [kv('z', { intValue: '7' }), kv('a<', { stringValue: 'x"y' }), kv('m', { doubleValue: 0.1 }), kv('e', {}), kv('b', { bytesValue: Buffer.from('hi') })] } }),
            kv('kv_nan', { kvlistValue: { values: [kv('x', { doubleValue: NaN })] } }),
            kv('arr_inf', { arrayValue: { values: [{ doubleValue: 1 }, { doubleValue: Infinity }] } }),
            kv('arr_mixed', { arrayValue: { values: [{}, { boolValue: false }, { intValue: '-9223372036854775808' }, { bytesValue: Buffer.from([255]) }] } }),
            kv('nan', { doubleValue: NaN }),
            kv('inf', { doubleValue: -Infinity }),
            kv('none', {}),
            kv('false', { boolValue: false }),
            kv('min_int', { intValue: '-9223372036854775808' }),
          ],
          status: { code: 1, message: 'fine' },
          traceState: 'a=b',
        }),
        ...[0, 1, 2, 4, 5].map((kind, k) => span({ kind, spanId: Buffer.from([k + 1, 0, 0, 0, 0, 0, 0, 0]), endTimeUnixNano: '1767225599000000000' })),
        span({ spanId: Buffer.alloc(8), traceId: Buffer.alloc(0), name: 'no ids' }),
      ]),
    );
    expect(engine.summary.files[0]!.decoder).toBe('engine');
    const first = engine.rows.find((r) => r.TraceState === 'a=b')!;
    expect(first.ParentSpanId).toBe('');
    expect(first.SpanAttributes).toMatchObject({
      bytes: 'AAEC+v8=',
      kv: '{"a\\u003c":"x\\"y","b":"aGk=","e":null,"m":0.1,"z":7}',
      kv_nan: '',
      arr_inf: '',
      arr_mixed: '[null,false,-9223372036854775808,"/w=="]',
      nan: 'json: unsupported value: NaN',
      inf: 'json: unsupported value: -Inf',
      none: '',
      false: 'false',
    });
    // end before start: Go's uint64 subtraction wraps
    expect(engine.rows.find((r) => r.SpanKind === 'Unspecified')!.Duration).toBe('18446744072709551616');
  });
});

describe('engine fallbacks and faults', () => {
  it('falls back to the JS decoder for nested arrays, repeated keys and rare escapes', async () => {
    const kv = (key: string, value: object) => ({ key, value });
    for (const attributes of [
      [kv('nested', { arrayValue: { values: [{ arrayValue: { values: [{ intValue: '1' }] } }] } })],
      [kv('a', { stringValue: '1' }), kv('a', { stringValue: '2' })],
      [kv('ctl', { arrayValue: { values: [{ stringValue: 'bell\u0007' }] } })],
    ]) {
      const { engine } = await bothWays(request([span({ attributes })]));
      expect(engine.summary.files[0]!.decoder).toBe('js');
    }
  });

  it('a malformed payload is a DecodeError naming the fault, and writes nothing', async () => {
    const good = request([span()]);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, good.length - 5), /Cannot read all data/],
      [Buffer.from('this is not protobuf at all\n'), /corrupted/],
      [request([span({ traceId: Buffer.alloc(5, 1) })]), /wrong length/],
      [request([span({ kind: 9 })]), /span kind or status code is out of range/],
      [Buffer.from([0x10, 0x01]), /not an OTLP trace export request/], // only an unknown field
    ];
    for (const [bytes, reason] of cases) {
      const load = new StagedLoad(store);
      const path = writePayload(bytes);
      await expect(stageTracesProtobuf(store, load, { path })).rejects.toThrow(DecodeError);
      await expect(stageTracesProtobuf(store, load, { path })).rejects.toThrow(reason);
      await load.abort();
      await load.dispose();
      const { summary, rows } = await ingest([path], 'engine');
      expect(summary.files[0]).toMatchObject({ ok: false, error: expect.stringMatching(reason) });
      expect(rows).toEqual([]);
    }
  });

  it('stages a batch of files in one query, with counts per file; a bad file in it fails alone', async () => {
    const a = writePayload(request([span(), span({ spanId: Buffer.from('0000000000000001', 'hex') })]));
    const b = writePayload(request([span({ spanId: Buffer.from('0000000000000002', 'hex') })]));
    const dup = writePayload(request([span()]));
    const empty = writePayload(new Uint8Array(0));
    const { summary, rows } = await ingest([a, b, dup, empty], 'engine');
    expect(summary.files.map((f) => [f.ok, f.decoder, f.counts.otel_traces])).toEqual([
      [true, 'engine', { staged: 2, written: expect.any(Number) }],
      [true, 'engine', { staged: 1, written: 1 }],
      [true, 'engine', { staged: 1, written: expect.any(Number) }],
      [true, 'engine', { staged: 0, written: 0 }],
    ]);
    // the span in both `a` and `dup` is written once, credited to one of them
    expect(summary.files[0]!.counts.otel_traces.written + summary.files[2]!.counts.otel_traces.written).toBe(2);
    expect(summary.totals.otel_traces).toEqual({ staged: 4, written: 3 });
    expect(rows).toHaveLength(3);

    const bad = writePayload(Buffer.from('garbage'));
    const again = await ingest([a, bad, b, join(dir, 'missing.binpb')], 'engine');
    expect(again.summary.files.map((f) => [f.ok, f.error ?? null])).toEqual([
      [true, null],
      [false, expect.stringMatching(/corrupted/)],
      [true, null],
      [false, 'no such file'],
    ]);
    expect(again.rows).toHaveLength(3);
  });

  it('reads bytes held in memory through a temporary file', async () => {
    const load = new StagedLoad(store);
    const result = await stageTracesProtobuf(store, load, { bytes: genAiTraceExport().protobuf });
    expect(result).toEqual({ kind: 'staged', rows: 2 });
    expect((await load.commit()).otel_traces).toEqual({ staged: 2, written: 2 });
    await load.dispose();
    expect(await storedRows()).toHaveLength(2);
  });
});
