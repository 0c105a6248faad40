/**
 * SQL that makes ClickHouse itself parse an OTLP/protobuf `ExportTraceServiceRequest` and
 * flatten it into `otel_traces` rows — the same rows, value for value, that the JS decoder
 * (`collectors/otlp/traces-to-rows.ts`) produces, i.e. what the OpenTelemetry Collector
 * contrib clickhouseexporter writes:
 *
 * - the payload is read by the `ProtobufSingle` input format into one row whose one
 *   column is the request as nested types ({@link TRACE_REQUEST_STRUCTURE}: repeated →
 *   Array, message → Tuple, names as in the .proto), then `ARRAY JOIN`ed
 *   resource_spans → scope_spans → spans;
 * - attribute values are rendered as pdata's `Value.AsString()` (see
 *   `collectors/otlp/attributes.ts`): string as is, int in decimal, double as Go's JSON
 *   encoder / ES6 writes it, bool `true`/`false`, bytes base64, arrays and kvlists as Go's
 *   `json.Marshal`. Which member of the `AnyValue` oneof is set comes from
 *   `input_format_protobuf_oneof_presence` (a column named after the oneof);
 * - ids lowercase hex ("" when empty or all zeros), SpanKind/StatusCode as pdata names,
 *   ServiceName from the first resource `service.name`, times as Int64 unix ns (the
 *   staging tables' type), Duration = end − start modulo 2^64 (Go's uint64 arithmetic).
 *
 * Checks, raised with `throwIf` and a chosen error code so the caller classifies by code:
 * - {@link PAYLOAD_FAULT_CODE}: what the JS decoder also refuses (id lengths, span kind
 *   and status code values out of range);
 * - {@link UNSUPPORTED_CODE}: payloads that are valid but that this SQL does not render
 *   exactly: an array or kvlist nested inside an array or kvlist; a string inside an
 *   array/kvlist with a control character other than \b \t \n \f \r, U+2028/U+2029 or
 *   invalid UTF-8 (Go's JSON escapes); a repeated attribute key (the exporter keeps the
 *   last value; the keys MUST be unique per the spec). The caller decodes those payloads
 *   with the JS decoder instead.
 *
 * Every expression runs with short-circuit evaluation off: all branches are computed
 * (cheap, and measured 2× faster than short-circuiting over nested tuples), so no branch
 * may throw or be costly for values it does not apply to.
 */

/** `throwIf` error code for a malformed payload: INCORRECT_DATA. */
export const PAYLOAD_FAULT_CODE = 117;
/** `throwIf` error code for a payload this SQL does not render: NOT_IMPLEMENTED. */
export const UNSUPPORTED_CODE = 48;

/** `input_format_protobuf_oneof_presence` column of `AnyValue.value`: the field number of the member set. */
const ANY_VALUE_CASE =
  "Enum8('none' = 0, 'string_value' = 1, 'bool_value' = 2, 'int_value' = 3, 'double_value' = 4, 'array_value' = 5, 'kvlist_value' = 6, 'bytes_value' = 7)";

const SCALARS = 'string_value String, bool_value Bool, int_value Int64, double_value Float64, bytes_value String';

/**
 * An AnyValue inside an array or kvlist: scalars, plus just enough of a nested array or
 * kvlist for the presence column to say one is there (ClickHouse sets the presence only
 * for members it maps), so such payloads can be handed to the JS decoder.
 */
const NESTED_ANY_VALUE = `Tuple(${SCALARS}, array_value Tuple(\`values\` Array(Tuple(bool_value Bool))), kvlist_value Tuple(\`values\` Array(Tuple(key String))), value ${ANY_VALUE_CASE})`;

/** An attribute value: scalars, or an array / kvlist of {@link NESTED_ANY_VALUE}. */
const ANY_VALUE = `Tuple(${SCALARS}, array_value Tuple(\`values\` Array(${NESTED_ANY_VALUE})), kvlist_value Tuple(\`values\` Array(Tuple(key String, value ${NESTED_ANY_VALUE}))), value ${ANY_VALUE_CASE})`;

const KEY_VALUES = `Array(Tuple(key String, value ${ANY_VALUE}))`;

const SPAN = `Tuple(trace_id String, span_id String, trace_state String, parent_span_id String, name String, kind Int32, start_time_unix_nano UInt64, end_time_unix_nano UInt64, attributes ${KEY_VALUES}, events Array(Tuple(time_unix_nano UInt64, name String, attributes ${KEY_VALUES})), links Array(Tuple(trace_id String, span_id String, trace_state String, attributes ${KEY_VALUES})), status Tuple(message String, code Int32))`;

