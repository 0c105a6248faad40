/**
 * Rollup rows against raw rows (KPIS.md: sums exact, quantiles within 2 %): same rows,
 * keys and order; dimensions, counts, tokens and micro-dollar sums exactly equal; float
 * shares (GPU-hours, energy) to 1e-9 relative; quantiles within 1 % — the rollup
 * histograms guarantee (γ − 1) / (γ + 1) = 0.99 % (pipelines/rollups/latency-histogram.ts).
 */
import { expect } from 'vitest';

const QUANTILE = /_p(50|90|95|99)$/;
/** KPIs computed from float shares: equal up to summation order. */
const FLOAT_SUMS = new Set(['gpu_hours', 'energy_kwh', 'tokens_per_gpu_hour', 'output_tokens_per_gpu_hour', 'tokens_per_kwh', 'energy_kwh_per_mtok']);

/** Asserts agreement; returns how many quantiles were compared and how many differ from the exact ones. */
export function expectRollupAgreement(raw: Record<string, unknown>[], rolled: Record<string, unknown>[]): { quantiles: number; differ: number } {
  expect(rolled.length).toBe(raw.length);
  let quantiles = 0;
  let differ = 0;
  raw.forEach((r, i) => {
    const o = rolled[i]!;
    expect(Object.keys(o)).toEqual(Object.keys(r));
    for (const [k, v] of Object.entries(r)) {
      const got = o[k];
      if (v === null || typeof v !== 'number') expect([k, got]).toEqual([k, v]);
      else if (QUANTILE.test(k)) {
        expect(typeof got).toBe('number');
        expect(Math.abs((got as number) - v), `${k}: ${got} vs exact ${v}`).toBeLessThanOrEqual(0.01 * Math.abs(v));
        quantiles++;
        if (got !== v) differ++;
      } else if (FLOAT_SUMS.has(k)) expect(got, k).toBeCloseTo(v, 9 - Math.ceil(Math.log10(Math.abs(v) + 1)));
      else expect([k, got]).toEqual([k, v]);
    }
  });
  return { quantiles, differ };
}
