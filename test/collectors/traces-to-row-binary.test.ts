/**
 * The receiver's fast path (`tracesProtobufToRowBinary`: OTLP/protobuf bytes straight to
 * `traces-rb` RowBinary rows) writes, byte for byte, what the reference path writes
 * (`decodeTracesProtobuf` → `tracesToRows` → `spanRowsToRowBinary`), on the benchmark's
 * requests, opentelemetry-proto's example and hand-built requests with every value kind
 * and edge the mapping has; and it declines (`undefined`) what it cannot render that way,
 * where `intakeOtlp` then gives the reference path's verdict.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';
import { DecodeError } from '../../core/errors.js';
import type { SpanRow } from '../../core/schema/otel-rows.js';
import { decodeTracesJson } from '../../collectors/otlp/decode-json.js';
import { decodeTracesProtobuf } from '../../collectors/otlp/decode-protobuf.js';
import { intakeOtlp, SPANS_WITHOUT_ID, type IntakeRecord } from '../../collectors/otlp/receiver-intake.js';
import { tracesProtobufToRowBinary } from '../../collectors/otlp/traces-to-row-binary.js';
import { tracesToRows } from '../../collectors/otlp/traces-to-rows.js';
import { spanRowsToRowBinary } from '../../collectors/writer/span-row-binary.js';

// ---- encoding requests with the generated code (plain objects in its shape: bytes as Uint8Array, 64-bit values as { low, high }) ----

interface Encoder {
  encode(m: unknown): { finish(): Uint8Array };
}
const requireHere = createRequire(import.meta.url);
const generatedPath = requireHere.resolve('otlp-proto/build/esm/generated/root.js');
const generated = createRequire(generatedPath)(generatedPath) as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Encoder } }; metrics: { v1: { ExportMetricsServiceRequest: Encoder } } }; trace: { v1: { Status: Encoder } } } };
};
const TraceRequest = generated.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const encode = (request: object): Buffer => Buffer.from(TraceRequest.encode(request).finish());

/** A 64-bit value (taken modulo 2^64) as the { low, high } protobufjs writes. */
const u64 = (v: bigint): { low: number; high: number } => {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn), high: Number(u >> 32n) };
};
const id = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const kv = (key: string, value?: object): object => (value === undefined ? { key } : { key, value });
const str = (v: string) => ({ stringValue: v });
const int = (v: bigint) => ({ intValue: u64(v) });
const dbl = (v: number) => ({ doubleValue: v });

/** A span with ids made from `n` (never zero) and the given fields over it. */
const span = (n: number, fields: object = {}): object => ({
  traceId: id(16, n),
  spanId: id(8, n),
  name: `span ${n}`,
  kind: 2,
  startTimeUnixNano: u64(1_767_225_600_000_000_000n + BigInt(n)),
  endTimeUnixNano: u64(1_767_225_601_000_000_000n + BigInt(n)),
  ...fields,
});
const request = (resourceSpans: object[]): Buffer => encode({ resourceSpans });
const oneSpan = (s: object, resourceAttributes: object[] = [kv('service.name', str('svc'))]): Buffer =>
  request([{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 'lib', version: '1' }, spans: [s] }] }]);

// ---- the comparison ----

/** The fast path renders `body`, byte for byte as the reference does; returns the reference rows. */
function expectSameBytes(body: Buffer): SpanRow[] {
  const rows = tracesToRows(decodeTracesProtobuf(body));
  const reference = spanRowsToRowBinary(rows);
  const fast = tracesProtobufToRowBinary(body);
  expect(fast).toBeDefined();
  expect(fast!.spans).toBe(rows.length);
  // hex first: a difference shows where it is
  expect(fast!.bytes.toString('hex')).toBe(reference.toString('hex'));
  expect(fast!.bytes.equals(reference)).toBe(true);
  return rows;
}

