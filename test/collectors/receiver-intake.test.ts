/**
 * The receiver's fast check of OTLP/protobuf trace requests (no rows rendered) refuses
 * exactly what the reference decoder (`tracesToRows`) refuses — otherwise a request could
 * be acknowledged that the writer then cannot decode. Checked on requests with every field
 * the reference checks set to good and bad values, and on valid requests with random bytes
 * changed (those that still decode).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTraceRequest, intakeOtlp, SPANS_WITHOUT_ID } from '../../collectors/otlp/receiver-intake.js';
import { decodeTracesProtobuf } from '../../collectors/otlp/decode-protobuf.js';
import type { AnyValue, ExportTraceServiceRequest } from '../../collectors/otlp/otlp-proto.js';
import { tracesToRows } from '../../collectors/otlp/traces-to-rows.js';
import { spanRowsToRowBinary } from '../../collectors/writer/span-row-binary.js';
import { encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';

const throws = (fn: () => unknown): boolean => {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
};

const id = (n: number | null) => (n === null ? null : new Uint8Array(n).fill(7));
const nestedCache = new Map<number, AnyValue>();
/** An array value nested `depth` deep (built once per depth). */
function nested(depth: number): AnyValue {
  const known = nestedCache.get(depth);
  if (known) return known;
  let v: AnyValue = { stringValue: 'x', boolValue: null, intValue: null, doubleValue: null, arrayValue: null, kvlistValue: null, bytesValue: null, value: 'stringValue' };
  for (let i = 0; i < depth; i++) v = { stringValue: null, boolValue: null, intValue: null, doubleValue: null, arrayValue: { values: [v] }, kvlistValue: null, bytesValue: null, value: 'arrayValue' };
  nestedCache.set(depth, v);
  return v;
}

const spanArb = fc.record({
  kind: fc.constantFrom(0, 1, 5, 6, -1, null),
  status: fc.constantFrom(0, 2, 3, -1, null),
  traceId: fc.constantFrom(16, 0, 15, 17, null),
  spanId: fc.constantFrom(8, 0, 7, null),
  parentSpanId: fc.constantFrom(8, 0, 9, null),
  linkTraceId: fc.constantFrom(16, 0, 12, null),
  linkSpanId: fc.constantFrom(8, 0, 4, null),
  // 50 000 levels overflow the stack of the rendering: the reference answers 'nested too deeply'
  depth: fc.constantFrom(0, 2, 50_000),
  where: fc.constantFrom('span', 'event', 'link', 'resource'),
  links: fc.boolean(),
});

type SpanSpec = typeof spanArb extends fc.Arbitrary<infer T> ? T : never;

function requestOf(spans: SpanSpec[]): ExportTraceServiceRequest {
  const attr = (where: string, s: { where: string; depth: number }) => (s.where === where && s.depth > 0 ? [{ key: 'deep', value: nested(s.depth) }] : []);
  return {
    resourceSpans: [
      {
        resource: { attributes: spans.flatMap((s) => attr('resource', s)), droppedAttributesCount: null },
        schemaUrl: null,
        scopeSpans: [
          {
            scope: null,
            schemaUrl: null,
            spans: spans.map((s) => ({
              traceId: id(s.traceId),
              spanId: id(s.spanId),
              parentSpanId: id(s.parentSpanId),
              traceState: null,
              flags: null,
              name: 'x',
              kind: s.kind,
              startTimeUnixNano: 1,
              endTimeUnixNano: 2,
              attributes: attr('span', s),
              events: [{ timeUnixNano: 1, name: 'e', attributes: attr('event', s), droppedAttributesCount: null }],
              links: s.links ? [{ traceId: id(s.linkTraceId), spanId: id(s.linkSpanId), traceState: null, attributes: attr('link', s), droppedAttributesCount: null, flags: null }] : [],
              status: s.status === null ? null : { code: s.status, message: null },
            })),
          },
        ],
      },
    ],
  } as unknown as ExportTraceServiceRequest;
}

