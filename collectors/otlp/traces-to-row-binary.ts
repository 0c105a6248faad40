/**
 * The receiver's fast path for OTLP/protobuf trace exports: the request's bytes straight
 * to `otel_traces` rows in `RowBinary` (the `traces-rb` lane, collectors/writer/span-row-binary.ts),
 * walking the protobuf once without building message objects. Strings (names, keys,
 * string values) are copied byte for byte — protobuf and RowBinary both write a string
 * as a varint length and its UTF-8 bytes — and ids are written as hex straight from
 * their bytes. Measured on the benchmark's spans (bench/README.md, one core): ≈ 100 k
 * spans/s, against ≈ 44 k for protobufjs decoding → rows → RowBinary and ≈ 67 k for the
 * protobufjs decode and check alone (what decoder `engine` does at the door).
 *
 * It must write exactly what the reference path writes — `decodeTracesProtobuf` →
 * `checkTraceRequest` / `tracesToRows` → `spanRowsToRowBinary` — and it only takes what it
 * can render that way. Anything else returns `undefined`, and the caller takes the
 * reference path, whose verdict (a `DecodeError`, a partial success) and rows stand:
 * - malformed or unusual protobuf: a length or field running past its message, a wire
 *   type other than the field's (for every field the generated decoder knows, rendered
 *   or not: protobufjs reads a field by its declared type and would go on out of step),
 *   groups, varints longer than protobuf allows (or than protobufjs' `uint32()` reads in
 *   step: 5 bytes), a singular message field given twice (protobufjs decodes both),
 *   resource `entity_refs`, an empty or unrelated payload (no `resource_spans`);
 * - a span kind or status code out of range, an id of the wrong length, a span without
 *   a trace id or span id (refused one by one: partial success);
 * - strings that are not valid UTF-8 (protobufjs replaces the bad bytes);
 * - an attribute list with a repeated key (the exporter keeps the last value) or a key
 *   starting with a digit (a JS object orders integer-like keys first);
 * - an `AnyValue` with more than one member set.
 * Arrays of plain strings are written here; other array and kvlist values are rendered by
 * the reference code (`anyValueAsString` over the generated decoder's object for that one
 * value, once its bounds are checked), so their JSON is the same by construction.
 * test/collectors/traces-to-row-binary.test.ts checks byte equality with the reference,
 * the declines, and random byte changes (every single-byte change of two bench requests,
 * 784 k bodies, was checked the same way while this was written: none differs).
 *
 * Field numbers are those of opentelemetry-proto's trace.proto, common.proto and
 * resource.proto (https://github.com/open-telemetry/opentelemetry-proto).
 */
import { isUtf8 } from 'node:buffer';
import { RowBinaryWriter } from '../writer/row-binary.js';
import { anyValueAsString, SERVICE_NAME_KEY } from './attributes.js';
import { goFloatAsString } from './go-format.js';
import { i64ToDecimal } from './int64.js';
import { AnyValueType } from './otlp-proto.js';
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from './ids.js';

export interface TraceRowBinary {
  /** spans (rows) written */
  spans: number;
  /** the rows, a `traces-rb` record */
  bytes: Buffer;
}

