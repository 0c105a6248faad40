/**
 * OTLP/JSON export requests to the generated protobuf message objects, the same shape
 * the protobuf decoder returns, so one mapping serves both formats.
 *
 * The OTLP/JSON mapping (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding)
 * differs from protobufjs' own JSON form, so the parsed document is first rewritten into
 * the form `fromObject` expects, field by field (by field name: OTLP names are unique in
 * meaning across messages):
 * - trace and span ids (spans, links, exemplars): hex, not base64 → bytes;
 * - 64-bit integers: decimal strings or numbers → `{ low, high }`;
 * - enums: numbers or the enum value names → numbers;
 * - doubles: numbers or "NaN", "Infinity", "-Infinity" (or a numeric string) → numbers;
 * - `bytesValue`: base64 (standard or URL-safe) is checked, then decoded by `fromObject`.
 * Then the generated `verify` checks every field's type; when it fails, the element at
 * fault is found by verifying the document with one array element at a time, so the
 * error carries a full path (`resourceSpans[0].scopeSpans[0].spans[2].name`). Unknown
 * fields are ignored, as the protocol requires.
 */
import { DecodeError } from '../../core/errors.js';
import { hexToBytes, SPAN_ID_BYTES, TRACE_ID_BYTES } from './ids.js';
import { parseJsonText } from './json-syntax.js';
import {
  AggregationTemporalityValues,
  ExportMetricsServiceRequestType,
  ExportTraceServiceRequestType,
  SpanKindValues,
  StatusCodeValues,
  type EnumValues,
  type ExportMetricsServiceRequest,
  type ExportTraceServiceRequest,
  type LongBits,
  type MessageType,
} from './otlp-proto.js';

/** What an OTLP/JSON document holds, by its top-level key. */
export type OtlpJsonSignal = 'traces' | 'metrics' | 'logs';

const SIGNAL_KEYS: ReadonlyMap<string, OtlpJsonSignal> = new Map([
  ['resourceSpans', 'traces'],
  ['resourceMetrics', 'metrics'],
  ['resourceLogs', 'logs'],
]);