describe('checkTraceRequest', () => {
  it('refuses a request exactly when tracesToRows does', () => {
    fc.assert(
      fc.property(fc.array(spanArb, { minLength: 1, maxLength: 3 }), (spans) => {
        const request = requestOf(spans);
        expect(throws(() => checkTraceRequest(request))).toBe(throws(() => tracesToRows(request)));
      }),
      { seed: 20260101, numRuns: 300 },
    );
  });

  it('covers every refusal of the reference (each case alone)', () => {
    const good: SpanSpec = { kind: 1, status: 0, traceId: 16, spanId: 8, parentSpanId: 0, linkTraceId: 16, linkSpanId: 8, depth: 2, where: 'link', links: true };
    expect(throws(() => checkTraceRequest(requestOf([good])))).toBe(false);
    for (const bad of <Partial<SpanSpec>[]>[{ kind: 6 }, { status: 3 }, { traceId: 15 }, { spanId: 7 }, { parentSpanId: 9 }, { linkTraceId: 12 }, { linkSpanId: 4 }, { depth: 50_000 }, { depth: 50_000, where: 'resource' }]) {
      const request = requestOf([{ ...good, ...bad }]);
      expect(() => tracesToRows(request), JSON.stringify(bad)).toThrow();
      expect(() => checkTraceRequest(request), JSON.stringify(bad)).toThrow();
    }
    expect(() => tracesToRows(requestOf([{ ...good, depth: 50_000 }]))).toThrow('attribute value nested too deeply');
  });

  it('agrees with tracesToRows on valid requests with random bytes changed', () => {
    const good = Buffer.from(encodeProtobuf(genAiTraceRequest(3, 4, 4)));
    let decoded = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = Buffer.from(good);
        for (const [at, value] of edits) bytes[at] = value;
        let request: ExportTraceServiceRequest;
        try {
          request = decodeTracesProtobuf(bytes);
        } catch {
          return;
        }
        decoded++;
        expect(throws(() => checkTraceRequest(request))).toBe(throws(() => tracesToRows(request)));
      }),
      { seed: 42, numRuns: 500 },
    );
    expect(decoded).toBeGreaterThan(100);
  });

  it('counts spans and spans without an identity; a clean request is spooled as the sender sent it', () => {
    const body = Buffer.from(encodeProtobuf(genAiTraceRequest(5, 3, 3)));
    const intake = intakeOtlp('traces', 'protobuf', body, 'writer');
    expect(intake).toEqual({ items: 3, rejected: 0, rejectedReason: undefined, record: { lane: 'traces-pb', parts: [body] } });
    const request = genAiTraceRequest(5, 3, 3);
    request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.spanId = new Uint8Array(8); // all zeros: no id
    const partialBody = Buffer.from(encodeProtobuf(request));
    const partial = intakeOtlp('traces', 'protobuf', partialBody, 'writer');
    expect(partial.items).toBe(2);
    expect(partial.rejected).toBe(1);
    expect(partial.record?.lane).toBe('rows');
    // the default (the receiver renders spans): the same requests as RowBinary rows, lane traces-rb
    const rows = tracesToRows(decodeTracesProtobuf(body));
    expect(intakeOtlp('traces', 'protobuf', body)).toEqual({ items: 3, rejected: 0, rejectedReason: undefined, record: { lane: 'traces-rb', parts: [spanRowsToRowBinary(rows)] } });
    const kept = tracesToRows(decodeTracesProtobuf(partialBody)).slice(1); // span 0 has no id
    expect(intakeOtlp('traces', 'protobuf', partialBody)).toEqual({
      items: 2,
      rejected: 1,
      rejectedReason: `1 ${SPANS_WITHOUT_ID}`,
      record: { lane: 'traces-rb', parts: [spanRowsToRowBinary(kept)] },
    });
  });
});