/** What the reference path makes of `body`: its DecodeError, or the record intakeOtlp must give. */
function referenceVerdict(body: Buffer): { error: DecodeError } | { intake: IntakeRecord } {
  let rows: SpanRow[];
  try {
    rows = tracesToRows(decodeTracesProtobuf(body));
  } catch (e) {
    if (e instanceof DecodeError) return { error: e };
    throw e;
  }
  const kept = rows.filter((r) => r.TraceId !== '' && r.SpanId !== '');
  const rejected = rows.length - kept.length;
  return {
    intake: {
      items: kept.length,
      rejected,
      rejectedReason: rejected > 0 ? `${rejected} ${SPANS_WITHOUT_ID}` : undefined,
      record: kept.length > 0 ? { lane: 'traces-rb', parts: [spanRowsToRowBinary(kept)] } : undefined,
    },
  };
}

/** The fast path declines `body`, and intakeOtlp answers what the reference path does (returned). */
function expectDeclined(body: Buffer): { error: DecodeError } | { intake: IntakeRecord } {
  expect(tracesProtobufToRowBinary(body)).toBeUndefined();
  const verdict = referenceVerdict(body);
  if ('error' in verdict) {
    expect(() => intakeOtlp('traces', 'protobuf', body)).toThrow(verdict.error);
    let thrown: unknown;
    try {
      intakeOtlp('traces', 'protobuf', body);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DecodeError);
  } else {
    expect(intakeOtlp('traces', 'protobuf', body)).toEqual(verdict.intake);
  }
  return verdict;
}

const errorOf = (v: ReturnType<typeof expectDeclined>): string => ('error' in v ? v.error.message : 'no error');

// ---- payloads ----