/**
 * The `ExportTraceServiceRequest` as ClickHouse types, for `file(…, 'ProtobufSingle', s)`
 * or `input(s)`. Fields not named here (dropped counts, flags, schema urls, the
 * deprecated `instrumentation_library_spans`) are skipped, as the JS decoder ignores them.
 */
export const TRACE_REQUEST_STRUCTURE = `resource_spans Array(Tuple(resource Tuple(attributes ${KEY_VALUES}), scope_spans Array(Tuple(scope Tuple(name String, version String), spans Array(${SPAN})))))`;

/** Settings the read needs besides the schema (see {@link protobufReadSettings}). */
export function protobufReadSettings(schema: { text: string; messageName: string }): Record<string, string | number> {
  return {
    format_schema_source: 'string',
    format_schema: schema.text,
    format_schema_message_name: schema.messageName,
    input_format_protobuf_oneof_presence: 1,
    allow_custom_error_code_in_throwif: 1,
    short_circuit_function_evaluation: 'disable',
  };
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A `SETTINGS` clause (query-scoped; names are fixed identifiers). */
export function settingsClause(settings: Record<string, string | number>): string {
  return `SETTINGS ${Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : sqlString(v)}`)
    .join(', ')}`;
}

// ---- values ----

/** A finite Float64 as Go's JSON encoder / ES6 writes it: ClickHouse's shortest digits, `e+` for positive exponents. */
function goFloat(x: string): string {
  return `replaceOne(toString(${x}), 'e', if(position(toString(${x}), 'e-') > 0, 'e', 'e+'))`;
}

/** pdata's `float64AsString`: NaN and ±Inf give the JSON encoder's error text. */
function goFloatAsString(x: string): string {
  return `multiIf(isNaN(${x}), 'json: unsupported value: NaN', isInfinite(${x}), if(${x} > 0, 'json: unsupported value: +Inf', 'json: unsupported value: -Inf'), ${goFloat(x)})`;
}

/**
 * A string as a Go JSON string literal, for the characters this SQL escapes
 * (`\\`, `"`, `<`, `>`, `&`, \b \t \n \f \r); {@link needsGoEscapeFallback} sends the others to JS.
 */
function goJsonString(s: string): string {
  const pairs: [string, string][] = [
    ['\\\\', '\\\\\\\\'],
    ['"', '\\\\"'],
    ['<', '\\\\u003c'],
    ['>', '\\\\u003e'],
    ['&', '\\\\u0026'],
    ['\\n', '\\\\n'],
    ['\\r', '\\\\r'],
    ['\\t', '\\\\t'],
    ['\\b', '\\\\b'],
    ['\\f', '\\\\f'],
  ];
  let e = s;
  for (const [from, to] of pairs) e = `replaceAll(${e}, '${from}', '${to}')`;
  return `concat('"', ${e}, '"')`;
}

/** A string Go's JSON encoder would escape in a way {@link goJsonString} does not. */
function needsGoEscapeFallback(s: string): string {
  return `(match(${s}, '[\\\\x00-\\\\x07\\\\x0b\\\\x0e-\\\\x1f]') OR position(${s}, '\u2028') > 0 OR position(${s}, '\u2029') > 0 OR NOT isValidUTF8(${s}))`;
}

/** `json.Marshal` of a scalar (or empty) nested AnyValue `v`. */
function goJsonScalar(v: string): string {
  return `multiIf(${v}.value = 'string_value', ${goJsonString(`${v}.string_value`)}, ${v}.value = 'int_value', toString(${v}.int_value), ${v}.value = 'double_value', ${goFloat(`${v}.double_value`)}, ${v}.value = 'bool_value', if(${v}.bool_value, 'true', 'false'), ${v}.value = 'bytes_value', concat('"', base64Encode(${v}.bytes_value), '"'), 'null')`;
}

/** A nested AnyValue whose double is NaN/±Inf: Go's marshal fails and the exporter stores "". */
function nonFinite(v: string): string {
  return `(${v}.value = 'double_value' AND NOT isFinite(${v}.double_value))`;
}

/** `Value.AsString()` of an ArrayValue `a` (its `values` are nested AnyValues). */
function arrayAsString(a: string): string {
  return `if(arrayExists(e -> ${nonFinite('e')}, ${a}.values), '', concat('[', arrayStringConcat(arrayMap(e -> ${goJsonScalar('e')}, ${a}.values), ','), ']'))`;
}