/** The request as `traces-rb` rows, or `undefined` when it must take the reference path. */
export function tracesProtobufToRowBinary(body: Buffer): TraceRowBinary | undefined {
  if (body.length === 0) return undefined;
  try {
    return new Transcoder(body, scratch()).request();
  } catch (e) {
    if (e === OFF_PATH) return undefined;
    // a read past the end of the buffer (a malformed payload): the reference path says what is wrong
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/**
 * Writers a request is rendered into, kept from one request to the next (a call runs to
 * its end before the next starts). A fresh writer per request (sized at twice the body:
 * 680 KB for the benchmark's requests of 340 KB, which render to 400 KB of rows) was
 * garbage the receiver's thread had to collect, request after request. One that grew past `SCRATCH_KEPT_BYTES` (a rare huge
 * request) is let go rather than held.
 */
interface Scratch {
  out: RowBinaryWriter;
  /** attribute pairs of one map, before their count is known */
  pairs: RowBinaryWriter;
}
const SCRATCH_KEPT_BYTES = 8 * 1024 * 1024;
let kept: Scratch | undefined;

function scratch(): Scratch {
  if (kept === undefined || kept.out.capacity > SCRATCH_KEPT_BYTES || kept.pairs.capacity > SCRATCH_KEPT_BYTES) {
    kept = { out: new RowBinaryWriter(1024 * 1024), pairs: new RowBinaryWriter(4096) };
  }
  kept.out.truncate(0);
  kept.pairs.truncate(0);
  return kept;
}

/** Thrown (one shared instance, no stack to build) to leave the fast path. */
const OFF_PATH: unique symbol = Symbol('not on the fast path');

/** A known field holding KeyValues (decoded by the reference, so checked), or one to decline. */
const KEY_VALUES = -1;
const DECLINE = -2;
/** Fields the generated decoder (otlp-proto 0.214) reads that this walk skips: field → wire type. */
type KnownFields = Readonly<Record<number, number>>;
const REQUEST: KnownFields = {};
const RESOURCE_SPANS: KnownFields = { 3: 2 }; // schema_url
const RESOURCE: KnownFields = { 2: 0, 3: DECLINE }; // dropped_attributes_count; entity_refs (rare: the reference decodes them)
const SCOPE_SPANS: KnownFields = { 3: 2 }; // schema_url
const SCOPE: KnownFields = { 3: KEY_VALUES, 4: 0 }; // attributes (not stored by the exporter), dropped_attributes_count
const STATUS: KnownFields = {};
const SPAN: KnownFields = { 10: 0, 12: 0, 14: 0, 16: 5 }; // dropped counts; flags (fixed32)
const EVENT: KnownFields = { 4: 0 }; // dropped_attributes_count
const LINK: KnownFields = { 5: 0, 6: 5 }; // dropped_attributes_count; flags (fixed32)

/** Wire type of each AnyValue member, by field number (1 string … 7 bytes). */
const ANY_VALUE_WIRE = [-1, 2, 0, 0, 1, 2, 2, 2];

/** Array/kvlist values nested deeper than this take the reference path. */
const MAX_NESTING = 32;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** pdata's `SpanKind.String()` / `StatusCode.String()` as RowBinary Strings, by enum value. */
const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'].map(rowBinaryString);
const STATUS_CODES = ['Unset', 'Ok', 'Error'].map(rowBinaryString);
const EMPTY_STRING = rowBinaryString('');
const SERVICE_NAME = Buffer.from(SERVICE_NAME_KEY, 'utf8');
const OPEN_BRACKET = Buffer.from('[');
const CLOSE_BRACKET = Buffer.from(']');
const QUOTE = Buffer.from('"');
const COMMA_QUOTE = Buffer.from(',"');

function rowBinaryString(s: string): Buffer {
  const w = new RowBinaryWriter(64);
  w.string(s);
  return w.toBuffer();
}

/** [start, end) of a field's bytes; -1 when absent. */
interface Range {
  start: number;
  end: number;
}

interface SpanFields {
  traceId: Range;
  spanId: Range;
  traceState: Range;
  parentSpanId: Range;
  name: Range;
  kind: number;
  /** fixed64 start/end times: offset of their 8 bytes, -1 when absent */
  startAt: number;
  endAt: number;
  /** [start, end, start, end, …] of the KeyValues */
  attributes: number[];
  events: Range[];
  links: Range[];
  status: Range;
}

class Transcoder {
  private pos = 0;
  private readonly out: RowBinaryWriter;
  private readonly pairs: RowBinaryWriter;
  /** [hash, start, end, …] of the keys of the map being rendered (to find a repeated key); grown on demand */
  private keys = new Int32Array(3 * 64);
  private spans = 0;
  /** low and high halves of the last 64-bit varint read */
  private lo = 0;
  private hi = 0;
  /** end of the last length-delimited field read by `lenStart` */
  private fieldEnd = 0;

  constructor(
    private readonly buf: Buffer,
    scratch: Scratch,
  ) {
    this.out = scratch.out;
    this.pairs = scratch.pairs;
  }

  request(): TraceRowBinary {
    const end = this.buf.length;
    let resourceSpans = 0;
    while (this.pos < end) {
      const tag = this.tag();
      if (tag >>> 3 === 1) {
        const r = this.len(tag, end);
        this.resourceSpans(r.start, r.end);
        resourceSpans++;
      } else this.skipField(REQUEST, tag, end);
    }
    if (resourceSpans === 0) throw OFF_PATH;
    return { spans: this.spans, bytes: this.out.toBuffer() };
  }

  // ---- protobuf reading (positions checked against the enclosing message's end) ----

  /** A varint of at most 32 bits (tags, lengths, enums ≥ 0). */
  private varint32(): number {
    const buf = this.buf;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= buf.length) throw OFF_PATH;
      const b = buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (value > 0x7fffffff) throw OFF_PATH;
        return value;
      }
    }
    throw OFF_PATH;
  }

  /** A varint of up to 64 bits into `lo`/`hi` (as protobufjs reads int64: bits past 64 dropped). */
  private varint64(): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw OFF_PATH;
      const b = buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw OFF_PATH;
  }

  private tag(): number {
    return this.varint32();
  }

  /**
   * Where a length-delimited field's bytes start (its tag read), checked to lie within
   * `end`; where they end is left in `fieldEnd` (no object per field on the hot path).
   */
  private lenStart(tag: number, end: number): number {
    if ((tag & 7) !== WIRE_LEN) throw OFF_PATH;
    const n = this.varint32();
    const start = this.pos;
    if (start + n > end) throw OFF_PATH;
    this.pos = start + n;
    this.fieldEnd = start + n;
    return start;
  }

  /** The bytes of a length-delimited field (its tag read), checked to lie within `end`. */
  private len(tag: number, end: number): Range {
    const start = this.lenStart(tag, end);
    return { start, end: this.fieldEnd };
  }

  /** Offset of a fixed64 field's 8 bytes (its tag read). */
  private fixed64(tag: number, end: number): number {
    if ((tag & 7) !== WIRE_I64 || this.pos + 8 > end) throw OFF_PATH;
    const at = this.pos;
    this.pos += 8;
    return at;
  }

  /** An enum (int32 as protobufjs reads it: the varint's low 32 bits, signed). */
  private enumValue(tag: number): number {
    if ((tag & 7) !== WIRE_VARINT) throw OFF_PATH;
    this.varint32Field();
    return this.lo | 0;
  }

  /**
   * A varint protobufjs reads with `uint32()` (enums, bools, counts) into `lo`: that reads
   * five bytes and then skips five more whatever they are, so a longer varint (other than
   * ten bytes) puts it out of step: declined.
   */
  private varint32Field(): void {
    const start = this.pos;
    this.varint64();
    if (this.pos - start > 5) throw OFF_PATH;
  }

  private skip(wire: number, end: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint64();
        break;
      case WIRE_I64:
        this.pos += 8;
        break;
      case WIRE_LEN: {
        const n = this.varint32(); // read before `pos` is: the varint moves it
        this.pos += n;
        break;
      }
      case WIRE_I32:
        this.pos += 4;
        break;
      default:
        throw OFF_PATH; // groups, or not protobuf
    }
    if (this.pos > end) throw OFF_PATH;
  }

  /**
   * Skips a field this walk does not render. A field the generated decoder knows must
   * have the wire type it reads (protobufjs does not check: it would read on out of step
   * where this walk skips in step), and what it decodes inside must be sound too.
   */
  private skipField(known: KnownFields, tag: number, end: number): void {
    const expect = known[tag >>> 3];
    if (expect === undefined) return this.skip(tag & 7, end);
    if (expect === DECLINE) throw OFF_PATH;
    if (expect === KEY_VALUES) {
      const start = this.lenStart(tag, end);
      const fieldEnd = this.fieldEnd;
      this.checkKeyValue(start, fieldEnd, 0);
      this.pos = fieldEnd;
      return;
    }
    if ((tag & 7) !== expect) throw OFF_PATH;
    if (expect === WIRE_VARINT) this.varint32Field(); // the known varints here are uint32 counts
    else this.skip(tag & 7, end);
    if (this.pos > end) throw OFF_PATH;
  }

  /**
   * A singular message field seen a second time: protobufjs decodes every occurrence
   * (and keeps the last), so an earlier one this walk would not read could make it fail.
   */
  private once(previous: Range | undefined, next: Range): Range {
    if (previous !== undefined) throw OFF_PATH;
    return next;
  }

  // ---- messages ----

  private resourceSpans(start: number, end: number): void {
    this.pos = start;
    let resource: Range | undefined;
    const scopeSpans: Range[] = [];
    while (this.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      if (field === 1) resource = this.once(resource, this.len(tag, end));
      else if (field === 2) scopeSpans.push(this.len(tag, end));
      else this.skipField(RESOURCE_SPANS, tag, end);
    }
    // the resource's attributes (a RowBinary map) and ServiceName, once for all its spans
    const attributes: number[] = [];
    if (resource) {
      this.pos = resource.start;
      while (this.pos < resource.end) {
        const tag = this.tag();
        if (tag >>> 3 === 1) attributes.push(this.lenStart(tag, resource.end), this.fieldEnd);
        else this.skipField(RESOURCE, tag, resource.end);
      }
    }
    const resourceMap = new RowBinaryWriter(1024);
    const serviceName = this.renderMap(attributes, resourceMap, true) ?? EMPTY_STRING;
    const resourceColumns = Buffer.concat([serviceName, resourceMap.toBuffer()]);
    for (const ss of scopeSpans) this.scopeSpans(ss, resourceColumns);
    this.pos = end;
  }

  private scopeSpans(ss: Range, resourceColumns: Buffer): void {
    this.pos = ss.start;
    let scope: Range | undefined;
    const spans: Range[] = [];
    while (this.pos < ss.end) {
      const tag = this.tag();
      const field = tag >>> 3;
      if (field === 1) scope = this.once(scope, this.len(tag, ss.end));
      else if (field === 2) spans.push(this.len(tag, ss.end));
      else this.skipField(SCOPE_SPANS, tag, ss.end);
    }
    let name = EMPTY_RANGE;
    let version = EMPTY_RANGE;
    if (scope) {
      this.pos = scope.start;
      while (this.pos < scope.end) {
        const tag = this.tag();
        const field = tag >>> 3;
        if (field === 1) name = this.len(tag, scope.end);
        else if (field === 2) version = this.len(tag, scope.end);
        else this.skipField(SCOPE, tag, scope.end);
      }
    }
    const scopeColumns = new RowBinaryWriter(256);
    this.utf8String(scopeColumns, name.start, name.end);
    this.utf8String(scopeColumns, version.start, version.end);
    const scopeBytes = scopeColumns.toBuffer();
    for (const sp of spans) this.span(sp, resourceColumns, scopeBytes);
  }

  private span(sp: Range, resourceColumns: Buffer, scopeColumns: Buffer): void {
    const f = this.readSpan(sp);
    if (f.traceId.end - f.traceId.start !== TRACE_ID_BYTES || f.spanId.end - f.spanId.start !== SPAN_ID_BYTES) throw OFF_PATH;
    if (!this.isIdLength(f.parentSpanId, SPAN_ID_BYTES)) throw OFF_PATH;
    // a span without an id is refused by itself (partial success): the reference path says so
    if (this.isZero(f.traceId) || this.isZero(f.spanId)) throw OFF_PATH;
    if (f.kind < 0 || f.kind >= SPAN_KINDS.length) throw OFF_PATH;
    let statusMessage = EMPTY_RANGE;
    let statusCode = 0;
    if (f.status.start >= 0) {
      this.pos = f.status.start;
      while (this.pos < f.status.end) {
        const tag = this.tag();
        const field = tag >>> 3;
        if (field === 2) statusMessage = this.len(tag, f.status.end);
        else if (field === 3) statusCode = this.enumValue(tag);
        else this.skipField(STATUS, tag, f.status.end);
      }
      if (this.pos !== f.status.end) throw OFF_PATH;
    }
    if (statusCode < 0 || statusCode >= STATUS_CODES.length) throw OFF_PATH;

    const w = this.out;
    const buf = this.buf;
    if (f.startAt >= 0) w.raw(buf, f.startAt, f.startAt + 8);
    else w.u64Halves(0, 0);
    w.hexString(buf, f.traceId.start, f.traceId.end);
    w.hexString(buf, f.spanId.start, f.spanId.end);
    this.hexIdOrEmpty(f.parentSpanId);
    this.utf8String(w, f.traceState.start, f.traceState.end);
    this.utf8String(w, f.name.start, f.name.end);
    w.raw(SPAN_KINDS[f.kind]!);
    w.raw(resourceColumns);
    w.raw(scopeColumns);
    this.renderMap(f.attributes, w, false);
    // Duration: end − start modulo 2^64, in 32-bit halves (Go's uint64 arithmetic)
    const startLo = f.startAt >= 0 ? buf.readUInt32LE(f.startAt) : 0;
    const startHi = f.startAt >= 0 ? buf.readUInt32LE(f.startAt + 4) : 0;
    const endLo = f.endAt >= 0 ? buf.readUInt32LE(f.endAt) : 0;
    const endHi = f.endAt >= 0 ? buf.readUInt32LE(f.endAt + 4) : 0;
    const borrow = endLo < startLo ? 1 : 0;
    w.u64Halves(endLo - startLo, endHi - startHi - borrow);
    w.raw(STATUS_CODES[statusCode]!);
    this.utf8String(w, statusMessage.start, statusMessage.end);
    this.events(f.events);
    this.links(f.links);
    this.spans++;
  }

  private readSpan(sp: Range): SpanFields {
    const f: SpanFields = {
      traceId: EMPTY_RANGE,
      spanId: EMPTY_RANGE,
      traceState: EMPTY_RANGE,
      parentSpanId: EMPTY_RANGE,
      name: EMPTY_RANGE,
      kind: 0,
      startAt: -1,
      endAt: -1,
      attributes: [],
      events: [],
      links: [],
      status: ABSENT,
    };
    const end = sp.end;
    this.pos = sp.start;
    while (this.pos < end) {
      const tag = this.tag();
      switch (tag >>> 3) {
        case 1:
          f.traceId = this.len(tag, end);
          break;
        case 2:
          f.spanId = this.len(tag, end);
          break;
        case 3:
          f.traceState = this.len(tag, end);
          break;
        case 4:
          f.parentSpanId = this.len(tag, end);
          break;
        case 5:
          f.name = this.len(tag, end);
          break;
        case 6:
          f.kind = this.enumValue(tag);
          break;
        case 7:
          f.startAt = this.fixed64(tag, end);
          break;
        case 8:
          f.endAt = this.fixed64(tag, end);
          break;
        case 9:
          f.attributes.push(this.lenStart(tag, end), this.fieldEnd);
          break;
        case 11:
          f.events.push(this.len(tag, end));
          break;
        case 13:
          f.links.push(this.len(tag, end));
          break;
        case 15:
          f.status = this.once(f.status === ABSENT ? undefined : f.status, this.len(tag, end));
          break;
        default:
          this.skipField(SPAN, tag, end);
      }
    }
    if (this.pos !== end) throw OFF_PATH;
    return f;
  }

  private events(events: readonly Range[]): void {
    const w = this.out;
    w.varint(events.length);
    if (events.length === 0) {
      w.varint(0);
      w.varint(0);
      return;
    }
    const parsed = events.map((e) => {
      let timeAt = -1;
      let name = EMPTY_RANGE;
      const attributes: number[] = [];
      this.pos = e.start;
      while (this.pos < e.end) {
        const tag = this.tag();
        const field = tag >>> 3;
        if (field === 1) timeAt = this.fixed64(tag, e.end);
        else if (field === 2) name = this.len(tag, e.end);
        else if (field === 3) attributes.push(this.lenStart(tag, e.end), this.fieldEnd);
        else this.skipField(EVENT, tag, e.end);
      }
      return { timeAt, name, attributes };
    });
    for (const e of parsed) {
      if (e.timeAt >= 0) w.raw(this.buf, e.timeAt, e.timeAt + 8);
      else w.u64Halves(0, 0);
    }
    w.varint(parsed.length);
    for (const e of parsed) this.utf8String(w, e.name.start, e.name.end);
    w.varint(parsed.length);
    for (const e of parsed) this.renderMap(e.attributes, w, false);
  }

  private links(links: readonly Range[]): void {
    const w = this.out;
    if (links.length === 0) {
      for (let k = 0; k < 4; k++) w.varint(0);
      return;
    }
    const parsed = links.map((l) => {
      let traceId = EMPTY_RANGE;
      let spanId = EMPTY_RANGE;
      let traceState = EMPTY_RANGE;
      const attributes: number[] = [];
      this.pos = l.start;
      while (this.pos < l.end) {
        const tag = this.tag();
        switch (tag >>> 3) {
          case 1:
            traceId = this.len(tag, l.end);
            break;
          case 2:
            spanId = this.len(tag, l.end);
            break;
          case 3:
            traceState = this.len(tag, l.end);
            break;
          case 4:
            attributes.push(this.lenStart(tag, l.end), this.fieldEnd);
            break;
          default:
            this.skipField(LINK, tag, l.end);
        }
      }
      if (!this.isIdLength(traceId, TRACE_ID_BYTES) || !this.isIdLength(spanId, SPAN_ID_BYTES)) throw OFF_PATH;
      return { traceId, spanId, traceState, attributes };
    });
    w.varint(parsed.length);
    for (const l of parsed) this.hexIdOrEmpty(l.traceId);
    w.varint(parsed.length);
    for (const l of parsed) this.hexIdOrEmpty(l.spanId);
    w.varint(parsed.length);
    for (const l of parsed) this.utf8String(w, l.traceState.start, l.traceState.end);
    w.varint(parsed.length);
    for (const l of parsed) this.renderMap(l.attributes, w, false);
  }

  // ---- attributes ----

  /**
   * Writes the KeyValues at `kvs` ([start, end, …]) to `w` as a RowBinary
   * Map(String, String), values as `Value.AsString()`. With `serviceName`, returns the
   * first `service.name` value as a RowBinary String (undefined when there is none).
   */
  private renderMap(kvs: readonly number[], w: RowBinaryWriter, serviceName: boolean): Buffer | undefined {
    const pairs = this.pairs;
    pairs.truncate(0);
    const buf = this.buf;
    let keys = this.keys;
    let n = 0; // keys seen × 3
    let service: Buffer | undefined;
    for (let i = 0; i < kvs.length; i += 2) {
      const kvEnd = kvs[i + 1]!;
      let keyStart = 0;
      let keyEnd = 0;
      let valueStart = -1;
      let valueEnd = -1;
      this.pos = kvs[i]!;
      while (this.pos < kvEnd) {
        const tag = this.tag();
        const field = tag >>> 3;
        if (field === 1) {
          keyStart = this.lenStart(tag, kvEnd);
          keyEnd = this.fieldEnd;
        } else if (field === 2) {
          if (valueStart >= 0) throw OFF_PATH; // see `once`
          valueStart = this.lenStart(tag, kvEnd);
          valueEnd = this.fieldEnd;
        } else this.skip(tag & 7, kvEnd);
      }
      // a key a JS object would order first (integer-like), or a repeated key: the reference decides
      const first = buf[keyStart]!;
      if (keyEnd > keyStart && first >= 0x30 && first <= 0x39) throw OFF_PATH;
      const h = this.keyHash(keyStart, keyEnd);
      for (let k = 0; k < n; k += 3) {
        if (keys[k] === h && this.sameBytes(keyStart, keyEnd, keys[k + 1]!, keys[k + 2]!)) throw OFF_PATH;
      }
      if (n + 3 > keys.length) {
        const grown = new Int32Array(keys.length * 2);
        grown.set(keys);
        keys = this.keys = grown;
      }
      keys[n] = h;
      keys[n + 1] = keyStart;
      keys[n + 2] = keyEnd;
      n += 3;
      this.utf8String(pairs, keyStart, keyEnd);
      const valueAt = pairs.length;
      this.anyValue(valueStart, valueEnd, pairs);
      if (serviceName && service === undefined && this.equalsBytes(keyStart, keyEnd, SERVICE_NAME)) service = pairs.slice(valueAt);
    }
    w.varint(n / 3);
    w.raw(pairs.view());
    return service;
  }

  /** `Value.AsString()` of the AnyValue at [start, end) (start -1: no value) as a RowBinary String. */
  private anyValue(start: number, end: number, w: RowBinaryWriter): void {
    if (start < 0 || start === end) {
      w.raw(EMPTY_STRING);
      return;
    }
    this.pos = start;
    let tag = this.tag();
    let at = this.pos;
    this.skip(tag & 7, end);
    if (this.pos < end || (tag >>> 3 < 1 || tag >>> 3 > 7)) {
      // more than one field (or an unknown one): find the member, refuse two
      this.pos = start;
      let members = 0;
      while (this.pos < end) {
        const t = this.tag();
        const f = t >>> 3;
        if (f >= 1 && f <= 7) {
          if ((t & 7) !== ANY_VALUE_WIRE[f]) throw OFF_PATH; // protobufjs would read it by its type, out of step
          members++;
          tag = t;
          at = this.pos;
        }
        this.skip(t & 7, end);
      }
      if (members > 1) throw OFF_PATH;
      if (members === 0) {
        w.raw(EMPTY_STRING);
        return;
      }
    }
    this.pos = at;
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: {
        // string_value
        const s = this.lenStart(tag, end);
        this.utf8String(w, s, this.fieldEnd);
        return;
      }
      case 2: // bool_value (protobufjs: the varint's low 32 bits, non-zero)
        if (wire !== WIRE_VARINT) throw OFF_PATH;
        this.varint32Field();
        w.string(this.lo !== 0 ? 'true' : 'false');
        return;
      case 3: {
        // int_value
        if (wire !== WIRE_VARINT) throw OFF_PATH;
        this.varint64();
        w.string(this.hi < 0x200000 ? String(this.hi * 4294967296 + this.lo) : i64ToDecimal({ low: this.lo, high: this.hi }));
        return;
      }
      case 4: // double_value
        w.string(goFloatAsString(this.buf.readDoubleLE(this.fixed64(tag, end))));
        return;
      case 7: {
        // bytes_value
        const s = this.lenStart(tag, end);
        w.string(this.buf.toString('base64', s, this.fieldEnd));
        return;
      }
      default: {
        // array_value, kvlist_value: the reference renders them (Go's json.Marshal), from
        // the generated decoder's object for this value alone — once the value is known to
        // lie whole within its bounds (decoding a slice, protobufjs would cut a string
        // running past it short where decoding the request reads on)
        if (wire !== WIRE_LEN) throw OFF_PATH;
        if (tag >>> 3 === 5 && this.plainStringArray(at, end, w)) return;
        this.checkAnyValue(start, end, 0);
        let rendered: string;
        try {
          rendered = anyValueAsString(AnyValueType.decode(this.buf.subarray(start, end)));
        } catch {
          throw OFF_PATH; // nested too deeply, or malformed inside: the reference says which
        }
        w.string(rendered);
      }
    }
  }

  /**
   * An array_value (its length varint at `at`, the AnyValue ending at `end`) whose values
   * are all strings Go's JSON encoder writes as they are (printable ASCII but `"`, `\`,
   * `<`, `>`, `&`), each value exactly one string member: written as `json.Marshal` writes
   * it (`["stop","length"]`). False (nothing written) for any other array: the reference
   * renders those. The common case (`gen_ai.response.finish_reasons`), without decoding.
   */
  private plainStringArray(at: number, end: number, w: RowBinaryWriter): boolean {
    const buf = this.buf;
    this.pos = at;
    const listEnd = this.varint32() + this.pos;
    if (listEnd !== end) return false;
    // pass 1: check, and the rendered length
    let p = this.pos;
    let length = 2; // [ ]
    let values = 0;
    while (p < listEnd) {
      // values[i]: 0a <n> (an AnyValue of n bytes) = 0a <m> <m bytes> (its string_value)
      if (buf[p] !== 0x0a || p + 4 > listEnd) return false;
      const n = buf[p + 1]!;
      const m = buf[p + 3]!;
      if (n >= 0x80 || buf[p + 2] !== 0x0a || m >= 0x80 || n !== m + 2 || p + 2 + n > listEnd) return false;
      for (let i = p + 4; i < p + 4 + m; i++) {
        const c = buf[i]!;
        if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) return false;
      }
      length += m + 2 + (values > 0 ? 1 : 0);
      values++;
      p += 2 + n;
    }
    // pass 2: write
    w.varint(length);
    w.ensure(length);
    let first = true;
    w.raw(OPEN_BRACKET);
    for (p = this.pos; p < listEnd; p += 2 + buf[p + 1]!) {
      w.raw(first ? QUOTE : COMMA_QUOTE);
      w.raw(buf, p + 4, p + 4 + buf[p + 3]!);
      w.raw(QUOTE);
      first = false;
    }
    w.raw(CLOSE_BRACKET);
    this.pos = end;
    return true;
  }

  /**
   * Walks the AnyValue at [start, end) and what it nests, declining (OFF_PATH) unless every
   * field lies within its message and known fields have their wire types.
   */
  private checkAnyValue(start: number, end: number, depth: number): void {
    if (depth > MAX_NESTING) throw OFF_PATH;
    this.pos = start;
    while (this.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      if (field === 5 || field === 6) {
        // ArrayValue { repeated AnyValue values = 1 } / KeyValueList { repeated KeyValue values = 1 }
        const listStart = this.lenStart(tag, end);
        const listEnd = this.fieldEnd;
        this.pos = listStart;
        while (this.pos < listEnd) {
          const t = this.tag();
          if (t >>> 3 !== 1) {
            this.skip(t & 7, listEnd);
            continue;
          }
          const itemStart = this.lenStart(t, listEnd);
          const itemEnd = this.fieldEnd;
          if (field === 5) this.checkAnyValue(itemStart, itemEnd, depth + 1);
          else this.checkKeyValue(itemStart, itemEnd, depth + 1);
          this.pos = itemEnd;
        }
        this.pos = listEnd;
      } else if (field === 1 || field === 7) this.lenStart(tag, end);
      else if ((field === 2 || field === 3) && (tag & 7) !== WIRE_VARINT) throw OFF_PATH;
      else if (field === 2) this.varint32Field(); // bool: read as uint32
      else if (field === 3) this.varint64();
      else if (field === 4) this.fixed64(tag, end);
      else this.skip(tag & 7, end);
    }
    if (this.pos !== end) throw OFF_PATH;
  }

  /** `checkAnyValue` for a KeyValue { string key = 1; AnyValue value = 2 }. */
  private checkKeyValue(start: number, end: number, depth: number): void {
    this.pos = start;
    while (this.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      if (field === 1) this.lenStart(tag, end);
      else if (field === 2) {
        // a second value: checked too, as the reference decodes both (the last wins)
        const valueStart = this.lenStart(tag, end);
        const valueEnd = this.fieldEnd;
        this.checkAnyValue(valueStart, valueEnd, depth + 1);
        this.pos = valueEnd;
      } else this.skip(tag & 7, end);
    }
    if (this.pos !== end) throw OFF_PATH;
  }

  // ---- strings and ids ----

  /** A String of the bytes at [start, end), which must be valid UTF-8 (as protobufjs decodes them unchanged). */
  private utf8String(w: RowBinaryWriter, start: number, end: number): void {
    if (!w.asciiString(this.buf, start, end) && !isUtf8(this.buf.subarray(start, end))) throw OFF_PATH;
  }

  /** The id at `r` as the exporter writes it: hex, or "" when absent or all zeros. */
  private hexIdOrEmpty(r: Range): void {
    if (this.isZero(r)) this.out.raw(EMPTY_STRING);
    else this.out.hexString(this.buf, r.start, r.end);
  }

  private isIdLength(r: Range, size: number): boolean {
    const n = r.end - r.start;
    return n === 0 || n === size;
  }

  /** Absent, empty or all zeros. */
  private isZero(r: Range): boolean {
    for (let i = r.start; i < r.end; i++) if (this.buf[i] !== 0) return false;
    return true;
  }

  /** FNV-1a of the bytes, kept to 30 bits (a small integer to V8: no boxing). */
  private keyHash(start: number, end: number): number {
    let h = 0x011c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ this.buf[i]!, 0x01000193) & 0x3fffffff;
    return h;
  }

  private sameBytes(start: number, end: number, otherStart: number, otherEnd: number): boolean {
    return end - start === otherEnd - otherStart && this.buf.compare(this.buf, otherStart, otherEnd, start, end) === 0;
  }

  private equalsBytes(start: number, end: number, bytes: Buffer): boolean {
    return end - start === bytes.length && this.buf.compare(bytes, 0, bytes.length, start, end) === 0;
  }
}

const EMPTY_RANGE: Range = { start: 0, end: 0 };
const ABSENT: Range = { start: -1, end: -1 };
