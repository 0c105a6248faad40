/**
 * The serving model: how one inference-server replica (vLLM with continuous batching,
 * tensor parallel over `tp` GPUs) turns load into throughput, latency, utilization and
 * power. Deliberately simple, every term a physical one:
 *
 * Decode is memory-bound. One decode step streams the weights once and each running
 * sequence's KV cache once, and does 2 × params FLOPs per sequence:
 *
 *     step(b) = t_w + t_oh + b × t_s
 *     t_w  = params × bytes/param / (tp × HBM × η_mem)                 (weights)
 *     t_s  = ctx × kv_bytes/token / (tp × HBM × η_mem)                 (KV cache of one sequence)
 *          + 2 × params / (tp × FLOPS × η_mma)                         (its matmuls)
 *     t_oh = 1.5 ms + 0.3 ms × log2(tp)                                 (scheduler, all-reduce)
 *
 * so decode throughput b / step(b) grows with the batch b and saturates at 1 / t_s;
 * inter-token latency is step(b). The batch is capped by the KV cache: b ≤ B_max =
 * (tp × memory × 0.9 − weights) / (ctx × kv_bytes/token), at most 256 (vLLM's default
 * max_num_seqs).
 *
 * Prefill is compute-bound: P = tp × FLOPS × η_prefill / (2 × params) tokens/s; with
 * chunked prefill it takes a share f_p = served input tokens/s ÷ P of the GPU time and
 * stretches each decode step by 1 / (1 − f_p).
 *
 * Load (requests/s λ with mean input L_i and output L_o tokens, from the gateway's
 * routing) is served up to the replica's capacity μ — the rate at which prefill and a
 * full decode batch share the GPU: μ = R / (L_o + R × L_i / P), R = B_max / step(B_max),
 * and at most 0.95 × P / L_i. Beyond μ requests queue (vLLM's `waiting`): the queue
 * grows by (λ − μ) per second and drains at μ; a new request waits queue / μ (Little).
 * Below saturation the batch b solves b / step(b) × (1 − f_p) = served output tokens/s.
 *
 * TTFT = queue wait + prefill wait (M/M/1 on the prefill share: f_p / (1 − f_p) × L_i / P)
 *      + own prefill L_i / P + one decode step.
 * e2e  = TTFT + (output tokens − 1) × ITL.
 *
 * GPU activity (DCGM_FI_PROF_GR_ENGINE_ACTIVE): the engine is idle only when nothing is
 * prefilling and no sequence is running; with b sequences on average (Poisson
 * occupancy) active = 1 − (1 − f_p) e^(−b). Power = idle + (max − idle) × active ×
 * (0.45 + 0.55 × c), c the compute-bound share of the work (f_p plus the per-sequence
 * share of decode steps): memory-bound decoding at a small batch draws far less than
 * prefill or a full batch. Energy is power integrated over time.
 */
import { BYTES_PER_PARAM, kvBytesPerToken, type GpuSpec, type ModelSpec, type Precision } from './hardware.js';

const ETA_MEM = 0.8;
const ETA_MMA = 0.6;
const ETA_PREFILL = 0.5;
const MAX_NUM_SEQS = 256;
const GPU_MEMORY_UTILIZATION = 0.9;
const MAX_PREFILL_SHARE = 0.95;

export interface ReplicaHardware {
  gpu: GpuSpec;
  model: ModelSpec;
  precision: Precision;
  tp: number;
}

/** The static performance figures of a replica at a given mean context length. */
export interface ReplicaPerf {
  /** weight streaming + fixed overhead per decode step, s */
  stepBaseS: number;
  /** added per running sequence per step, s */
  stepPerSeqS: number;
  /** prefill throughput, tokens/s */
  prefillTokS: number;
  /** KV-cache capacity, in sequences of the mean context */
  maxBatch: number;
  /** bytes the KV cache may hold across the replica */
  kvBudgetBytes: number;
  kvBytesPerToken: number;
}

export function replicaPerf(hw: ReplicaHardware, meanContextTokens: number): ReplicaPerf {
  const { gpu, model, precision, tp } = hw;
  const params = model.params_b * 1e9;
  const weightBytes = params * BYTES_PER_PARAM[precision];
  const bw = tp * gpu.hbm_tbps * 1e12 * ETA_MEM;
  const flops = tp * (precision === 'fp8' ? gpu.fp8_tflops : gpu.bf16_tflops) * 1e12;
  const kvTok = kvBytesPerToken(model);
  const ctx = Math.max(64, meanContextTokens);
  const kvBudget = Math.max(0, tp * gpu.memory_gib * 2 ** 30 * GPU_MEMORY_UTILIZATION - weightBytes);
  return {
    stepBaseS: weightBytes / bw + 0.0015 + 0.0003 * Math.log2(tp),
    stepPerSeqS: (ctx * kvTok) / bw + (2 * params) / (flops * ETA_MMA),
    prefillTokS: (flops * ETA_PREFILL) / (2 * params),
    maxBatch: Math.max(1, Math.min(MAX_NUM_SEQS, Math.floor(kvBudget / (ctx * kvTok)))),
    kvBudgetBytes: kvBudget,
    kvBytesPerToken: kvTok,
  };
}

