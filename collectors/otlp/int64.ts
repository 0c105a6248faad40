/**
 * 64-bit OTLP integers (timestamps in ns, counts, `intValue`, `asInt`) to decimal strings
 * or numbers, without going through a lossy JS number where the row keeps a string.
 *
 * protobufjs hands them over as `Long`s (two 32-bit halves) or, rarely, as numbers; the
 * arithmetic below stays within 2^53 so every step is exact.
 */
import type { Int64 } from './otlp-proto.js';

const TWO_POW_32 = 4294967296;
/** values below 2^53 (high half below 2^21) convert through a number exactly */
const SAFE_HIGH_LIMIT = 0x200000;

/** The unsigned 32-bit halves of `v` (two's complement for negative values). */
function halves(v: Int64): [high: number, low: number] {
  if (typeof v !== 'number') return [v.high >>> 0, v.low >>> 0];
  if (Number.isSafeInteger(v) && v >= 0) return [Math.floor(v / TWO_POW_32), v % TWO_POW_32];
  const bits = BigInt.asUintN(64, BigInt(Math.trunc(v)));
  return [Number(bits >> 32n), Number(bits & 0xffffffffn)];
}

function unsignedHalvesToDecimal(high: number, low: number): string {
  if (high < SAFE_HIGH_LIMIT) return String(high * TWO_POW_32 + low);
  // 2^32 = 4294 * 10^6 + 967296, so value = (high * 4294 + ⌊rest / 10^6⌋) * 10^6 + rest mod 10^6
  // with rest = high * 967296 + low < 2^52.
  const rest = high * 967296 + low;
  const millions = high * 4294 + Math.floor(rest / 1e6);
  return String(millions) + String(rest % 1e6).padStart(6, '0');
}

/** An unsigned 64-bit value (fixed64/uint64) as decimal digits; `null` (unset) is "0". */
export function u64ToDecimal(v: Int64 | null): string {
  if (v === null) return '0';
  const [high, low] = halves(v);
  return unsignedHalvesToDecimal(high, low);
}

/** A signed 64-bit value (int64/sfixed64) as decimal digits; `null` (unset) is "0". */
export function i64ToDecimal(v: Int64 | null): string {
  if (v === null) return '0';
  const [high, low] = halves(v);
  if (high < 0x80000000) return unsignedHalvesToDecimal(high, low);
  const negLow = (~low + 1) >>> 0;
  const negHigh = (~high + (negLow === 0 ? 1 : 0)) >>> 0;
  return '-' + unsignedHalvesToDecimal(negHigh, negLow);
}

/** An unsigned 64-bit value as the nearest number (as Go's `float64(uint64)`). */
export function u64ToNumber(v: Int64 | null): number {
  if (v === null) return 0;
  const [high, low] = halves(v);
  return high * TWO_POW_32 + low;
}

/** A signed 64-bit value as the nearest number (as Go's `float64(int64)`). */
export function i64ToNumber(v: Int64 | null): number {
  if (v === null) return 0;
  const [high, low] = halves(v);
  return (high | 0) * TWO_POW_32 + low;
}

/**
 * `end - start` of two unsigned 64-bit values, wrapping modulo 2^64 as Go's
 * `pcommon.Timestamp` (uint64) subtraction does, as decimal digits.
 */
export function u64DifferenceToDecimal(end: Int64 | null, start: Int64 | null): string {
  const [endHigh, endLow] = end === null ? [0, 0] : halves(end);
  const [startHigh, startLow] = start === null ? [0, 0] : halves(start);
  let low = endLow - startLow;
  let borrow = 0;
  if (low < 0) {
    low += TWO_POW_32;
    borrow = 1;
  }
  const high = (endHigh - startHigh - borrow) >>> 0;
  return unsignedHalvesToDecimal(high, low);
}
