import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, lineAndColumn } from './json-syntax.js';

/** V8's stated position for `text`, when its message has one. */
function v8Position(text: string): number | undefined {
  try {
    JSON.parse(text);
  } catch (e) {
    const stated = /at position (\d+)/.exec((e as Error).message);
    return stated ? Number(stated[1]) : undefined;
  }
  throw new Error(`${text} is valid JSON`);
}

describe('jsonErrorOffset', () => {
  it('agrees with V8 wherever V8 states a position', () => {
    const invalid = [
      '{"a":1,',
      '{"a" 1}',
      '[1,2',
      '{"a":"x\u0001"}',
      '{"a":1}x',
      '"abc',
      '{"a":1e}',
      '{"a":01}',
      '{"a":-}',
      '{"a":1.}',
      '[1 2]',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      '{,}',
      '{"a":1,}',
      '[1,]',
    ];
    for (const text of invalid) {
      const stated = v8Position(text);
      if (stated !== undefined) expect([text, jsonErrorOffset(text)]).toEqual([text, stated]);
    }
  });

  it('finds what V8 leaves unplaced: unexpected tokens and a premature end', () => {
    expect(jsonErrorOffset('{"a":}')).toBe(5);
    expect(jsonErrorOffset('{"a": tru}')).toBe(9);
    expect(jsonErrorOffset('')).toBe(0);
    expect(jsonErrorOffset('[[[')).toBe(3);
    expect(jsonErrorOffset('{"a": [1, {"b": nul')).toBe(19);
  });

  it('says -1 for valid JSON, however deep', () => {
    for (const text of ['0', '-1.5e+3', '"\\u00e9\\n"', ' { "a" : [ true , false , null , {} , [] ] } ', '[]', '{}']) {
      expect(jsonErrorOffset(text)).toBe(-1);
    }
    expect(jsonErrorOffset('['.repeat(100_000) + ']'.repeat(100_000))).toBe(-1);
  });
});

describe('lineAndColumn', () => {
  it('is 1-based and counts lines by \\n', () => {
    expect(lineAndColumn('abc', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd\r\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('ab\ncd\r\nef', 7)).toEqual({ line: 3, column: 1 });
    expect(lineAndColumn('ab\n', 3)).toEqual({ line: 2, column: 1 });
  });
});