/** `Value.AsString()` of a KeyValueList `l`: keys sorted bytewise, as Go's encoder sorts map keys. */
function kvlistAsString(l: string): string {
  return `if(arrayExists(kv -> ${nonFinite('kv.value')}, ${l}.values), '', concat('{', arrayStringConcat(arrayMap(kv -> concat(${goJsonString('kv.key')}, ':', ${goJsonScalar('kv.value')}), arraySort(kv -> kv.key, ${l}.values)), ','), '}'))`;
}

/** `Value.AsString()` of an attribute value `v` ({@link ANY_VALUE}). */
export function anyValueAsString(v: string): string {
  return `multiIf(${v}.value = 'string_value', ${v}.string_value, ${v}.value = 'int_value', toString(${v}.int_value), ${v}.value = 'double_value', ${goFloatAsString(`${v}.double_value`)}, ${v}.value = 'bool_value', if(${v}.bool_value, 'true', 'false'), ${v}.value = 'bytes_value', base64Encode(${v}.bytes_value), ${v}.value = 'array_value', ${arrayAsString(`${v}.array_value`)}, ${v}.value = 'kvlist_value', ${kvlistAsString(`${v}.kvlist_value`)}, '')`;
}

/** An attribute list `attrs` as the `Map(LowCardinality(String), String)` column. */
export function attributesMap(attrs: string): string {
  return `mapFromArrays(arrayMap(kv -> kv.key, ${attrs}), arrayMap(kv -> ${anyValueAsString('kv.value')}, ${attrs}))`;
}

/** True when a nested AnyValue `v` is rendered by JS instead (see the module comment). */
function nestedUnsupported(v: string): string {
  return `(${v}.value IN ('array_value', 'kvlist_value') OR (${v}.value = 'string_value' AND ${needsGoEscapeFallback(`${v}.string_value`)}))`;
}

/** True when an attribute list `attrs` needs the JS decoder (see the module comment). */
export function attributesUnsupported(attrs: string): string {
  const kvlist = `(kv.value.value = 'kvlist_value' AND (arrayExists(x -> ${nestedUnsupported('x.value')} OR ${needsGoEscapeFallback('x.key')}, kv.value.kvlist_value.values) OR arrayUniq(arrayMap(x -> x.key, kv.value.kvlist_value.values)) != length(kv.value.kvlist_value.values)))`;
  const array = `(kv.value.value = 'array_value' AND arrayExists(x -> ${nestedUnsupported('x')}, kv.value.array_value.values))`;
  return `(arrayUniq(arrayMap(kv -> kv.key, ${attrs})) != length(${attrs}) OR arrayExists(kv -> ${array} OR ${kvlist}, ${attrs}))`;
}

/** An id as the exporter writes it: lowercase hex, "" when empty or all zeros. */
function hexId(id: string): string {
  return `if(${id} = repeat('\\0', length(${id})), '', lower(hex(${id})))`;
}

/** An id whose length is neither 0 nor `size` bytes (pdata refuses it). */
function badIdLength(id: string, size: number): string {
  return `length(${id}) NOT IN (0, ${size})`;
}

const SPAN_KIND_NAMES = "['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']";
const STATUS_CODE_NAMES = "['Unset', 'Ok', 'Error']";

/**
 * The expression of each `otel_traces` column (times as Int64 unix ns, as staged),
 * over `res` (per resource: `ResourceAttributes`, `ServiceName`), `ss` (scope spans) and
 * `sp` (span) — see {@link traceRowsSelect}.
 */
export const SPAN_COLUMNS: Readonly<Record<string, string>> = {
  Timestamp: 'toInt64(sp.start_time_unix_nano)',
  TraceId: hexId('sp.trace_id'),
  SpanId: hexId('sp.span_id'),
  ParentSpanId: hexId('sp.parent_span_id'),
  TraceState: 'sp.trace_state',
  SpanName: 'sp.name',
  SpanKind: `${SPAN_KIND_NAMES}[sp.kind + 1]`,
  ServiceName: 'ServiceName',
  ResourceAttributes: 'ResourceAttributes',
  ScopeName: 'ss.scope.name',
  ScopeVersion: 'ss.scope.version',
  SpanAttributes: attributesMap('sp.attributes'),
  Duration: 'toUInt64(sp.end_time_unix_nano - sp.start_time_unix_nano)',
  StatusCode: `${STATUS_CODE_NAMES}[sp.status.code + 1]`,
  StatusMessage: 'sp.status.message',
  'Events.Timestamp': 'arrayMap(e -> toInt64(e.time_unix_nano), sp.events)',
  'Events.Name': 'arrayMap(e -> e.name, sp.events)',
  'Events.Attributes': `arrayMap(e -> ${attributesMap('e.attributes')}, sp.events)`,
  'Links.TraceId': `arrayMap(l -> ${hexId('l.trace_id')}, sp.links)`,
  'Links.SpanId': `arrayMap(l -> ${hexId('l.span_id')}, sp.links)`,
  'Links.TraceState': 'arrayMap(l -> l.trace_state, sp.links)',
  'Links.Attributes': `arrayMap(l -> ${attributesMap('l.attributes')}, sp.links)`,
};

