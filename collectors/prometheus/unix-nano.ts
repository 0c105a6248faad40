/**
 * Unix times as the raw tables carry them: nanoseconds as decimal strings (64-bit values
 * do not fit a JS number), made from millisecond or second numbers by string arithmetic.
 */
import type { UnixNano } from '../../core/schema/otel-rows.js';

/** Unix milliseconds → unix nanoseconds as a decimal string, exact for the decimal the number prints as. */
export function msToUnixNano(ms: number): UnixNano {
  return scaleToIntegerString(ms, 6);
}

/** Unix seconds (a `_created` value) → unix nanoseconds as a decimal string. */
export function secondsToUnixNano(seconds: number): UnixNano {
  return scaleToIntegerString(seconds, 9);
}

/**
 * `x` × 10^digits as an integer decimal string, by moving the decimal point in the
 * shortest decimal form of `x` (what `String(x)` prints) and truncating what is left
 * after the point. No floating-point multiplication: 1767225601007.919 ms is
 * 1767225601007919000 ns, where `BigInt(ms * 1e6)` would give 1767225601007918848.
 */
function scaleToIntegerString(x: number, digits: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot convert ${x} to a unix time`);
  if (Number.isSafeInteger(x)) return x === 0 ? '0' : String(x) + '0'.repeat(digits);
  if (Number.isInteger(x)) return (BigInt(x) * 10n ** BigInt(digits)).toString();
  let s = String(x);
  if (s.includes('e')) s = x.toFixed(digits); // |x| < 1e-6: toFixed is exact enough to digits places
  const negative = s.startsWith('-');
  if (negative) s = s.slice(1);
  const dot = s.indexOf('.');
  const intPart = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  const scaled = (intPart + frac.padEnd(digits, '0').slice(0, digits)).replace(/^0+/, '');
  if (scaled === '') return '0';
  return negative ? '-' + scaled : scaled;
}
