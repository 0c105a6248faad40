/**
 * Number tokens of the Prometheus text formats, read the way Prometheus reads them
 * (Go's strconv.ParseFloat / ParseInt), plus exact decimal scaling for OpenMetrics'
 * float-second timestamps.
 */

const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ['nan', NaN],
  ['+nan', NaN],
  ['-nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-infinity', -Infinity],
]);

/**
 * A float as Go's strconv.ParseFloat (which Prometheus uses) reads it: decimal with
 * optional exponent, `NaN`, `Inf`, `+Inf`, `-Inf` (any case). Returns undefined when the
 * token is not a number. Integers past 2^53 (`9223372036854775794`) round to the nearest
 * double, as in Go.
 */
export function parseFloatToken(tok: string): number | undefined {
  if (tok.length === 0) return undefined;
  const v = Number(tok);
  if (Number.isNaN(v)) return SPECIAL_FLOATS.get(tok.toLowerCase());
  // Number() also reads 0x.., 0o.., 0b.. integers, which are not Prometheus floats.
  if (tok.length > 2 && tok.charCodeAt(0) === 48) {
    const p = tok.charCodeAt(1) | 32;
    if (p === 120 || p === 111 || p === 98) return undefined;
  }
  return v;
}

/** Text-format timestamp: an integer number of milliseconds, possibly negative. */
export function parseIntegerToken(tok: string): number | undefined {
  let i = tok.charCodeAt(0) === 45 /* - */ || tok.charCodeAt(0) === 43 /* + */ ? 1 : 0;
  if (i === tok.length) return undefined;
  for (; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(tok);
}

/**
 * `tok` (a decimal float, e.g. OpenMetrics seconds) times 10^shift, moving the decimal
 * point in the string so the result is the double nearest the exact product.
 */
export function parseScaledDecimal(tok: string, shift: number): number | undefined {
  const n = tok.length;
  let i = 0;
  let negative = false;
  const first = tok.charCodeAt(0);
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = 1;
  }
  const intStart = i;
  while (i < n && tok.charCodeAt(i) >= 48 && tok.charCodeAt(i) <= 57) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < n && tok.charCodeAt(i) === 46 /* . */) {
    i++;
    fracStart = i;
    while (i < n && tok.charCodeAt(i) >= 48 && tok.charCodeAt(i) <= 57) i++;
    fracEnd = i;
  }
  if (intEnd === intStart && fracEnd === fracStart) return undefined;
  let exponent = 0;
  if (i < n && (tok.charCodeAt(i) | 32) === 101 /* e */) {
    i++;
    const expStart = i;
    if (i < n && (tok.charCodeAt(i) === 45 || tok.charCodeAt(i) === 43)) i++;
    const digitsStart = i;
    while (i < n && tok.charCodeAt(i) >= 48 && tok.charCodeAt(i) <= 57) i++;
    if (i === digitsStart) return undefined;
    exponent = Number(tok.slice(expStart, i));
  }
  if (i !== n) return undefined;
  if (Math.abs(exponent) > 400) return Number(tok) * 10 ** shift;
  const digits = tok.slice(intStart, intEnd) + tok.slice(fracStart, fracEnd);
  const point = intEnd - intStart + exponent + shift;
  let s: string;
  if (point <= 0) s = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) s = digits + '0'.repeat(point - digits.length);
  else s = digits.slice(0, point) + '.' + digits.slice(point);
  const v = Number(s);
  return negative ? -v : v;
}
