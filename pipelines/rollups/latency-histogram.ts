/**
 * Mergeable latency histograms with quantiles read at quantileExact's rank.
 *
 * A value x > 0 falls in log-scale bucket k = ⌊ln x / ln γ⌋, i.e. [γ^k, γ^(k+1)), and is
 * represented by 2γ^(k+1) / (1 + γ), within (γ − 1) / (γ + 1) of every value of the
 * bucket: with γ = 1.02, 0.99 %. Negative values mirror it, zero has its own key; keys
 * are offset so that their order is the values' order. A rollup row stores the
 * histogram as parallel arrays (keys, counts); `sumMap` merges rows, hours and groups.
 *
 * The quantile at level q is the bucket holding the element quantileExact takes — the
 * ⌊q·n⌋-th (0-based) in sorted order — so the result is within 0.99 % of the exact
 * quantile for any number of values. (ClickHouse's own sketches do not give this:
 * quantilesDD takes rank q·(n − 1) and quantileBFloat16 / quantileExactWeighted ⌈q·n⌉,
 * a neighbouring element, which in the tail of a few hundred values is several % away.)
 */

/** Bucket growth factor γ. */
export const LATENCY_GAMMA = 1.02;
/** Keys of positive values are OFFSET + k (k ≥ −37 300 for any positive double), of negative ones −(OFFSET + k). */
const OFFSET = 40_000;

/**
 * The Int32 bucket key of the Float64 expression `x`; 0 for 0, ±inf and NaN. Total on
 * purpose: an aggregate's -If condition does not stop its arguments being evaluated on
 * the rows it leaves out, and behind a NULL (assumeNotNull) may sit any value, e.g. the
 * ±inf of a division the NULL masked — toInt32(±inf) would fail the whole query.
 */
export function bucketKey(x: string): string {
  const k = (v: string) => `toInt32(${OFFSET} + floor(log(${v}) / log(${LATENCY_GAMMA})))`;
  return `multiIf(NOT isFinite(${x}), toInt32(0), ${x} > 0, ${k(x)}, ${x} < 0, -${k(`-${x}`)}, toInt32(0))`;
}

/** The value that represents bucket key `key`. */
export function bucketValue(key: string): string {
  const rep = (k: string) => `2 * pow(${LATENCY_GAMMA}, ${k} - ${OFFSET} + 1) / (1 + ${LATENCY_GAMMA})`;
  return `multiIf(${key} > 0, ${rep(key)}, ${key} < 0, -(${rep(`-${key}`)}), 0.)`;
}

/**
 * Aggregate expressions building the histogram of the Nullable(Float64) column `col`
 * (nulls and non-finite values left out): [keys, counts].
 */
export function histogramColumns(col: string): [string, string] {
  const x = `assumeNotNull(${col})`;
  const h = `sumMapIf([${bucketKey(x)}], [toUInt64(1)], ${col} IS NOT NULL AND isFinite(${x}))`;
  return [`(${h}).1`, `(${h}).2`];
}

/** The merged histogram (Tuple(keys, counts), keys ascending) of the rows of a group. An aggregate. */
export function histogramMerge(keys: string, counts: string): string {
  return `sumMap(${keys}, ${counts})`;
}

/**
 * Over a merged histogram `h`: the bucket values, the running counts and the total —
 * computed once per group, then read by histogramQuantile (one small lambda each; a
 * self-contained quantile expression per level costs ClickHouse more to analyse than
 * to run).
 */
export function histogramPrepared(h: string): { values: string; cumulative: string; total: string } {
  return { values: `arrayMap(k -> ${bucketValue('k')}, ${h}.1)`, cumulative: `arrayCumSum(${h}.2)`, total: `arraySum(${h}.2)` };
}

/**
 * The q-quantile at quantileExact's rank: the value of the bucket holding the element of
 * 0-based rank ⌊q·n⌋ (quantileExact's `level × size`, truncated), i.e. the first bucket
 * whose running count exceeds it. Arguments are the columns of histogramPrepared.
 */
export function histogramQuantile(values: string, cumulative: string, total: string, q: number): string {
  return `${values}[arrayFirstIndex(c -> c > toUInt64(${q} * ${total}), ${cumulative})]`;
}