/** Parses OTLP/JSON text; a syntax error is a `DecodeError` with line and column. */
export function parseOtlpJson(payload: string | Uint8Array): unknown {
  return parseJsonText(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
}

/** The signal of a parsed OTLP/JSON document, by its top-level key. */
export function detectOtlpJsonSignal(doc: unknown): OtlpJsonSignal {
  if (!isJsonObject(doc)) throw new DecodeError(`expected an OTLP/JSON export request (a JSON object), got ${describe(doc)}`);
  for (const [key, signal] of SIGNAL_KEYS) if (Object.hasOwn(doc, key)) return signal;
  throw new DecodeError('not an OTLP/JSON export request: no resourceSpans, resourceMetrics or resourceLogs at the top level');
}

/**
 * `reuseDocument`: decode by rewriting the parsed document's own objects, for a document
 * nobody else holds (saves a copy of it); by default the document is left as it is.
 */
export interface JsonDocumentOptions {
  reuseDocument?: boolean;
}

/** OTLP/JSON text (a string or UTF-8 bytes) of a trace export request. */
export function decodeTracesJson(text: string | Uint8Array): ExportTraceServiceRequest {
  return decodeTracesJsonDocument(parseOtlpJson(text), { reuseDocument: true });
}

/** An already parsed OTLP/JSON trace export request. */
export function decodeTracesJsonDocument(doc: unknown, options: JsonDocumentOptions = {}): ExportTraceServiceRequest {
  return decodeOwnedDocument(options.reuseDocument ? doc : copyOf(doc), 'traces', ExportTraceServiceRequestType);
}

/** OTLP/JSON text (a string or UTF-8 bytes) of a metrics export request. */
export function decodeMetricsJson(text: string | Uint8Array): ExportMetricsServiceRequest {
  return decodeMetricsJsonDocument(parseOtlpJson(text), { reuseDocument: true });
}

/** An already parsed OTLP/JSON metrics export request. */
export function decodeMetricsJsonDocument(doc: unknown, options: JsonDocumentOptions = {}): ExportMetricsServiceRequest {
  return decodeOwnedDocument(options.reuseDocument ? doc : copyOf(doc), 'metrics', ExportMetricsServiceRequestType);
}

function copyOf(doc: unknown): unknown {
  try {
    return structuredClone(doc);
  } catch (e) {
    throw new DecodeError(`not a JSON document: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }
}

/** Decodes `doc`, which nobody else holds: it is rewritten in place into the form `fromObject` reads. */
function decodeOwnedDocument<T>(doc: unknown, signal: OtlpJsonSignal, type: MessageType<T>): T {
  checkSignal(doc, signal);
  try {
    const prepared = prepareInPlace(doc, []) as Record<string, unknown>;
    const problem = type.verify(prepared);
    if (problem !== null) throw locateVerifyError(type, prepared, problem);
    return type.fromObject(prepared);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // JSON.parse takes any depth; the recursive steps after it do not
    const reason = isStackOverflow(e) ? 'nested too deeply' : e instanceof Error ? e.message : String(e);
    throw new DecodeError(`invalid OTLP/JSON: ${reason}`, {}, { cause: e });
  }
}

/** The document must be an object, and not an export of another signal. (`{}` is an empty export.) */
function checkSignal(doc: unknown, expected: OtlpJsonSignal): asserts doc is Record<string, unknown> {
  if (!isJsonObject(doc)) throw new DecodeError(`expected an OTLP/JSON export request (a JSON object), got ${describe(doc)}`);
  let other: [string, OtlpJsonSignal] | undefined;
  for (const [key, signal] of SIGNAL_KEYS) {
    if (!Object.hasOwn(doc, key)) continue;
    if (signal === expected) return;
    other ??= [key, signal];
  }
  if (other !== undefined) {
    const expectedKey = [...SIGNAL_KEYS].find(([, s]) => s === expected)![0];
    throw new DecodeError(`expected an OTLP ${expected} export (${expectedKey}), got a ${other[1]} export (${other[0]})`);
  }
}

// ---- the OTLP/JSON mapping → the plain objects `fromObject` reads ----

type Path = (string | number)[];

/** How an OTLP/JSON field's value becomes what `fromObject` reads (`null` stays `null`). */
type FieldRule = (value: unknown, path: Path) => unknown;

const traceIdRule: FieldRule = (v, path) => hexId(v, TRACE_ID_BYTES, path);
const spanIdRule: FieldRule = (v, path) => hexId(v, SPAN_ID_BYTES, path);
/** fixed64/uint64 */
const unsignedRule: FieldRule = (v, path) => int64(v, false, path);
const unsignedListRule: FieldRule = (v, path) =>
  Array.isArray(v) ? mapElements(v, path, (e) => int64(e, false, path)) : int64(v, false, path);
/** int64/sfixed64 */
const signedRule: FieldRule = (v, path) => int64(v, true, path);
/** double: a string there may be one of the proto3 JSON spellings of a double */
const doubleRule: FieldRule = (v, path) => (typeof v === 'string' ? doubleFromText(v) : prepareInPlace(v, path));
const doubleListRule: FieldRule = (v, path) =>
  Array.isArray(v) ? mapElements(v, path, (e) => (typeof e === 'string' ? doubleFromText(e) : e)) : v;
const enumRule =
  (name: string, values: EnumValues): FieldRule =>
  (v, path) =>
    enumValue(v, name, values, path);

/**
 * The fields whose OTLP/JSON form differs from protobufjs' object form, by name (a name
 * means the same type in every OTLP message that has it: `value` is a double in
 * ValueAtQuantile and an AnyValue object in KeyValue, so only a string there is converted).
 */
const FIELD_RULES: ReadonlyMap<string, FieldRule> = new Map([
  ['traceId', traceIdRule],
  ['spanId', spanIdRule],
  ['parentSpanId', spanIdRule],
  ['startTimeUnixNano', unsignedRule],
  ['endTimeUnixNano', unsignedRule],
  ['timeUnixNano', unsignedRule],
  ['observedTimeUnixNano', unsignedRule],
  ['count', unsignedRule],
  ['zeroCount', unsignedRule],
  ['bucketCounts', unsignedListRule],
  ['intValue', signedRule],
  ['asInt', signedRule],
  ['asDouble', doubleRule],
  ['doubleValue', doubleRule],
  ['sum', doubleRule],
  ['min', doubleRule],
  ['max', doubleRule],
  ['zeroThreshold', doubleRule],
  ['quantile', doubleRule],
  ['value', doubleRule],
  ['explicitBounds', doubleListRule],
  ['kind', enumRule('SpanKind', SpanKindValues)],
  ['code', enumRule('StatusCode', StatusCodeValues)],
  ['aggregationTemporality', enumRule('AggregationTemporality', AggregationTemporalityValues)],
  ['bytesValue', (v, path) => base64(v, path)],
]);

/** `value` with its OTLP/JSON fields converted (objects and arrays rewritten in place). */
function prepareInPlace(value: unknown, path: Path): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      value[i] = prepareInPlace(value[i], path);
      path.pop();
    }
    return value;
  }
  if (!isJsonObject(value)) return value;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue; // never an OTLP field; assigning it would set the prototype
    const field = value[key];
    if (field === null) continue;
    path.push(key);
    const rule = FIELD_RULES.get(key);
    value[key] = rule === undefined ? prepareInPlace(field, path) : rule(field, path);
    path.pop();
  }
  return value;
}

function mapElements(values: unknown[], path: Path, f: (v: unknown) => unknown): unknown[] {
  for (let i = 0; i < values.length; i++) {
    path.push(i);
    values[i] = f(values[i]);
    path.pop();
  }
  return values;
}

function hexId(value: unknown, bytes: number, path: Path): Uint8Array {
  const id = typeof value === 'string' ? hexToBytes(value) : undefined;
  if (id === undefined || (id.length !== 0 && id.length !== bytes)) {
    throw new DecodeError(`expected ${bytes * 2} hex characters, got ${describe(value)}`, { path: formatPath(path) });
  }
  return id;
}

const INTEGER_TEXT = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A 64-bit integer (number or decimal string) as the `{ low, high }` protobufjs takes. */
function int64(value: unknown, signed: boolean, path: Path): number | LongBits {
  let n: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (Number.isSafeInteger(value) && (signed || value >= 0)) return value;
    n = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    n = BigInt(value);
  }
  const inRange = n !== undefined && (signed ? n >= INT64_MIN && n <= INT64_MAX : n >= 0n && n <= UINT64_MAX);
  if (n === undefined || !inRange) {
    const kind = signed ? 'a 64-bit integer' : 'an unsigned 64-bit integer';
    throw new DecodeError(`expected ${kind} (a number or a string of digits), got ${describe(value)}`, { path: formatPath(path) });
  }
  const bits = BigInt.asUintN(64, n);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: !signed };
}

const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The double a proto3 JSON string spells, or the string itself (for verify to refuse). */
function doubleFromText(text: string): number | string {
  if (text === 'NaN') return NaN;
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  return NUMBER_TEXT.test(text) ? Number(text) : text;
}

function enumValue(value: unknown, name: string, values: EnumValues, path: Path): unknown {
  if (typeof value !== 'string') return value; // numbers (and wrong types) are checked by verify
  if (Object.hasOwn(values, value)) return values[value];
  throw new DecodeError(`expected a ${name} number or name, got ${describe(value)}`, { path: formatPath(path) });
}

const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;

function base64(value: unknown, path: Path): string {
  if (typeof value !== 'string' || !BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
    throw new DecodeError(`expected base64, got ${describe(value)}`, { path: formatPath(path) });
  }
  return value.replace(/-/g, '+').replace(/_/g, '/');
}

// ---- verify failures → a path ----

/**
 * Turns the generated `verify`'s reason (e.g. "resourceSpans.scopeSpans.spans.name:
 * string expected", no indices) into a DecodeError with an indexed path. Along the named
 * fields, each array is narrowed to the first element that alone reproduces the same
 * reason. `doc` is the prepared document (ours), narrowed in place.
 */
function locateVerifyError(type: MessageType<unknown>, doc: Record<string, unknown>, problem: string): DecodeError {
  const colon = problem.indexOf(': ');
  const fields = (colon === -1 ? problem : problem.slice(0, colon)).split('.');
  const expected = colon === -1 ? fields.pop()! : problem.slice(colon + 2);
  let node: unknown = doc;
  let path = '';
  for (const field of fields) {
    if (!isJsonObject(node) || !Object.hasOwn(node, field)) break; // a oneof name ("value", "data"), not a key
    const parent = node;
    path += path === '' ? field : `.${field}`;
    let child = parent[field];
    if (Array.isArray(child)) {
      const all = child;
      const at = all.findIndex((element) => {
        parent[field] = [element];
        return type.verify(doc) === problem;
      });
      if (at === -1) {
        parent[field] = all;
        break;
      }
      path += `[${at}]`;
      child = all[at];
    }
    node = child;
  }
  return new DecodeError(verifyReason(expected, node, fields[fields.length - 1] ?? ''), path === '' ? {} : { path });
}

function verifyReason(expected: string, actual: unknown, field: string): string {
  const got = `got ${describe(actual)}`;
  switch (expected) {
    case 'string expected':
      return `expected a string, ${got}`;
    case 'boolean expected':
      return `expected a boolean, ${got}`;
    case 'number expected':
      return `expected a number, ${got}`;
    case 'integer expected':
    case 'integer|Long expected':
    case 'integer|Long[] expected':
      return `expected an integer, ${got}`;
    case 'array expected':
      return `expected an array, ${got}`;
    case 'object expected':
      return `expected an object, ${got}`;
    case 'enum value expected':
      return `expected a known enum value, ${got}`;
    case 'buffer expected':
      return `expected a base64 string, ${got}`;
    case 'multiple values':
      return `more than one field of the oneof "${field}" is set`;
    default:
      return expected;
  }
}

// ---- helpers ----

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes('call stack');
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

/** A short rendering of a JSON value for error messages. */
function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) return 'a 64-bit integer';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