describe('the fast path writes the reference bytes', () => {
  it('on the benchmark requests (events, links, parent ids, error status, array attributes)', () => {
    const seen = { spans: 0, events: 0, links: 0, parents: 0, errors: 0 };
    for (const index of [0, 1, 2, 3, 7, 11, 42, 99]) {
      const rows = expectSameBytes(Buffer.from(encodeProtobuf(genAiTraceRequest(index, 60, 480))));
      seen.spans += rows.length;
      for (const r of rows) {
        seen.events += r['Events.Name'].length;
        seen.links += r['Links.TraceId'].length;
        if (r.ParentSpanId !== '') seen.parents++;
        if (r.StatusCode === 'Error') seen.errors++;
      }
    }
    // 8 requests × 60 spans = 480; the generator sets events, links, parents and errors now and then: all were there
    expect(seen.spans).toBe(480);
    expect(seen.events).toBeGreaterThan(0);
    expect(seen.links).toBeGreaterThan(0);
    expect(seen.parents).toBeGreaterThan(0);
    expect(seen.errors).toBeGreaterThan(0);
  });

  it("on opentelemetry-proto's examples/trace.json, encoded as protobuf", () => {
    const json = readFileSync(new URL('../../../shared/samples/otlp-trace.json', import.meta.url));
    const rows = expectSameBytes(encode(decodeTracesJson(json)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ TraceId: '5b8efff798038103d269b633813fc60c', SpanId: 'eee19b7ec3c1b174', ParentSpanId: 'eee19b7ec3c1b173', Duration: '1000000000' });
  });

  it('on unicode, long and empty strings', () => {
    const long = 'é'.repeat(50) + '🚀'.repeat(40) + 'x'.repeat(100); // 100 + 160 + 100 = 360 bytes: a 2-byte length varint
    const rows = expectSameBytes(
      oneSpan(
        span(1, {
          name: 'chat 日本語 🚀',
          traceState: 'vendor=état',
          attributes: [
            kv('clé', str('valeur')),
            kv('emoji 🤖', str('👍🏽 ok')),
            kv('long', str(long)),
            kv('ascii-64', str('a'.repeat(64))),
            kv('ascii-65', str('b'.repeat(65))),
            kv('mixed-43', str('c'.repeat(42) + 'é')),
            kv('empty', str('')),
            kv('', str('empty key')),
          ],
          status: { code: 2, message: 'échec ❌' },
        }),
        [kv('service.name', str('serviço-ü'))],
      ),
    );
    expect(rows[0]!.ServiceName).toBe('serviço-ü');
    expect(rows[0]!.SpanAttributes['emoji 🤖']).toBe('👍🏽 ok');
    expect(rows[0]!.SpanAttributes.empty).toBe('');
  });

  it('on every scalar value kind, a KeyValue without a value and an AnyValue without a member', () => {
    const rows = expectSameBytes(
      oneSpan(
        span(2, {
          attributes: [
            kv('no value'),
            kv('no member', {}),
            kv('true', { boolValue: true }),
            kv('false', { boolValue: false }),
            kv('zero', int(0n)),
            kv('minus one', int(-1n)),
            kv('max', int(2n ** 63n - 1n)),
            kv('min', int(-(2n ** 63n))),
            kv('past 2^53', int(2n ** 53n + 1n)),
            kv('d 0.1', dbl(0.1)),
            kv('d 1e21', dbl(1e21)),
            kv('d 1e-7', dbl(1e-7)),
            kv('nan', dbl(NaN)),
            kv('inf', dbl(Infinity)),
            kv('-inf', dbl(-Infinity)),
            kv('-0', dbl(-0)),
            kv('bytes', { bytesValue: new Uint8Array([0, 255, 1, 2]) }),
            kv('no bytes', { bytesValue: new Uint8Array(0) }),
          ],
        }),
      ),
    );
    // the reference's renderings (attributes.ts): exact 64-bit decimals; 2^53 + 1 = 9007199254740993 (not a double)
    expect(rows[0]!.SpanAttributes).toMatchObject({
      'no value': '',
      'no member': '',
      true: 'true',
      false: 'false',
      zero: '0',
      'minus one': '-1',
      max: '9223372036854775807',
      min: '-9223372036854775808',
      'past 2^53': '9007199254740993',
      bytes: 'AP8BAg==', // 00 ff 01 02 in base64
      'no bytes': '',
      // doubles as Go's JSON encoder: ES6 shortest digits, '-0' kept; NaN/±Inf give the encoder's error text
      'd 0.1': '0.1',
      'd 1e21': '1e+21',
      'd 1e-7': '1e-7',
      nan: 'json: unsupported value: NaN',
      inf: 'json: unsupported value: +Inf',
      '-inf': 'json: unsupported value: -Inf',
      '-0': '-0',
    });
  });

  it('on array and kvlist values, nested', () => {
    const rows = expectSameBytes(
      oneSpan(
        span(3, {
          attributes: [
            kv('array', { arrayValue: { values: [str('a'), int(-7n), dbl(1.5), { boolValue: true }, {}, { bytesValue: new Uint8Array([1]) }] } }),
            kv('empty array', { arrayValue: {} }),
            kv('array with NaN', { arrayValue: { values: [dbl(1), dbl(NaN)] } }),
            kv('kvlist', { kvlistValue: { values: [kv('b', str('2')), kv('a', { arrayValue: { values: [{ kvlistValue: { values: [kv('z', str('é"\\'))] } }] } }), kv('b', str('last'))] } }),
            kv('empty kvlist', { kvlistValue: {} }),
          ],
        }),
      ),
    );
    // kvlist keys sorted, a repeated key's last value wins (Go's json.Marshal of the raw map)
    expect(rows[0]!.SpanAttributes.kvlist).toBe('{"a":[{"z":"é\\"\\\\"}],"b":"last"}');
    expect(rows[0]!.SpanAttributes['array with NaN']).toBe('');
  });


  it('on arrays of strings, written without decoding when Go writes the strings as they are', () => {
    const arrays: [string, string[], string][] = [
      ['plain', ['stop', 'length'], '["stop","length"]'],
      ['one empty string', [''], '[""]'],
      ['a quote', ['a"b'], '["a\\"b"]'],
      ['a backslash', ['a\\b'], '["a\\\\b"]'],
      ['html', ['<x>&'], '["\\u003cx\\u003e\\u0026"]'],
      ['a control character', ['a\tb'], '["a\\tb"]'],
      ['non-ASCII', ['é'], '["é"]'],
      ['DEL (not escaped by Go)', ['\x7f'], '["\x7f"]'],
      ['a long string', ['x'.repeat(200)], `["${'x'.repeat(200)}"]`],
    ];
    const rows = expectSameBytes(oneSpan(span(4, { attributes: arrays.map(([key, values]) => kv(key, { arrayValue: { values: values.map(str) } })) })));
    for (const [key, , json] of arrays) expect(rows[0]!.SpanAttributes[key]).toBe(json);
  });
  it('on resources without service.name or with it not first, several resources and scopes, a scope without a scope message', () => {
    const rows = expectSameBytes(
      request([
        { resource: { attributes: [kv('host.name', str('h1'))] }, scopeSpans: [{ spans: [span(4)] }, { scope: { name: 'only-name' }, spans: [span(5), span(6)] }] },
        {
          resource: { attributes: [kv('host.name', str('h2')), kv('service.name', str('second')), kv('service.version', int(3n))] },
          scopeSpans: [{ scope: { name: 's', version: 'v' }, spans: [span(7)] }, { scope: {}, spans: [] }, { scope: { version: 'only-version' }, spans: [span(8)] }],
        },
        { scopeSpans: [{ spans: [span(9)] }] }, // no resource at all
        { resource: { attributes: [kv('service.name', int(42n))] }, scopeSpans: [{ spans: [span(10)] }] },
      ]),
    );
    expect(rows.map((r) => [r.ServiceName, r.ScopeName, r.ScopeVersion])).toEqual([
      ['', '', ''],
      ['', 'only-name', ''],
      ['', 'only-name', ''],
      ['second', 's', 'v'],
      ['second', '', 'only-version'],
      ['', '', ''],
      ['42', '', ''],
    ]);
  });

  it('on events and links with attributes, zero link and parent ids, odd times and unknown fields', () => {
    const start = 2n ** 63n + 5n; // past 2^63: an unsigned time
    const rows = expectSameBytes(
      oneSpan(
        span(11, {
          parentSpanId: id(8, 0), // all zeros: ""
          flags: 0x301, // field 16: not a column
          droppedAttributesCount: 3,
          droppedEventsCount: 4,
          droppedLinksCount: 5,
          startTimeUnixNano: u64(start),
          endTimeUnixNano: u64(2n ** 64n - 1n),
          events: [
            { timeUnixNano: u64(start + 1n), name: 'first', attributes: [kv('i', int(1n)), kv('é', str('ü'))] },
            { name: 'no time' },
            { timeUnixNano: u64(2n ** 64n - 2n), attributes: [kv('d', dbl(0.5))], droppedAttributesCount: 1 },
          ],
          links: [
            { traceId: id(16, 0), spanId: id(8, 0), traceState: 'ts=1', attributes: [kv('why', str('zero ids'))] },
            { traceId: id(16, 0xab), spanId: id(8, 0xcd), attributes: [kv('n', int(-2n)), kv('arr', { arrayValue: { values: [str('x')] } })], flags: 1 },
            {},
          ],
          status: { message: 'ok-ish' },
        }),
      ),
    );
    // Duration = (2^64 − 1) − (2^63 + 5) = 2^63 − 6 = 9223372036854775802
    expect(rows[0]).toMatchObject({ Timestamp: '9223372036854775813', Duration: '9223372036854775802', ParentSpanId: '', 'Links.TraceId': ['', 'ab'.repeat(16), ''] });
  });

  it('on an unfinished span (end 0) and one ending before it starts: Duration wraps modulo 2^64', () => {
    const rows = expectSameBytes(
      request([
        {
          resource: {},
          scopeSpans: [
            {
              spans: [
                span(12, { startTimeUnixNano: u64(1000n), endTimeUnixNano: u64(0n) }),
                span(13, { startTimeUnixNano: u64(5000n), endTimeUnixNano: u64(3000n) }),
                span(14, { startTimeUnixNano: undefined, endTimeUnixNano: undefined, kind: 0 }),
              ],
            },
          ],
        },
      ]),
    );
    // 0 − 1000 = 2^64 − 1000 = 18446744073709550616; 3000 − 5000 = 2^64 − 2000 = 18446744073709549616
    expect(rows.map((r) => r.Duration)).toEqual(['18446744073709550616', '18446744073709549616', '0']);
  });

  it('on a request with an unknown top-level field', () => {
    // field 99, varint 1: tag (99 << 3) | 0 = 792 = varint 0x98 0x06
    expectSameBytes(Buffer.concat([oneSpan(span(15)), Buffer.from([0x98, 0x06, 0x01])]));
  });
});

