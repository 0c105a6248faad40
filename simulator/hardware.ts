/**
 * The simulated hardware and models: public datasheet figures, enough for the serving
 * model (serving-model.ts) to be physically plausible. A topology may add its own
 * GPU types and models with the same fields.
 *
 * GPU figures are per GPU of an HGX/SXM board: HBM bandwidth, dense (not sparse)
 * tensor throughput, board power at idle and at its limit. `model_name` is what
 * dcgm-exporter's `modelName` label says for it.
 */
import { z } from 'zod';

export const gpuSpecSchema = z
  .object({
    /** dcgm-exporter `modelName`, e.g. "NVIDIA H100 80GB HBM3" */
    model_name: z.string().min(1),
    memory_gib: z.number().positive(),
    /** HBM bandwidth, TB/s */
    hbm_tbps: z.number().positive(),
    /** dense BF16 tensor throughput, TFLOP/s */
    bf16_tflops: z.number().positive(),
    /** dense FP8 tensor throughput, TFLOP/s (GPUs without FP8: the BF16 figure) */
    fp8_tflops: z.number().positive(),
    idle_w: z.number().positive(),
    max_w: z.number().positive(),
  })
  .strict();
export type GpuSpec = z.output<typeof gpuSpecSchema>;

export const GPU_CATALOG: Record<string, GpuSpec> = {
  H100: { model_name: 'NVIDIA H100 80GB HBM3', memory_gib: 80, hbm_tbps: 3.35, bf16_tflops: 989, fp8_tflops: 1979, idle_w: 72, max_w: 700 },
  H200: { model_name: 'NVIDIA H200', memory_gib: 141, hbm_tbps: 4.8, bf16_tflops: 989, fp8_tflops: 1979, idle_w: 75, max_w: 700 },
  B200: { model_name: 'NVIDIA B200', memory_gib: 180, hbm_tbps: 8, bf16_tflops: 2250, fp8_tflops: 4500, idle_w: 140, max_w: 1000 },
  A100: { model_name: 'NVIDIA A100-SXM4-80GB', memory_gib: 80, hbm_tbps: 2.039, bf16_tflops: 312, fp8_tflops: 312, idle_w: 55, max_w: 400 },
  L40S: { model_name: 'NVIDIA L40S', memory_gib: 48, hbm_tbps: 0.864, bf16_tflops: 362, fp8_tflops: 733, idle_w: 35, max_w: 350 },
};

/**
 * A decoder-only transformer, as far as serving cost goes: parameter count (weights
 * streamed once per decode step) and the KV-cache geometry (bytes per token of context:
 * 2 (K and V) × layers × KV heads × head dim × bytes per element).
 */
export const modelSpecSchema = z
  .object({
    params_b: z.number().positive(),
    layers: z.number().int().positive(),
    kv_heads: z.number().int().positive(),
    head_dim: z.number().int().positive(),
  })
  .strict();
export type ModelSpec = z.output<typeof modelSpecSchema>;

export const MODEL_CATALOG: Record<string, ModelSpec> = {
  'meta/llama-3.1-8b-instruct': { params_b: 8.03, layers: 32, kv_heads: 8, head_dim: 128 },
  'meta/llama-3.1-70b-instruct': { params_b: 70.6, layers: 80, kv_heads: 8, head_dim: 128 },
  'qwen/qwen2.5-coder-32b-instruct': { params_b: 32.8, layers: 64, kv_heads: 8, head_dim: 128 },
  'mistralai/mistral-small-24b-instruct': { params_b: 23.6, layers: 40, kv_heads: 8, head_dim: 128 },
};

export type Precision = 'bf16' | 'fp8';

export const BYTES_PER_PARAM: Record<Precision, number> = { bf16: 2, fp8: 1 };

/** KV-cache bytes per token of context (BF16 cache). */
export function kvBytesPerToken(m: ModelSpec): number {
  return 2 * m.layers * m.kv_heads * m.head_dim * 2;
}
