/**
 * Attribute values rendered as pdata's `Value.AsString()` renders them (what the Go
 * exporter stores), including the corners: Go's float formatting, HTML-safe JSON escapes,
 * kvlist key order and duplicates, NaN inside arrays.
 */
import { describe, expect, it } from 'vitest';
import { decodeOtlp } from './decode-otlp.js';

/** The SpanAttributes and ServiceName of one span carrying `attributes`, decoded from OTLP/JSON. */
function render(attributes: { key: string; value: object }[], resource: { key: string; value: object }[] = []) {
  const text = JSON.stringify({
    resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ spans: [{ name: 's', attributes }] }] }],
  });
  const [row] = decodeOtlp(text, { format: 'json' }).otel_traces;
  return { attributes: row!.SpanAttributes, serviceName: row!.ServiceName };
}

const one = (value: object): string | undefined => render([{ key: 'k', value }]).attributes.k;

describe('attribute values as Value.AsString()', () => {
  it('strings, bools and 64-bit ints', () => {
    expect(one({ stringValue: 'chat' })).toBe('chat');
    expect(one({ stringValue: '' })).toBe('');
    expect(one({ boolValue: false })).toBe('false');
    expect(one({ intValue: '-5' })).toBe('-5');
    expect(one({ intValue: '9223372036854775807' })).toBe('9223372036854775807');
    expect(one({ intValue: '-9223372036854775808' })).toBe('-9223372036854775808');
    expect(one({ intValue: 1200 })).toBe('1200');
  });

  it('doubles as Go writes a float64 (ES6 number formatting, negative zero kept)', () => {
    expect(one({ doubleValue: 0.1 })).toBe('0.1');
    expect(one({ doubleValue: 100 })).toBe('100');
    expect(one({ doubleValue: 123456789.125 })).toBe('123456789.125');
    expect(one({ doubleValue: 1e20 })).toBe('100000000000000000000');
    expect(one({ doubleValue: 1e21 })).toBe('1e+21');
    expect(one({ doubleValue: 0.000001 })).toBe('0.000001');
    expect(one({ doubleValue: 1e-7 })).toBe('1e-7');
    expect(one({ doubleValue: -2.5e-300 })).toBe('-2.5e-300');
    expect(one({ doubleValue: '-0' })).toBe('-0'); // (JSON.stringify would write the number -0 as 0)
  });

  it('NaN and infinities as the Go JSON encoder error text', () => {
    expect(one({ doubleValue: 'NaN' })).toBe('json: unsupported value: NaN');
    expect(one({ doubleValue: 'Infinity' })).toBe('json: unsupported value: +Inf');
    expect(one({ doubleValue: '-Infinity' })).toBe('json: unsupported value: -Inf');
  });

  it('bytes as standard base64 (URL-safe input accepted)', () => {
    expect(one({ bytesValue: 'AQID' })).toBe('AQID');
    expect(one({ bytesValue: '-_-_' })).toBe('+/+/');
    expect(one({ bytesValue: '' })).toBe('');
  });

  it('an empty value as ""', () => {
    expect(one({})).toBe('');
  });

  it('arrays as Go json.Marshal: HTML-safe escapes, null for empty values, nested kvlists', () => {
    const array = {
      arrayValue: {
        values: [
          { stringValue: 'a<b>&c\u2028' },
          { intValue: '1' },
          { doubleValue: 1.5 },
          { boolValue: true },
          {},
          { bytesValue: 'AQID' },
          { kvlistValue: { values: [{ key: 'z', value: { intValue: 1 } }, { key: 'a', value: { stringValue: 'x' } }] } },
          { arrayValue: { values: [] } },
        ],
      },
    };
    expect(one(array)).toBe('["a\\u003cb\\u003e\\u0026c\\u2028",1,1.5,true,null,"AQID",{"a":"x","z":1},[]]');
  });

  it('control characters as Go escapes them', () => {
    const text = '\u0001\n\t\b\f\r"\\/é😀';
    expect(one({ arrayValue: { values: [{ stringValue: text }] } })).toBe('["\\u0001\\n\\t\\b\\f\\r\\"\\\\/é😀"]');
  });

  it('kvlists: keys sorted by UTF-8 bytes, a repeated key keeps its last value', () => {
    const kvlist = {
      kvlistValue: {
        values: [
          { key: 'b', value: { intValue: 1 } },
          { key: '\uff5e', value: { intValue: 2 } }, // U+FF5E: after U+1F600 in UTF-16 order, before it in UTF-8
          { key: '😀', value: { intValue: 3 } },
          { key: 'B', value: {} },
          { key: 'b', value: { intValue: 4 } },
        ],
      },
    };
    expect(one(kvlist)).toBe('{"B":null,"b":4,"～":2,"😀":3}');
  });

  it('an array or kvlist holding NaN renders as "" (Go marshal fails, the exporter ignores the error)', () => {
    expect(one({ arrayValue: { values: [{ doubleValue: 1 }, { doubleValue: 'NaN' }] } })).toBe('');
    expect(one({ kvlistValue: { values: [{ key: 'x', value: { doubleValue: 'Infinity' } }] } })).toBe('');
  });
});

describe('attribute maps and ServiceName', () => {
  it('a repeated attribute key keeps its last value; ServiceName takes the first service.name', () => {
    const { attributes, serviceName } = render(
      [
        { key: 'tenant.id', value: { stringValue: 'a' } },
        { key: 'tenant.id', value: { stringValue: 'b' } },
      ],
      [
        { key: 'service.name', value: { stringValue: 'first' } },
        { key: 'service.name', value: { stringValue: 'second' } },
      ],
    );
    expect(attributes).toEqual({ 'tenant.id': 'b' });
    expect(serviceName).toBe('first');
  });

  it('a non-string service.name is rendered; none gives ""', () => {
    expect(render([], [{ key: 'service.name', value: { intValue: '5' } }]).serviceName).toBe('5');
    expect(render([]).serviceName).toBe('');
  });

  it('an attribute named __proto__ is kept as a plain key', () => {
    const { attributes } = render([{ key: '__proto__', value: { stringValue: 'x' } }]);
    expect(Object.keys(attributes)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
  });
});
