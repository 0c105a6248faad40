/**
 * Bad payloads: each gets a DecodeError that says what and where (byte offset for
 * protobuf, line/column for JSON text, a path for structure), never a crash or a silent
 * empty result.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeErrorOf } from '../../test/fixtures/otlp/decode-error-of.js';
import { genAiTraceExport } from '../../test/fixtures/otlp/sdk-genai-export.js';
import { decodeTracesJson, decodeTracesJsonDocument, detectOtlpJsonSignal } from './decode-json.js';
import { decodeOtlp } from './decode-otlp.js';
import { decodeTracesProtobuf } from './decode-protobuf.js';

/** A protobuf length-delimited field: tag (field number, wire type 2), length, bytes. */
function field(number: number, ...content: number[]): number[] {
  return [(number << 3) | 2, content.length, ...content];
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  for (; n > 127; n >>>= 7) bytes.push((n & 127) | 128);
  return [...bytes, n];
}

/**
 * A span attribute `k` whose value is an array in an array … (`depth` times) around "a",
 * built inside out with the lengths summed, not by copying.
 */
function deeplyNestedAttribute(depth: number): Uint8Array {
  const prefixes: number[][] = [];
  let length = 3; // AnyValue { stringValue: "a" } = 0a 01 61
  for (let i = 0; i < depth; i++) {
    const values = [0x0a, ...varint(length)]; // ArrayValue { values: [inner] }
    length += values.length;
    const arrayValue = [0x2a, ...varint(length)]; // AnyValue { arrayValue: … }
    length += arrayValue.length;
    prefixes.push(values, arrayValue);
  }
  const value = [...prefixes.reverse().flat(), 0x0a, 0x01, 0x61];
  const lengthDelimited = (number: number, content: number[]): number[] => [(number << 3) | 2, ...varint(content.length), ...content];
  const attribute = lengthDelimited(9, [...lengthDelimited(1, [0x6b]), ...lengthDelimited(2, value)]);
  return Uint8Array.from(lengthDelimited(1, lengthDelimited(2, lengthDelimited(2, attribute))));
}

/** An export request with one span made of the given (already encoded) span fields. */
function requestWithSpan(...spanFields: number[]): Uint8Array {
  return Uint8Array.from(field(1, ...field(2, ...field(2, ...spanFields))));
}

describe('OTLP/protobuf errors', () => {
  const { protobuf } = genAiTraceExport();

  it('a truncated payload: where the reader ran out', () => {
    const error = decodeErrorOf(() => decodeTracesProtobuf(protobuf.subarray(0, 300)));
    expect(error.reason).toBe('truncated payload: a field runs past the end of the message');
    expect(error.position).toEqual({ byteOffset: 300 });
    expect(error.status).toBe(400);
  });

  it('random bytes are refused', () => {
    let seed = 42; // a fixed LCG, so the bytes are the same on every run
    const randomByte = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed & 0xff;
    };
    for (let i = 0; i < 16; i++) {
      const bytes = Uint8Array.from({ length: 64 }, randomByte);
      const error = decodeErrorOf(() => decodeOtlp(bytes, { format: 'protobuf', signal: 'traces' }));
      expect(error.position.byteOffset).toBeGreaterThanOrEqual(0);
    }
  });

  it('an invalid wire type', () => {
    const error = decodeErrorOf(() => decodeTracesProtobuf(Uint8Array.of(0x1f))); // (unknown) field 3, wire type 7
    expect(error.message).toBe('byte 1: invalid wire type 7');
  });

  it('a non-empty payload with only unknown fields is not taken for an empty export', () => {
    expect(decodeErrorOf(() => decodeTracesProtobuf(Uint8Array.of(0x10, 0x01))).reason).toBe(
      'not an OTLP trace export request: resourceSpans (field 1) is missing from a non-empty payload',
    );
    expect(decodeTracesProtobuf(new Uint8Array()).resourceSpans).toEqual([]); // an empty body is an empty export
  });

  it('an id of the wrong length, with its path', () => {
    const error = decodeErrorOf(() => decodeOtlp(requestWithSpan(...field(1, 0xab, 0xcd, 0xef)), { format: 'protobuf', signal: 'traces' }));
    expect(error.message).toBe('resourceSpans[0].scopeSpans[0].spans[0].traceId: expected an id of 16 bytes, got 3');
  });

  it('nesting deeper than the decoder or the attribute rendering can walk', () => {
    const shallow = decodeOtlp(deeplyNestedAttribute(3), { format: 'protobuf', signal: 'traces' });
    expect(shallow.otel_traces[0]?.SpanAttributes).toEqual({ k: '[[["a"]]]' });
    for (const depth of [5_000, 20_000]) {
      const error = decodeErrorOf(() => decodeOtlp(deeplyNestedAttribute(depth), { format: 'protobuf', signal: 'traces' }));
      expect(error.reason).toMatch(/nested too deeply/);
    }
  });

  it('an unknown span kind, with its path', () => {
    const error = decodeErrorOf(() => decodeOtlp(requestWithSpan(0x30, 9), { format: 'protobuf', signal: 'traces' }));
    expect(error.message).toBe('resourceSpans[0].scopeSpans[0].spans[0].kind: unknown span kind 9');
  });
});