/** Per-span checks: [condition, message, code], tested in order. */
const SPAN_CHECKS: readonly [string, string, number][] = [
  [badIdLength('sp.trace_id', 16), 'a span trace_id is not 16 bytes', PAYLOAD_FAULT_CODE],
  [badIdLength('sp.span_id', 8), 'a span span_id is not 8 bytes', PAYLOAD_FAULT_CODE],
  [badIdLength('sp.parent_span_id', 8), 'a span parent_span_id is not 8 bytes', PAYLOAD_FAULT_CODE],
  [`arrayExists(l -> ${badIdLength('l.trace_id', 16)}, sp.links)`, 'a span link trace_id is not 16 bytes', PAYLOAD_FAULT_CODE],
  [`arrayExists(l -> ${badIdLength('l.span_id', 8)}, sp.links)`, 'a span link span_id is not 8 bytes', PAYLOAD_FAULT_CODE],
  ['sp.kind NOT BETWEEN 0 AND 5', 'unknown span kind (expected 0..5)', PAYLOAD_FAULT_CODE],
  ['sp.status.code NOT BETWEEN 0 AND 2', 'unknown status code (expected 0..2)', PAYLOAD_FAULT_CODE],
  [
    `${attributesUnsupported('sp.attributes')} OR arrayExists(e -> ${attributesUnsupported('e.attributes')}, sp.events) OR arrayExists(l -> ${attributesUnsupported('l.attributes')}, sp.links)`,
    'attribute values this SQL does not render (nested arrays/kvlists, rare escapes, repeated keys)',
    UNSUPPORTED_CODE,
  ],
];

function throwIfAll(checks: readonly [string, string, number][]): string {
  return checks.map(([cond, message, code]) => `throwIf(${cond}, ${sqlString(message)}, toInt32(${code})) = 0`).join(' AND ');
}

/**
 * `SELECT <columns> FROM <source> …`: the rows of the request read by `source` (a
 * `file(…)` or `input(…)` table function yielding the {@link TRACE_REQUEST_STRUCTURE}
 * column), one per span, with `columns` in the order given (names of `SPAN_COLUMNS`).
 * A non-empty request without `resource_spans` is refused, as the JS decoder refuses it
 * (protobuf would read any unrelated message as an empty request).
 */
export function traceRowsSelect(source: string, columns: readonly string[]): string {
  const exprs = columns.map((c) => {
    const e = SPAN_COLUMNS[c];
    if (e === undefined) throw new Error(`otel_traces column ${c} has no engine-side mapping`);
    return `${e} AS \`${c}\``;
  });
  const resourceChecks: [string, string, number][] = [
    [attributesUnsupported('rs.resource.attributes'), 'resource attribute values this SQL does not render', UNSUPPORTED_CODE],
  ];
  return `SELECT ${exprs.join(',\n  ')}
FROM (
  SELECT
    ${attributesMap('rs.resource.attributes')} AS ResourceAttributes,
    ${anyValueAsString("arrayFirst(kv -> kv.key = 'service.name', rs.resource.attributes).value")} AS ServiceName,
    rs.scope_spans AS scope_spans
  FROM (SELECT resource_spans FROM ${source} WHERE throwIf(length(resource_spans) = 0, ${sqlString('not an OTLP trace export request: resourceSpans (field 1) is missing')}, toInt32(${PAYLOAD_FAULT_CODE})) = 0)
  ARRAY JOIN resource_spans AS rs
  WHERE ${throwIfAll(resourceChecks)}
) AS res
ARRAY JOIN scope_spans AS ss
ARRAY JOIN ss.spans AS sp
WHERE ${throwIfAll(SPAN_CHECKS)}`;
}