describe('the fast path declines, and the receiver gives the reference verdict', () => {
  it('a repeated attribute key (the last value kept, in the first place)', () => {
    const v = expectDeclined(oneSpan(span(20, { attributes: [kv('a', str('1')), kv('b', str('2')), kv('a', str('3'))] })));
    expect('intake' in v && v.intake.items).toBe(1);
    const rows = tracesToRows(decodeTracesProtobuf(oneSpan(span(20, { attributes: [kv('a', str('1')), kv('b', str('2')), kv('a', str('3'))] }))));
    expect(Object.entries(rows[0]!.SpanAttributes)).toEqual([
      ['a', '3'],
      ['b', '2'],
    ]);
  });

  it('a key starting with a digit (a JS object orders integer keys first)', () => {
    const v = expectDeclined(oneSpan(span(21), [kv('service.name', str('svc')), kv('10', str('ten'))]));
    expect('intake' in v && v.intake.items).toBe(1);
  });

  it('invalid UTF-8 in a string (protobufjs replaces the bad bytes)', () => {
    const body = oneSpan(span(22, { name: 'QQQQ' }));
    const at = body.indexOf('QQQQ');
    body[at] = 0xff;
    body[at + 1] = 0xc3; // a lead byte without its continuation
    const v = expectDeclined(body);
    expect('intake' in v && v.intake.items).toBe(1);
  });

  it('a trace id of 15 bytes: a DecodeError', () => {
    const v = expectDeclined(oneSpan(span(23, { traceId: id(15, 1) })));
    expect(v).toHaveProperty('error');
  });

  it('an all-zero span id: the span alone is refused (partial success)', () => {
    const body = request([{ resource: {}, scopeSpans: [{ spans: [span(24, { spanId: id(8, 0) }), span(25)] }] }]);
    const v = expectDeclined(body);
    expect('intake' in v && [v.intake.items, v.intake.rejected, v.intake.record?.lane]).toEqual([1, 1, 'traces-rb']);
  });

  it('span kind 9 and status code 7: DecodeErrors', () => {
    expect(errorOf(expectDeclined(oneSpan(span(26, { kind: 9 }))))).toBe('resourceSpans[0].scopeSpans[0].spans[0].kind: unknown span kind 9');
    expect(errorOf(expectDeclined(oneSpan(span(27, { status: { code: 7 } }))))).toBe('resourceSpans[0].scopeSpans[0].spans[0].status.code: unknown status code 7');
  });

  it('a truncated body, random bytes, a body of another message: DecodeErrors', () => {
    const whole = oneSpan(span(28));
    expect(expectDeclined(whole.subarray(0, whole.length - 3))).toHaveProperty('error');
    expect(expectDeclined(Buffer.from('a7f3c01e99b2d46c5a10ffee0b', 'hex'))).toHaveProperty('error');
    // a Status message (fields 2 and 3): no resource_spans
    const status = Buffer.from(generated.opentelemetry.proto.trace.v1.Status.encode({ message: 'x', code: 2 }).finish());
    expect(errorOf(expectDeclined(status))).toBe('byte 0: not an OTLP trace export request: resourceSpans (field 1) is missing from a non-empty payload');
    // a metrics export: its field 1 read as resource_spans, a metric's name as a trace id
    const metrics = Buffer.from(
      generated.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.encode({
        resourceMetrics: [{ scopeMetrics: [{ scope: { name: 'm' }, metrics: [{ name: 'gpu_utilization', gauge: { dataPoints: [{ asDouble: 0.5 }] } }] }] }],
      }).finish(),
    );
    expect(expectDeclined(metrics)).toHaveProperty('error');
  });

  it('an empty body: an empty request, nothing spooled', () => {
    expect(expectDeclined(Buffer.alloc(0))).toEqual({ intake: { items: 0, rejected: 0, rejectedReason: undefined, record: undefined } });
  });

  it('a string running past its AnyValue inside an array value (protobufjs reads on, past the AnyValue)', () => {
    // span 30's attributes: a = ["stop"], b = "x"; the inner string's length 4 made 5. Bytes of `a`'s value:
    // 12 0a (value, 10 bytes) 2a 08 (array_value, 8) 0a 06 (values[0], 6) 0a 04 'stop' (string_value, 4)
    const body = oneSpan(span(30, { attributes: [kv('a', { arrayValue: { values: [str('stop')] } }), kv('b', str('x'))] }));
    const at = body.indexOf(Buffer.from([0x2a, 0x08, 0x0a, 0x06, 0x0a, 0x04]));
    expect(at).toBeGreaterThan(0);
    body[at + 5] = 5; // now overruns its AnyValue (6 bytes) by one: a field past its enclosing message
    // the reference decoder (protobufjs over the whole body) reads 'stop' and the next byte (b's tag 0x4a = 'J'),
    // then reads on from there out of step with the message boundaries
    expect(() => tracesToRows(decodeTracesProtobuf(body))).toThrow(DecodeError);
    // the fast path must decline it (a field running past its message); it renders a = ["stop"], b = "x" instead
    expectDeclined(body);
  });

  it('an AnyValue with two members set', () => {
    const v = expectDeclined(oneSpan(span(29, { attributes: [kv('two', { stringValue: 's', intValue: u64(5n) })] })));
    expect('intake' in v && v.intake.items).toBe(1);
  });
});

