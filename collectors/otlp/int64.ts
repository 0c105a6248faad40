/**
 * 64-bit OTLP integers (timestamps in ns, counts, `intValue`, `asInt`) to decimal strings
 * or numbers, exactly where the row keeps a string.
 *
 * protobufjs hands them over as `Long`s (two 32-bit halves) or, rarely, as numbers.
 * Values below 2^53 go through a number; larger ones (every ns timestamp) through BigInt,
 * which measured faster than splitting the halves into decimal by hand.
 */
import type { Int64 } from './otlp-proto.js';

const TWO_POW_32 = 4294967296;
/** a high half below 2^21 means the value is below 2^53: a number holds it exactly */
const SAFE_HIGH_LIMIT = 0x200000;

/** The 64 bits of `v` as an unsigned BigInt (two's complement for negative values). */
function unsignedBits(v: Int64): bigint {
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/** An unsigned 64-bit value (fixed64/uint64) as decimal digits; `null` (unset) is "0". */
export function u64ToDecimal(v: Int64 | null): string {
  if (v === null) return '0';
  if (typeof v !== 'number' && v.high >>> 0 < SAFE_HIGH_LIMIT) return String((v.high >>> 0) * TWO_POW_32 + (v.low >>> 0));
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return unsignedBits(v).toString();
}

/** A signed 64-bit value (int64/sfixed64) as decimal digits; `null` (unset) is "0". */
export function i64ToDecimal(v: Int64 | null): string {
  if (v === null) return '0';
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return BigInt.asIntN(64, unsignedBits(v)).toString();
}

/** An unsigned 64-bit value as the nearest number (as Go's `float64(uint64)`). */
export function u64ToNumber(v: Int64 | null): number {
  if (v === null) return 0;
  if (typeof v === 'number') return Number(BigInt.asUintN(64, BigInt(Math.trunc(v))));
  return (v.high >>> 0) * TWO_POW_32 + (v.low >>> 0); // one rounding: exact product plus exact low half
}

/** A signed 64-bit value as the nearest number (as Go's `float64(int64)`). */
export function i64ToNumber(v: Int64 | null): number {
  if (v === null) return 0;
  if (typeof v === 'number') return v;
  return (v.high | 0) * TWO_POW_32 + (v.low >>> 0);
}

/**
 * `end - start` of two unsigned 64-bit values, wrapping modulo 2^64 as Go's
 * `pcommon.Timestamp` (uint64) subtraction does, as decimal digits.
 */
export function u64DifferenceToDecimal(end: Int64 | null, start: Int64 | null): string {
  const endBits = end === null ? 0n : unsignedBits(end);
  const startBits = start === null ? 0n : unsignedBits(start);
  return BigInt.asUintN(64, endBits - startBits).toString();
}