const SPAN = { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'ok' };

function tracesJson(spans: object[]): string {
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
}

describe('OTLP/JSON errors', () => {
  it('malformed JSON: line and column of an unexpected token (V8 gives no position)', () => {
    const error = decodeErrorOf(() => decodeTracesJson('{\n  "resourceSpans": [\n    {"scopeSpans": [}]\n  ]\n}'));
    expect(error.reason).toBe("invalid JSON: Unexpected token '}'");
    expect(error.position).toEqual({ line: 3, column: 21 });
  });

  it('malformed JSON: line and column where V8 states a position, and at a premature end', () => {
    expect(decodeErrorOf(() => decodeTracesJson('{"resourceSpans" []}')).message).toBe(
      "line 1, column 18: invalid JSON: Expected ':' after property name",
    );
    expect(decodeErrorOf(() => decodeTracesJson('{"resourceSpans": [\n')).message).toBe(
      'line 2, column 1: invalid JSON: Unexpected end of JSON input',
    );
  });

  it('a bad hex id, with its path', () => {
    const error = decodeErrorOf(() => decodeTracesJson(tracesJson([SPAN, SPAN, { ...SPAN, traceId: 'xyz' }])));
    expect(error.message).toBe('resourceSpans[0].scopeSpans[0].spans[2].traceId: expected 32 hex characters, got "xyz"');
  });

  it('a span id of the wrong length', () => {
    const error = decodeErrorOf(() => decodeTracesJson(tracesJson([{ ...SPAN, links: [{ traceId: SPAN.traceId, spanId: 'abcd' }] }])));
    expect(error.message).toBe('resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId: expected 16 hex characters, got "abcd"');
  });

  it('a metrics document passed as traces', () => {
    const metrics = readFileSync(new URL('../../../shared/samples/otlp-metrics.json', import.meta.url));
    const error = decodeErrorOf(() => decodeOtlp(metrics, { format: 'json', signal: 'traces' }));
    expect(error.reason).toBe('expected an OTLP traces export (resourceSpans), got a metrics export (resourceMetrics)');
  });

  it('a field of the wrong type, found by the generated verify, with its indexed path', () => {
    const error = decodeErrorOf(() => decodeTracesJson(tracesJson([SPAN, { ...SPAN, name: 5 }])));
    expect(error.message).toBe('resourceSpans[0].scopeSpans[0].spans[1].name: expected a string, got 5');
  });

  it('two members of a oneof set', () => {
    const attributes = [
      { key: 'a', value: { stringValue: 'x' } },
      { key: 'b', value: { stringValue: 'x', intValue: '1' } },
    ];
    const error = decodeErrorOf(() => decodeTracesJson(tracesJson([{ ...SPAN, attributes }])));
    expect(error.position.path).toBe('resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value');
    expect(error.reason).toBe('more than one field of the oneof "value" is set');
  });

  it('a plain value where an AnyValue belongs; a word where a double belongs', () => {
    const attributes = [{ key: 'a', value: 'x' }];
    expect(decodeErrorOf(() => decodeTracesJson(tracesJson([{ ...SPAN, attributes }]))).message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: expected an object, got "x"',
    );
    const sum = { aggregationTemporality: 2, dataPoints: [{ asDouble: 'lots' }] };
    const metrics = JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', sum }] }] }] });
    expect(decodeErrorOf(() => decodeOtlp(metrics, { format: 'json' })).message).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asDouble: expected a number, got "lots"',
    );
  });

  it('a non-array where an array belongs, and a non-object in an array', () => {
    expect(decodeErrorOf(() => decodeTracesJson('{"resourceSpans": {}}')).message).toBe('resourceSpans: expected an array, got {}');
    expect(decodeErrorOf(() => decodeTracesJson('{"resourceSpans": [{}, 7]}')).message).toBe('resourceSpans[1]: expected an object, got 7');
  });

  it('64-bit integers: digits only, in range', () => {
    const bad = (startTimeUnixNano: unknown) => decodeErrorOf(() => decodeTracesJson(tracesJson([{ ...SPAN, startTimeUnixNano }]))).message;
    expect(bad('12a')).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: ' +
        'expected an unsigned 64-bit integer (a number or a string of digits), got "12a"',
    );
    expect(bad('18446744073709551616')).toContain('got "18446744073709551616"');
    expect(bad(-1)).toContain('got -1');
    expect(bad(1.5)).toContain('got 1.5');
  });

  it('enums: an unknown name, an unknown number', () => {
    const kind = (kind: unknown) => decodeErrorOf(() => decodeTracesJson(tracesJson([{ ...SPAN, kind }]))).message;
    expect(kind('SPAN_KIND_BOGUS')).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].kind: expected a SpanKind number or name, got "SPAN_KIND_BOGUS"',
    );
    expect(kind(9)).toBe('resourceSpans[0].scopeSpans[0].spans[0].kind: expected a known enum value, got 9');
  });

  it('bytesValue must be base64', () => {
    const attributes = [{ key: 'b', value: { bytesValue: 'not base64!' } }];
    expect(decodeErrorOf(() => decodeTracesJson(tracesJson([{ ...SPAN, attributes }]))).message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: expected base64, got "not base64!"',
    );
  });

  it('not an export request at all', () => {
    expect(decodeErrorOf(() => decodeTracesJson('[1]')).reason).toBe('expected an OTLP/JSON export request (a JSON object), got [1]');
    expect(decodeErrorOf(() => detectOtlpJsonSignal({ foo: 1 })).reason).toBe(
      'not an OTLP/JSON export request: no resourceSpans, resourceMetrics or resourceLogs at the top level',
    );
    expect(decodeErrorOf(() => decodeOtlp('{"resourceLogs": []}', { format: 'json' })).reason).toBe(
      'OTLP logs are not decoded into rows (only traces and metrics)',
    );
  });

  it('nesting deeper than the decoder can walk', () => {
    const depth = 50_000;
    const value = '{"arrayValue":{"values":['.repeat(depth) + ']}}'.repeat(depth);
    const text = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"deep","value":${value}}]}]}]}]}`;
    expect(decodeErrorOf(() => decodeTracesJson(text)).reason).toBe('invalid OTLP/JSON: nested too deeply');
  });
});

describe('what is not an error', () => {
  it('unknown fields are ignored; an empty document is an empty export', () => {
    const text = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...SPAN, futureField: { x: 1 } }] }], extra: [] }], more: 1 });
    expect(decodeOtlp(text, { format: 'json' }).otel_traces).toHaveLength(1);
    expect(decodeOtlp('{}', { format: 'json', signal: 'traces' }).otel_traces).toEqual([]);
    expect(detectOtlpJsonSignal({ resourceLogs: [] })).toBe('logs');
  });

  it('a parsed document handed over is left as it is, unless it may be reused', () => {
    const doc: unknown = JSON.parse(tracesJson([SPAN]));
    const before = structuredClone(doc);
    expect(decodeTracesJsonDocument(doc).resourceSpans).toHaveLength(1);
    expect(doc).toEqual(before);
    decodeTracesJsonDocument(doc, { reuseDocument: true });
    expect(doc).not.toEqual(before); // ids now bytes, in the caller's own objects
  });
});