describe('on requests with bytes changed at random', () => {
  it('the fast path either declines or writes the reference bytes; it never takes what the reference refuses', () => {
    // with an array attribute (gen_ai.response.finish_reasons) on every span: lengths changed inside
    // array values must be declined too ('a string running past its AnyValue inside an array value')
    const request = genAiTraceRequest(3, 4, 4);
    // and one of several strings (rendered without decoding: its lengths matter too)
    for (const s of request.resourceSpans[0]!.scopeSpans[0]!.spans) s.attributes.push({ key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'bc' }, { stringValue: 'def' }] } } });
    const base = Buffer.from(encodeProtobuf(request));
    let rendered = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (changes) => {
        const body = Buffer.from(base);
        for (const [at, byte] of changes) body[at] = byte;
        const fast = tracesProtobufToRowBinary(body);
        if (fast === undefined) return;
        rendered++;
        const rows = tracesToRows(decodeTracesProtobuf(body)); // throws (fails the property) where the reference refuses
        expect(rows.every((r) => r.TraceId !== '' && r.SpanId !== '')).toBe(true);
        expect(fast.spans).toBe(rows.length);
        expect(fast.bytes.toString('hex')).toBe(spanRowsToRowBinary(rows).toString('hex'));
      }),
      { seed: 7, numRuns: 2000 },
    );
    // many changes land in a string, an id or a number and still render (488 of the 2000 with this seed)
    expect(rendered).toBeGreaterThan(300);
  });
});
