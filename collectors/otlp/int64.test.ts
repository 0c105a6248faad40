import { describe, expect, it } from 'vitest';
import { i64ToDecimal, i64ToNumber, u64DifferenceToDecimal, u64ToDecimal, u64ToNumber } from './int64.js';
import type { LongBits } from './otlp-proto.js';

/** The `{ low, high }` (signed 32-bit halves, as long.js keeps them) of a 64-bit pattern. */
function bits(value: bigint): LongBits {
  const u = BigInt.asUintN(64, value);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}

const UNSIGNED = [
  ...[0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n],
  ...[1767225600123456789n, 999999n * 2n ** 32n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n],
];
const SIGNED = [0n, 1n, -1n, -(2n ** 32n), -(2n ** 53n) - 1n, -1767225600123456789n, 2n ** 63n - 1n, -(2n ** 63n)];

describe('64-bit conversions', () => {
  it('unsigned values to exact decimal strings', () => {
    for (const v of UNSIGNED) expect(u64ToDecimal(bits(v))).toBe(v.toString());
    expect(u64ToDecimal(null)).toBe('0');
    expect(u64ToDecimal(1767225600)).toBe('1767225600');
  });

  it('signed values to exact decimal strings', () => {
    for (const v of SIGNED) expect(i64ToDecimal(bits(v))).toBe(v.toString());
    expect(i64ToDecimal(-42)).toBe('-42');
  });

  it('to the nearest number, as Go converts to float64', () => {
    for (const v of UNSIGNED) expect(u64ToNumber(bits(v))).toBe(Number(v));
    for (const v of SIGNED) expect(i64ToNumber(bits(v))).toBe(Number(v));
  });

  it('differences wrap modulo 2^64 like Go uint64 timestamps', () => {
    expect(u64DifferenceToDecimal(bits(1767225602000000000n), bits(1767225600123456789n))).toBe('1876543211');
    expect(u64DifferenceToDecimal(bits(5n * 2n ** 32n), bits(2n ** 32n + 1n))).toBe((4n * 2n ** 32n - 1n).toString());
    expect(u64DifferenceToDecimal(null, bits(1n))).toBe((2n ** 64n - 1n).toString()); // an unfinished span
    expect(u64DifferenceToDecimal(null, null)).toBe('0');
  });
});
