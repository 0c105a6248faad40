/**
 * `JSON.parse` with errors that say where: a `DecodeError` with the 1-based line and
 * column of the first offending character (or of the end, for a truncated document).
 *
 * V8 states a position for most syntax errors ("… in JSON at position 42") but not for an
 * unexpected token or an unexpected end (Node 20); then a small scanner that follows the
 * JSON grammar (RFC 8259) finds it. The scanner runs only after `JSON.parse` has failed.
 */
import { DecodeError } from '../../core/errors.js';

export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const stated = /at position (\d+)/.exec(e.message);
    const offset = stated ? Number(stated[1]) : jsonErrorOffset(text);
    const reason = e.message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '');
    throw new DecodeError(`invalid JSON: ${reason}`, lineAndColumn(text, offset), { cause: e });
  }
}

/** 1-based line and column (in UTF-16 code units) of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Offset of the first character where `s` stops being JSON (its length if it ends too
 * early), or -1 if it is valid. Iterative, so deep nesting cannot overflow the stack.
 */
export function jsonErrorOffset(s: string): number {
  let i = 0;
  const closers: string[] = [];
  const skipWhitespace = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const scanString = (): boolean => {
    if (s[i] !== '"') return false;
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        i++;
        if (s[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/^[0-9a-fA-F]$/.test(s[i] ?? '')) return false;
          }
          i++;
        } else if (s[i] !== undefined && '"\\/bfnrt'.includes(s[i]!)) i++;
        else return false;
      } else i++;
    }
    return false;
  };
  const scanDigits = (): boolean => {
    const start = i;
    while (s[i] !== undefined && s[i]! >= '0' && s[i]! <= '9') i++;
    return i > start;
  };
  const scanNumber = (): boolean => {
    if (s[i] === '-') i++;
    if (s[i] === '0') i++;
    else if (!scanDigits()) return false;
    if (s[i] === '.') {
      i++;
      if (!scanDigits()) return false;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!scanDigits()) return false;
    }
    return true;
  };
  const scanLiteral = (word: string): boolean => {
    for (const ch of word) {
      if (s[i] !== ch) return false;
      i++;
    }
    return true;
  };
  /** `"key"` then `:` */
  const scanKey = (): boolean => {
    if (!scanString()) return false;
    skipWhitespace();
    if (s[i] !== ':') return false;
    i++;
    return true;
  };

  let expectValue = true;
  for (;;) {
    skipWhitespace();
    if (expectValue) {
      const c = s[i];
      if (c === '[' || c === '{') {
        i++;
        skipWhitespace();
        if (s[i] === (c === '[' ? ']' : '}')) {
          i++;
          expectValue = false;
        } else {
          closers.push(c === '[' ? ']' : '}');
          if (c === '{' && !scanKey()) return i;
        }
        continue;
      }
      const ok =
        c === '"' ? scanString()
        : c === 't' ? scanLiteral('true')
        : c === 'f' ? scanLiteral('false')
        : c === 'n' ? scanLiteral('null')
        : c === '-' || (c !== undefined && c >= '0' && c <= '9') ? scanNumber()
        : false;
      if (!ok) return i;
      expectValue = false;
      continue;
    }
    const closer = closers[closers.length - 1];
    if (closer === undefined) return i < s.length ? i : -1;
    if (s[i] === ',') {
      i++;
      if (closer === '}') {
        skipWhitespace();
        if (!scanKey()) return i;
      }
      expectValue = true;
    } else if (s[i] === closer) {
      i++;
      closers.pop();
    } else {
      return i;
    }
  }
}