/** Offered load of one tick: requests/s and their mean token counts. */
export interface Load {
  ratePerS: number;
  meanInputTokens: number;
  meanOutputTokens: number;
}

/** The replica's state over one tick. */
export interface ReplicaState {
  /** requests served per second (≤ capacity) */
  servedPerS: number;
  /** capacity μ, requests/s at this mix */
  capacityPerS: number;
  /** requests waiting at the end of the tick */
  queue: number;
  /** sequences running (mean) */
  batch: number;
  /** share of GPU time prefilling */
  prefillShare: number;
  /** decode step = inter-token latency, s */
  itlS: number;
  /** wait before prefill starts: queue + prefill contention, s */
  waitS: number;
  prefillTokS: number;
  /** GR engine active, 0–1 */
  activity: number;
  /** per GPU, W */
  powerW: number;
  kvCacheUsage: number;
}

/** The state of a replica that serves nothing (idle, or down). */
export function idleState(gpu: GpuSpec, perf: ReplicaPerf): ReplicaState {
  return {
    servedPerS: 0,
    capacityPerS: 0,
    queue: 0,
    batch: 0,
    prefillShare: 0,
    itlS: perf.stepBaseS,
    waitS: 0,
    prefillTokS: perf.prefillTokS,
    activity: 0,
    powerW: gpu.idle_w,
    kvCacheUsage: 0,
  };
}

/**
 * Advances a replica by one tick of `dtS` seconds: the load offered in it, the queue
 * carried into it. Pure.
 */
export function stepReplica(gpu: GpuSpec, perf: ReplicaPerf, load: Load, queueIn: number, dtS: number): ReplicaState {
  const li = Math.max(1, load.meanInputTokens);
  const lo = Math.max(1, load.meanOutputTokens);
  const P = perf.prefillTokS;
  const stepMax = perf.stepBaseS + perf.maxBatch * perf.stepPerSeqS;
  const R = perf.maxBatch / stepMax;
  const mu = Math.min(R / (lo + (R * li) / P), (MAX_PREFILL_SHARE * P) / li);
  const offered = load.ratePerS + queueIn / dtS;
  const served = Math.min(offered, mu);
  const queue = Math.max(0, queueIn + (load.ratePerS - mu) * dtS);
  const fp = Math.min(MAX_PREFILL_SHARE, (served * li) / P);
  const decodeTokS = served * lo;
  // b / (base + b × perSeq) × (1 − fp) = decodeTokS  →  b = D × base / ((1 − fp) − D × perSeq)
  const denom = 1 - fp - decodeTokS * perf.stepPerSeqS;
  let batch = denom > 0 ? (decodeTokS * perf.stepBaseS) / denom : perf.maxBatch;
  batch = Math.min(perf.maxBatch, Math.max(0, batch));
  const stepS = perf.stepBaseS + batch * perf.stepPerSeqS;
  const rho = mu > 0 ? Math.min(0.98, served / mu) : 0;
  const waitS = (mu > 0 ? queue / mu : 0) + (fp / (1 - fp)) * (li / P) * rho;
  const activity = 1 - (1 - fp) * Math.exp(-batch);
  const perSeqShare = batch > 0 ? (batch * perf.stepPerSeqS) / stepS : 0;
  const compute = fp + (1 - fp) * perSeqShare;
  const powerW = gpu.idle_w + (gpu.max_w - gpu.idle_w) * activity * (0.45 + 0.55 * compute);
  const meanCtx = li + lo / 2;
  return {
    servedPerS: served,
    capacityPerS: mu,
    queue,
    batch,
    prefillShare: fp,
    itlS: stepS / (1 - fp),
    waitS,
    prefillTokS: P,
    activity,
    powerW,
    kvCacheUsage: perf.kvBudgetBytes > 0 ? Math.min(1, (batch * meanCtx * perf.kvBytesPerToken) / perf.kvBudgetBytes) : 0,
  };
}

/** Latency of one request on a replica in `state` (before per-request jitter). */
export function requestLatency(state: ReplicaState, inputTokens: number, outputTokens: number): { ttftS: number; itlS: number; e2eS: number } {
  const ttftS = state.waitS + inputTokens / state.prefillTokS + state.itlS;
  const e2eS = ttftS + Math.max(0, outputTokens - 1) * state.itlS;
  return { ttftS, itlS: state.itlS, e2eS };
}
