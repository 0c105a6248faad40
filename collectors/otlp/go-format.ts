/**
 * Formatting that reproduces, byte for byte, what the Go collector writes, so rows from
 * this decoder and from otelcol-contrib's clickhouseexporter are interchangeable.
 */

/**
 * A finite float64 as Go's `encoding/json` writes it (and pdata's `float64AsString`):
 * ES6 number-to-string (shortest round-trip digits, exponent below 1e-6 and from 1e21),
 * which is JavaScript's `String(f)` except that Go keeps the sign of negative zero.
 * https://github.com/open-telemetry/opentelemetry-collector/blob/main/pdata/pcommon/value.go
 */
export function formatGoFloat(f: number): string {
  return Object.is(f, -0) ? '-0' : String(f);
}

/**
 * A float64 as pdata's `Value.AsString()` renders a double attribute: NaN and ±Inf give
 * the JSON encoder's error text, as in Go.
 */
export function goFloatAsString(f: number): string {
  if (Number.isFinite(f)) return formatGoFloat(f);
  return `json: unsupported value: ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`;
}

/**
 * A string as a JSON string literal the way Go's `encoding/json` (Go ≥ 1.22) escapes it:
 * HTML-safe (`<`, `>`, `&` as \u003c, \u003e, \u0026), U+2028/U+2029 escaped, `\b` and
 * `\f` as short escapes, other control characters as lowercase \u00xx, and invalid UTF-8
 * (here: lone surrogates) as \ufffd.
 */
export function goJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let escape: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      escape = SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid surrogate pair: copied as is
        continue;
      }
      escape = '\\ufffd';
    }
    if (escape !== undefined) {
      out += s.slice(start, i) + escape;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

const SHORT_ESCAPES: Record<number, string> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x22: '\\"',
  0x5c: '\\\\',
};

/** Go's `strings.Compare` order (UTF-8 bytes, i.e. code points), which `encoding/json` sorts map keys by. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
