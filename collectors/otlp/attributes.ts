/**
 * OTLP attribute values as the clickhouseexporter stores them: every value a string, made
 * by pdata's `Value.AsString()`
 * (https://github.com/open-telemetry/opentelemetry-collector/blob/main/pdata/pcommon/value.go):
 * - string as is, bool `true`/`false`, int in decimal (exact, 64-bit);
 * - double as Go's JSON encoder writes a float64 (see `formatGoFloat`);
 * - bytes as standard base64 with padding;
 * - array and kvlist as `json.Marshal` of their raw Go value: kvlist keys sorted, later
 *   duplicates winning, and the whole value "" when it holds a NaN or infinity (Go's
 *   marshal fails and the exporter ignores the error);
 * - an empty value as "" (or `null` inside an array or kvlist).
 */
import { DecodeError } from '../../core/errors.js';
import type { Attributes } from '../../core/schema/otel-rows.js';
import { compareGoStrings, formatGoFloat, goFloatAsString, goJsonString } from './go-format.js';
import { i64ToDecimal } from './int64.js';
import type { AnyValue, KeyValue } from './otlp-proto.js';

/** The resource attribute the exporter takes ServiceName from. */
export const SERVICE_NAME_KEY = 'service.name';

/** `Value.AsString()` of an OTLP AnyValue. */
export function anyValueAsString(v: AnyValue | null): string {
  if (v === null) return '';
  switch (v.value) {
    case 'stringValue':
      return v.stringValue!;
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue':
      return i64ToDecimal(v.intValue);
    case 'doubleValue':
      return goFloatAsString(v.doubleValue!);
    case 'bytesValue':
      return Buffer.from(v.bytesValue!.buffer, v.bytesValue!.byteOffset, v.bytesValue!.byteLength).toString('base64');
    case 'arrayValue':
    case 'kvlistValue':
      try {
        return anyValueToGoJson(v) ?? '';
      } catch (e) {
        // the decoders take nesting the recursive rendering cannot walk
        if (e instanceof RangeError && e.message.includes('call stack')) throw new DecodeError('attribute value nested too deeply');
        throw e;
      }
    default:
      return '';
  }
}

/** Attributes as the exporter's `AttributesToMap`; a repeated key keeps its last value. */
export function attributesToMap(attributes: readonly KeyValue[]): Attributes {
  const map: Attributes = {};
  for (const kv of attributes) setOwn(map, kv.key ?? '', anyValueAsString(kv.value));
  return map;
}

/**
 * The exporter's `GetServiceName`: `AsString()` of the first `service.name` resource
 * attribute (pcommon `Map.Get` returns the first match), "" when there is none.
 */
export function serviceNameOf(resourceAttributes: readonly KeyValue[]): string {
  for (const kv of resourceAttributes) {
    if (kv.key === SERVICE_NAME_KEY) return anyValueAsString(kv.value);
  }
  return '';
}

/** `json.Marshal(value.AsRaw())`, or `undefined` where Go's marshal fails (NaN, ±Inf). */
function anyValueToGoJson(v: AnyValue | null): string | undefined {
  switch (v?.value) {
    case 'stringValue':
      return goJsonString(v.stringValue!);
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue':
      return i64ToDecimal(v.intValue);
    case 'doubleValue':
      return Number.isFinite(v.doubleValue) ? formatGoFloat(v.doubleValue!) : undefined;
    case 'bytesValue':
      return `"${anyValueAsString(v)}"`;
    case 'arrayValue': {
      const parts: string[] = [];
      for (const element of v.arrayValue!.values) {
        const json = anyValueToGoJson(element);
        if (json === undefined) return undefined;
        parts.push(json);
      }
      return `[${parts.join(',')}]`;
    }
    case 'kvlistValue': {
      const byKey = new Map<string, AnyValue | null>();
      for (const kv of v.kvlistValue!.values) byKey.set(kv.key ?? '', kv.value);
      const parts: string[] = [];
      for (const key of [...byKey.keys()].sort(compareGoStrings)) {
        const json = anyValueToGoJson(byKey.get(key) ?? null);
        if (json === undefined) return undefined;
        parts.push(`${goJsonString(key)}:${json}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** Sets `map[key]` as an own property, whatever the key (even `__proto__`). */
function setOwn(map: Attributes, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}
