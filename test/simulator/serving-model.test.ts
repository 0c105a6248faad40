/**
 * The serving model on Llama 3.1 8B (BF16) on one H100, mean context 4096 tokens, worked
 * by hand from the datasheet figures (simulator/hardware.ts):
 *
 *   weights      8.03e9 × 2 B = 16.06e9 B;   HBM × η_mem = 3.35e12 × 0.8 = 2.68e12 B/s
 *   t_w + t_oh   16.06e9 / 2.68e12 + 1.5 ms = 5.99254 + 1.5 = 7.49254 ms (tp 1: no all-reduce)
 *   KV / token   2 × 32 layers × 8 heads × 128 × 2 B = 131,072 B
 *   t_s          4096 × 131,072 / 2.68e12 + 2 × 8.03e9 / (989e12 × 0.6)
 *                = 0.200325 ms + 0.027064 ms = 0.227389 ms
 *   prefill P    989e12 × 0.5 / (2 × 8.03e9) = 30,790.78 tokens/s
 *   KV budget    80 GiB × 0.9 − 16.06e9 = 77,309,411,328 − 16,060,000,000 = 61,249,411,328 B
 *   B_max        ⌊61,249,411,328 / (4096 × 131,072)⌋ = ⌊114.08⌋ = 114
 */
import { describe, expect, it } from 'vitest';
import { GPU_CATALOG, MODEL_CATALOG } from '../../simulator/hardware.js';
import { idleState, replicaPerf, requestLatency, stepReplica, type ReplicaHardware } from '../../simulator/serving-model.js';

const hw: ReplicaHardware = { gpu: GPU_CATALOG.H100!, model: MODEL_CATALOG['meta/llama-3.1-8b-instruct']!, precision: 'bf16', tp: 1 };
const perf = replicaPerf(hw, 4096);

describe('replica performance', () => {
  it('decode step, prefill rate and KV-cache capacity from the datasheet', () => {
    expect(perf.stepBaseS).toBeCloseTo(0.00749254, 8);
    expect(perf.stepPerSeqS).toBeCloseTo(0.000227389, 9);
    expect(perf.prefillTokS).toBeCloseTo(30790.78, 2);
    expect(perf.kvBudgetBytes).toBe(61_249_411_328);
    expect(perf.maxBatch).toBe(114);
  });

  it('tensor parallel over 4 GPUs streams a quarter of the weights per GPU and pays the all-reduce', () => {
    // 70B FP8 on 4 H100: 70.6e9 B / (4 × 2.68e12) = 6.58582 ms, + 1.5 ms + 0.3 ms × log2(4) = 8.68582 ms
    const p = replicaPerf({ gpu: GPU_CATALOG.H100!, model: MODEL_CATALOG['meta/llama-3.1-70b-instruct']!, precision: 'fp8', tp: 4 }, 4096);
    expect(p.stepBaseS).toBeCloseTo(0.00868582, 8);
    // prefill: 4 × 1979e12 × 0.5 / (2 × 70.6e9) = 28,031.16 tokens/s
    expect(p.prefillTokS).toBeCloseTo(28031.16, 2);
  });
});

describe('a tick of load', () => {
  it('no load: nothing runs, the GPU idles at its idle power', () => {
    const s = stepReplica(hw.gpu, perf, { ratePerS: 0, meanInputTokens: 1000, meanOutputTokens: 200 }, 0, 5);
    expect([s.servedPerS, s.queue, s.batch, s.activity, s.powerW, s.kvCacheUsage]).toEqual([0, 0, 0, 0, 72, 0]);
    expect(idleState(hw.gpu, perf).powerW).toBe(72);
  });

  it('light load, 2 requests/s of 1000 in + 200 out: a small batch, short latency, the engine mostly busy', () => {
    // fp = 2 × 1000 / 30,790.78 = 0.064954; decode D = 400 tokens/s
    // b = D × t_w / ((1 − fp) − D × t_s) = 400 × 0.00749254 / (0.935046 − 0.0909558) = 3.55059
    // ITL = (t_w + b × t_s) / (1 − fp) = (0.00749254 + 0.000807373) / 0.935046 = 8.87647 ms
    // activity = 1 − (1 − fp) e^(−b) = 0.973157
    // compute share = fp + (1 − fp) × b t_s / step = 0.064954 + 0.935046 × 0.000807373 / 0.00829991 = 0.155911
    // power = 72 + 628 × 0.973157 × (0.45 + 0.55 × 0.155911) = 399.42 W
    const s = stepReplica(hw.gpu, perf, { ratePerS: 2, meanInputTokens: 1000, meanOutputTokens: 200 }, 0, 5);
    expect(s.servedPerS).toBe(2);
    expect(s.queue).toBe(0);
    expect(s.prefillShare).toBeCloseTo(0.0649545, 6);
    expect(s.batch).toBeCloseTo(3.550588, 5);
    expect(s.itlS).toBeCloseTo(0.00887647, 7);
    expect(s.activity).toBeCloseTo(0.973157, 5);
    expect(s.powerW).toBeCloseTo(399.42, 2);
    // TTFT of a 1000-token prompt: wait fp/(1 − fp) × L_i/P × ρ (0.000411 s) + 1000 / P (0.032477 s) + ITL
    const lat = requestLatency(s, 1000, 200);
    expect(lat.ttftS).toBeCloseTo(0.000411059 + 0.0324772 + 0.00887647, 6);
    expect(lat.e2eS).toBeCloseTo(lat.ttftS + 199 * s.itlS, 9);
  });

  it('overload, 100 requests/s: capacity μ ≈ 10.98/s, the rest queues, the batch is full', () => {
    // step(B_max) = 0.00749254 + 114 × 0.000227389 = 0.0334149 s; R = 114 / 0.0334149 = 3411.65
    // μ = R / (L_o + R × L_i / P) = 3411.65 / (200 + 110.80) = 10.97696 requests/s (< 0.95 × P / L_i = 29.25)
    // queue after 5 s = (100 − 10.97696) × 5 = 445.115; wait = 445.115 / 10.97696 + prefill wait ≈ 40.57 s
    const s = stepReplica(hw.gpu, perf, { ratePerS: 100, meanInputTokens: 1000, meanOutputTokens: 200 }, 0, 5);
    expect(s.capacityPerS).toBeCloseTo(10.97696, 5);
    expect(s.servedPerS).toBeCloseTo(10.97696, 5);
    expect(s.queue).toBeCloseTo(445.1152, 4);
    expect(s.batch).toBeCloseTo(114, 6);
    expect(s.waitS).toBeCloseTo(40.5676, 4);
    expect(s.itlS).toBeCloseTo(0.0519270, 7);
    // the next tick drains at μ when the load stops: 445.115 − 10.97696 × 5 = 390.23
    const next = stepReplica(hw.gpu, perf, { ratePerS: 0, meanInputTokens: 1000, meanOutputTokens: 200 }, s.queue, 5);
    expect(next.queue).toBeCloseTo(390.2304, 4);
  });
});
