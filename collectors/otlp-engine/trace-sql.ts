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
 *   `json.Marshal` (kvlist keys sorted bytewise; "" when a double in it is NaN/±Inf).
 *   Which member of the `AnyValue` oneof is set comes from
 *   `input_format_protobuf_oneof_presence` (a column named after the oneof, `value`);
 * - ids lowercase hex ("" when empty or all zeros), SpanKind/StatusCode as pdata names,
 *   ServiceName from the resource's `service.name`, times as Int64 unix ns (the staging
 *   tables' type), Duration = end − start modulo 2^64 (Go's uint64 arithmetic).
 *
 * Checks, raised with `throwIf` and a chosen error code so the caller classifies by code
 * (ClickHouse 26.7 drops the custom message when a code is given, so the code is the
 * message: see {@link ENGINE_CHECKS}):
 * - payload faults the JS decoder also refuses (id lengths, span kind and status code
 *   out of range, a non-empty payload without `resource_spans`);
 * - {@link UNSUPPORTED_CODE}: valid payloads this SQL does not render exactly — an array
 *   or kvlist nested in an array or kvlist; a string inside an array/kvlist (or a kvlist
 *   key) with a control character other than \b \t \n \f \r, with U+2028/U+2029 or with
 *   invalid UTF-8 (Go's JSON escapes differ from `toJSONString` there); a repeated key in
 *   an attribute list or kvlist (the spec forbids them; the exporter keeps the last).
 *   The caller decodes those payloads with the JS decoder.
 *
 * Cost (measured on chDB 26.7, 2 cores): planning this query costs about as much CPU as
 * executing it over a 10 k-span request, so one query reads several requests
 * (`UNION ALL`), and planning grows with the copies of the value-rendering expression
 * and with the length of the types it handles, so every attribute of a span (its own,
 * its events' and its links') is rendered by one expression over one concatenated array
 * and sliced back into maps (resource attributes by a second one), lambdas take the
 * field arrays of the AnyValue tuples rather than the tuples, and the oneof presence is
 * an Int8. Expressions run with short-circuit evaluation off (measured 2× faster over
 * nested tuples): every branch is computed for every value, so no branch may throw or
 * be costly.
 */

/** `throwIf` error code for a payload this SQL does not render: NOT_IMPLEMENTED. */
export const UNSUPPORTED_CODE = 48;

/**
 * Payload faults found by the SQL's own checks, by the (otherwise impossible in this
 * query) ClickHouse error code each is raised with.
 */
export const ENGINE_CHECKS = {
  /** CANNOT_PARSE_INPUT_ASSERTION_FAILED */
  notAnExport: { code: 27, reason: 'not an OTLP trace export request: resourceSpans (field 1) is missing from a non-empty payload' },
  /** INCORRECT_DATA */
  idLength: { code: 117, reason: 'an id of a span or link has the wrong length (trace ids are 16 bytes, span ids 8, or empty)' },
  /** ARGUMENT_OUT_OF_BOUND */
  enumRange: { code: 69, reason: 'a span kind or status code is out of range (span kind 0..5, status code 0..2)' },
} as const;

/**
 * The `input_format_protobuf_oneof_presence` column of `AnyValue.value`: the field number
 * of the member set, 0 for none (1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist,
 * 7 bytes). ClickHouse's docs show an Enum; Int8 reads the same numbers and keeps the
 * type names short, which makes planning markedly faster.
 */
const CASE = { string: 1, bool: 2, int: 3, double: 4, array: 5, kvlist: 6, bytes: 7 } as const;

const SCALARS = 'string_value String, bool_value Bool, int_value Int64, double_value Float64, bytes_value String, value Int8';

/**
 * An AnyValue inside an array or kvlist: scalars, plus just enough of a nested array or
 * kvlist for the presence column to say one is there (ClickHouse sets the presence only
 * for members it maps), so such payloads can be handed to the JS decoder.
 */
const NESTED_ANY_VALUE = `Tuple(${SCALARS}, array_value Tuple(\`values\` Array(Tuple(bool_value Bool))), kvlist_value Tuple(\`values\` Array(Tuple(key String))))`;

/** An attribute value: scalars, or an array / kvlist of {@link NESTED_ANY_VALUE}. */
const ANY_VALUE = `Tuple(${SCALARS}, array_value Tuple(\`values\` Array(${NESTED_ANY_VALUE})), kvlist_value Tuple(\`values\` Array(Tuple(key String, value ${NESTED_ANY_VALUE}))))`;

const KEY_VALUES = `Array(Tuple(key String, value ${ANY_VALUE}))`;

const SPAN = `Tuple(trace_id String, span_id String, trace_state String, parent_span_id String, name String, kind Int32, start_time_unix_nano UInt64, end_time_unix_nano UInt64, attributes ${KEY_VALUES}, events Array(Tuple(time_unix_nano UInt64, name String, attributes ${KEY_VALUES})), links Array(Tuple(trace_id String, span_id String, trace_state String, attributes ${KEY_VALUES})), status Tuple(message String, code Int32))`;

/**
 * The `ExportTraceServiceRequest` as ClickHouse types, for `file(…, 'ProtobufSingle', s)`
 * or `input(s)`. Fields not named here (dropped counts, flags, schema urls, the
 * deprecated `instrumentation_library_spans`) are skipped, as the JS decoder ignores them.
 */
export const TRACE_REQUEST_STRUCTURE = `resource_spans Array(Tuple(resource Tuple(attributes ${KEY_VALUES}), scope_spans Array(Tuple(scope Tuple(name String, version String), spans Array(${SPAN})))))`;

/** Settings the read and the rendering need (query-scoped: a `SETTINGS` clause or HTTP parameters). */
export function protobufReadSettings(schema: { text: string; messageName: string }): Record<string, string | number> {
  return {
    format_schema_source: 'string',
    format_schema: schema.text,
    format_schema_message_name: schema.messageName,
    input_format_protobuf_oneof_presence: 1,
    allow_custom_error_code_in_throwif: 1,
    short_circuit_function_evaluation: 'disable',
    // toJSONString: Go's encoder does not escape '/'
    output_format_json_escape_forward_slashes: 0,
  };
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A `SETTINGS` clause (names are fixed identifiers). */
export function settingsClause(settings: Record<string, string | number>): string {
  return `SETTINGS ${Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : sqlString(v)}`)
    .join(', ')}`;
}

// ---- values ----
//
// Values are rendered column-wise: a lambda takes the arrays of an array of AnyValue
// tuples' fields (`vs.value`, `vs.string_value`, …) rather than the tuples themselves, so
// the analyzer never carries the (long) tuple types through lambdas: planning is the
// bulk of the cost of a small payload.

/** The field arrays of `vs` (an Array of AnyValue tuples) that scalar rendering takes, as lambda arguments (c, s, i, d, b, y). */
function scalarColumns(vs: string): string {
  return `${vs}.value, ${vs}.string_value, ${vs}.int_value, ${vs}.double_value, ${vs}.bool_value, ${vs}.bytes_value`;
}

/** A finite Float64 `x` as Go's JSON encoder / ES6 writes it: ClickHouse's shortest digits, `e+` for positive exponents. */
function goFloat(x: string): string {
  return `replaceOne(toString(${x}), 'e', if(position(toString(${x}), 'e-') > 0, 'e', 'e+'))`;
}

/** pdata's `float64AsString`: NaN and ±Inf give the JSON encoder's error text. */
function goFloatAsString(x: string): string {
  return `multiIf(isNaN(${x}), 'json: unsupported value: NaN', isInfinite(${x}), if(${x} > 0, 'json: unsupported value: +Inf', 'json: unsupported value: -Inf'), ${goFloat(x)})`;
}

/**
 * A string as a Go JSON string literal (HTML-safe): `toJSONString` escapes `"`, `\` and
 * control characters as Go does, except those {@link needsJsFallback} sends to JS.
 */
function goJsonString(s: string): string {
  return `replaceAll(replaceAll(replaceAll(toJSONString(${s}), '<', '\\\\u003c'), '>', '\\\\u003e'), '&', '\\\\u0026')`;
}

/** A string Go's JSON encoder would escape in a way {@link goJsonString} does not. */
function needsJsFallback(s: string): string {
  return `(match(${s}, '[\\\\x00-\\\\x07\\\\x0b\\\\x0e-\\\\x1f]|\u2028|\u2029') OR NOT isValidUTF8(${s}))`;
}

/** `json.Marshal` of each scalar (or empty) nested AnyValue of `vs`. */
function goJsonScalars(vs: string): string {
  return `arrayMap((c, s, i, d, b, y) -> multiIf(c = ${CASE.string}, ${goJsonString('s')}, c = ${CASE.int}, toString(i), c = ${CASE.double}, ${goFloat('d')}, c = ${CASE.bool}, if(b, 'true', 'false'), c = ${CASE.bytes}, concat('"', base64Encode(y), '"'), 'null'), ${scalarColumns(vs)})`;
}

/** Nested AnyValues `vs` holding a NaN/±Inf double: Go's marshal fails and the exporter stores "". */
function anyNonFinite(vs: string): string {
  return `arrayExists((c, d) -> c = ${CASE.double} AND NOT isFinite(d), ${vs}.value, ${vs}.double_value)`;
}

/** `Value.AsString()` of an ArrayValue's `values` `a`. */
function arrayAsString(a: string): string {
  return `if(${anyNonFinite(a)}, '', concat('[', arrayStringConcat(${goJsonScalars(a)}, ','), ']'))`;
}

/** `Value.AsString()` of a KeyValueList's `values` `l`: keys sorted bytewise, as Go's encoder sorts map keys. */
function kvlistAsString(l: string): string {
  const pairs = `arrayMap((k, v) -> concat(${goJsonString('k')}, ':', v), ${l}.key, ${goJsonScalars(`${l}.value`)})`;
  return `if(${anyNonFinite(`${l}.value`)}, '', concat('{', arrayStringConcat(arraySort((p, k) -> k, ${pairs}, ${l}.key), ','), '}'))`;
}

/** `Value.AsString()` of each attribute value of `vs` (an Array of {@link ANY_VALUE}). */
export function valuesAsStrings(vs: string): string {
  return `arrayMap((c, s, i, d, b, y, a, l) -> multiIf(c = ${CASE.string}, s, c = ${CASE.int}, toString(i), c = ${CASE.double}, ${goFloatAsString('d')}, c = ${CASE.bool}, if(b, 'true', 'false'), c = ${CASE.bytes}, base64Encode(y), c = ${CASE.array}, ${arrayAsString('a')}, c = ${CASE.kvlist}, ${kvlistAsString('l')}, ''), ${scalarColumns(vs)}, ${vs}.array_value.values, ${vs}.kvlist_value.values)`;
}

// ---- checks ----
//
// Payload faults are checked once per request, on the request row before it is flattened
// (so a fault stops the query before any of its rows flows on), over subcolumns of the
// whole request: `resource_spans.scope_spans.spans.trace_id` is an
// Array(Array(Array(String))) of every span's id, flattened with `arrayFlatten`.
// What the JS decoder must render is checked per resource and per span over the
// attribute arrays the rendering builds anyway (cheaper than walking the request).

/** Where the spans' fields are, from the request row. */
const SPANS = 'resource_spans.scope_spans.spans';

/** True if `pred` (over `x`) holds for a leaf of the nested arrays `expr`. */
function existsLeaf(pred: string, expr: string): string {
  return `arrayExists(x -> ${pred}, arrayFlatten(${expr}))`;
}

/**
 * Attribute values `vs` (an Array of {@link ANY_VALUE}) with one the JS decoder must
 * render: a nested array/kvlist, a string Go escapes differently, a repeated kvlist key.
 */
function valuesUnsupported(vs: string): string {
  const nestedCases = `arrayConcat(arrayFlatten(${vs}.array_value.values.value), arrayFlatten(${vs}.kvlist_value.values.value.value))`;
  const nestedStrings = `arrayConcat(arrayFlatten(${vs}.array_value.values.string_value), arrayFlatten(${vs}.kvlist_value.values.value.string_value), arrayFlatten(${vs}.kvlist_value.values.key))`;
  return `(hasAny(${nestedCases}, [toInt8(${CASE.array}), toInt8(${CASE.kvlist})]) OR arrayExists(x -> ${needsJsFallback('x')}, ${nestedStrings}) OR arrayExists(x -> ${repeatedKeys('x')}, ${vs}.kvlist_value.values.key))`;
}

/** Keys `ks` (an Array of String) with one more than once. */
function repeatedKeys(ks: string): string {
  return `(arrayUniq(${ks}) != length(${ks}))`;
}

/** An id as the exporter writes it: lowercase hex, "" when empty or all zeros. */
function hexId(id: string): string {
  return `if(${id} = repeat('\\0', length(${id})), '', lower(hex(${id})))`;
}

/** An id whose length is neither 0 nor `size` bytes (pdata refuses it). */
function badIdLength(id: string, size: number): string {
  return `length(${id}) NOT IN (0, ${size})`;
}

/** `count` key-value pairs from 1-based `offset` of the rendered `_keys`/`_values` as a map. */
function sliceMap(offset: string, count: string): string {
  return `mapFromArrays(arraySlice(_keys, ${offset}, ${count}), arraySlice(_values, ${offset}, ${count}))`;
}

/** One map per list in `lists` (lengths of consecutive runs of `_keys`/`_values` starting after `before` pairs). */
function sliceMaps(lengths: string, before: string): string {
  return `arrayMap((end, n) -> ${sliceMap(`${before} + end - n + 1`, 'n')}, arrayCumSum(${lengths}), ${lengths})`;
}

function throwIfAll(checks: readonly (readonly [cond: string, code: number])[]): string {
  return checks.map(([cond, code]) => `throwIf(${cond}, '', toInt32(${code})) = 0`).join(' AND ');
}

const SPAN_KIND_NAMES = "['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']";
const STATUS_CODE_NAMES = "['Unset', 'Ok', 'Error']";

/**
 * The expression of each `otel_traces` column (times as Int64 unix ns, as staged), over
 * the span-level names of {@link traceRowsSelect}: `sp` (the span), `ss` (its scope
 * spans), `ResourceAttributes`/`ServiceName` (of its resource), `_keys`/`_values` (every
 * attribute of the span, its events and its links, rendered), `_eventLengths`,
 * `_linkLengths` (attributes per event / link).
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
  SpanAttributes: sliceMap('1', 'length(sp.attributes)'),
  Duration: 'toUInt64(sp.end_time_unix_nano - sp.start_time_unix_nano)',
  StatusCode: `${STATUS_CODE_NAMES}[sp.status.code + 1]`,
  StatusMessage: 'sp.status.message',
  'Events.Timestamp': "CAST(sp.events.time_unix_nano, 'Array(Int64)')",
  'Events.Name': 'sp.events.name',
  'Events.Attributes': sliceMaps('_eventLengths', 'length(sp.attributes)'),
  'Links.TraceId': `arrayMap(id -> ${hexId('id')}, sp.links.trace_id)`,
  'Links.SpanId': `arrayMap(id -> ${hexId('id')}, sp.links.span_id)`,
  'Links.TraceState': 'sp.links.trace_state',
  'Links.Attributes': sliceMaps('_linkLengths', 'length(sp.attributes) + arraySum(_eventLengths)'),
};

/** Per-request checks, in order: [condition over the request row, error code]. */
const REQUEST_CHECKS: readonly (readonly [string, number])[] = [
  ['length(resource_spans) = 0', ENGINE_CHECKS.notAnExport.code],
  [
    [
      existsLeaf(badIdLength('x', 16), `${SPANS}.trace_id`),
      existsLeaf(badIdLength('x', 8), `${SPANS}.span_id`),
      existsLeaf(badIdLength('x', 8), `${SPANS}.parent_span_id`),
      existsLeaf(badIdLength('x', 16), `${SPANS}.links.trace_id`),
      existsLeaf(badIdLength('x', 8), `${SPANS}.links.span_id`),
    ].join(' OR '),
    ENGINE_CHECKS.idLength.code,
  ],
  [`${existsLeaf('x NOT BETWEEN 0 AND 5', `${SPANS}.kind`)} OR ${existsLeaf('x NOT BETWEEN 0 AND 2', `${SPANS}.status.code`)}`, ENGINE_CHECKS.enumRange.code],
];

/** Per-resource check (over `rs`, a ResourceSpans). */
const RESOURCE_CHECKS: readonly (readonly [string, number])[] = [
  [`${valuesUnsupported('rs.resource.attributes.value')} OR ${repeatedKeys('rs.resource.attributes.key')}`, UNSUPPORTED_CODE],
];

/** Per-span check (over `sp`, a Span, and `_all`, its attributes and its events' and links'). */
const SPAN_CHECKS: readonly (readonly [string, number])[] = [
  [
    `${valuesUnsupported('_all.value')} OR ${repeatedKeys('sp.attributes.key')} OR arrayExists(x -> ${repeatedKeys('x')}, sp.events.attributes.key) OR arrayExists(x -> ${repeatedKeys('x')}, sp.links.attributes.key)`,
    UNSUPPORTED_CODE,
  ],
];

/**
 * `SELECT <columns> FROM …`: the rows of the requests read by `sources` (table functions
 * — `file(…)`, `input(…)` — each yielding one row with the {@link TRACE_REQUEST_STRUCTURE}
 * column per request), one per span, with `columns` (names of {@link SPAN_COLUMNS}, or
 * `_source`: `firstSource` + the index in `sources` of the request a span came from) in
 * the order given.
 * Several sources make one query (`UNION ALL`), so it is planned once for all of them:
 * planning costs as much as executing a 10 k-span request.
 * A non-empty request without `resource_spans` is refused, as the JS decoder refuses it:
 * protobuf would read any unrelated message as an empty request.
 */
export function traceRowsSelect(sources: readonly string[], columns: readonly string[], firstSource = 0): string {
  if (sources.length === 0) throw new Error('no source to read');
  const exprs = columns.map((c) => {
    const e = c === '_source' ? '_source' : SPAN_COLUMNS[c];
    if (e === undefined) throw new Error(`otel_traces column ${c} has no engine-side mapping`);
    return `${e} AS \`${c}\``;
  });
  const requests = sources
    .map((source, k) => `SELECT resource_spans, toUInt32(${firstSource + k}) AS _source FROM ${source} WHERE ${throwIfAll(REQUEST_CHECKS)}`)
    .join('\n    UNION ALL ');
  return `SELECT ${exprs.join(',\n  ')}
FROM (
  SELECT
    _source, ResourceAttributes, ResourceAttributes['service.name'] AS ServiceName, ss, sp,
    arrayConcat(sp.attributes, arrayFlatten(sp.events.attributes), arrayFlatten(sp.links.attributes)) AS _all,
    _all.key AS _keys,
    ${valuesAsStrings('_all.value')} AS _values,
    arrayMap(a -> length(a), sp.events.attributes) AS _eventLengths,
    arrayMap(a -> length(a), sp.links.attributes) AS _linkLengths
  FROM (
    SELECT
      _source,
      mapFromArrays(rs.resource.attributes.key, ${valuesAsStrings('rs.resource.attributes.value')}) AS ResourceAttributes,
      rs.scope_spans AS scope_spans
    FROM (${requests})
    ARRAY JOIN resource_spans AS rs
    WHERE ${throwIfAll(RESOURCE_CHECKS)}
  )
  ARRAY JOIN scope_spans AS ss
  ARRAY JOIN ss.spans AS sp
  WHERE ${throwIfAll(SPAN_CHECKS)}
)`;
}
