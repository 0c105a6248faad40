/**
 * Cumulative histograms as vLLM keeps them (prometheus_client): per-bucket counts
 * (not cumulative here; cumulated when exposed), the sum and the count. Bucket bounds
 * are vLLM V1's (`vllm/v1/metrics/loggers.py`).
 */

export const VLLM_TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0] as const;
export const VLLM_ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0] as const;
export const VLLM_E2E_BUCKETS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0] as const;

export interface Hist {
  readonly bounds: readonly number[];
  /** per bucket, bounds.length + 1 long (the last is +Inf) */
  readonly counts: number[];
  sum: number;
  count: number;
}

export function newHist(bounds: readonly number[]): Hist {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

/** Adds `n` observations of `value` (le semantics: value ≤ bound falls in that bucket). */
export function observe(h: Hist, value: number, n = 1): void {
  if (n <= 0) return;
  let i = 0;
  while (i < h.bounds.length && value > h.bounds[i]!) i++;
  h.counts[i]! += n;
  h.sum += value * n;
  h.count += n;
}

/** Cumulative counts per bound, +Inf last: what `_bucket{le=…}` shows. */
export function cumulative(h: Hist): number[] {
  const out: number[] = [];
  let acc = 0;
  for (const c of h.counts) out.push((acc += c));
  return out;
}
