/**
 * What the simulator knows it did, independently of any telemetry pipeline: the calls
 * it made (tokens per tenant, model and deployment, by the hour the call started), the
 * GPU-seconds and energy it simulated per GPU and hour, and every workflow's final
 * outcome. From these it derives the figures token-factory should report (KPIS.md
 * definitions applied to the truth), so a test can hold the pipeline to them.
 */
import type { CallRecord } from './engine.js';

export const UNASSIGNED = 'unassigned';
const HOUR_MS = 3_600_000;

export interface Window {
  fromMs: number;
  toMs: number;
}

export interface CallTally {
  hour: number;
  tenant: string;
  model: string;
  deployment: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

export interface GpuInfo {
  uuid: string;
  gpuType: string;
  deployment: string;
  node: string;
  index: number;
}

export interface WorkflowTruth {
  name: string;
  tenant: string;
  startMs: number;
  attempts: number;
  /** outcome of the latest attempt by end time */
  outcome: string | undefined;
  lastEndMs: number;
}

export interface CostModel {
  gpu_types: Record<string, { hourly_usd: number; kwh_usd: number; pue: number }>;
  token_weights: { input: number; output: number };
}

export interface TokenRow {
  [dim: string]: string | number;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  tokens: number;
}

export interface UnitEconomicsTruth {
  model: string;
  gpu_type: string;
  tokens: number;
  /** GPU-hours of the deployment-hours that served tokens (KPIS.md attribution) */
  gpu_hours: number;
  cost_usd: number;
  tokens_per_gpu_hour: number | null;
  cost_per_mtok_usd: number | null;
}

/** Everything the truth holds, as structured-clonable data (it crosses from the simulator's worker thread). */
export interface GroundTruthData {
  calls: Map<string, CallTally>;
  gpuHours: Map<number, Float64Array>;
  gpus: GpuInfo[];
  workflows: Map<string, WorkflowTruth>;
  plainCalls: Map<number, { calls: number; errors: number }>;
}

export class GroundTruth {
  private readonly calls: Map<string, CallTally>;
  /** per hour: seconds and energy (mJ) of GPU i at [2i] and [2i + 1] */
  private readonly gpuHours: Map<number, Float64Array>;
  readonly gpus: GpuInfo[];
  private readonly workflows: Map<string, WorkflowTruth>;
  /** plain calls (no workflow): each its own trace, so its own workflow in KPIS.md's sense */
  private readonly plainCalls: Map<number, { calls: number; errors: number }>;

  constructor(data?: GroundTruthData) {
    this.calls = data?.calls ?? new Map();
    this.gpuHours = data?.gpuHours ?? new Map();
    this.gpus = data?.gpus ?? [];
    this.workflows = data?.workflows ?? new Map();
    this.plainCalls = data?.plainCalls ?? new Map();
  }

  /** The truth as data (shared, not copied: post it or clone it). */
  data(): GroundTruthData {
    return { calls: this.calls, gpuHours: this.gpuHours, gpus: this.gpus, workflows: this.workflows, plainCalls: this.plainCalls };
  }

  /** Registers a GPU; returns its id for `gpuTick`. */
  registerGpu(info: GpuInfo): number {
    this.gpus.push(info);
    return this.gpus.length - 1;
  }

  call(c: CallRecord): void {
    const hour = Math.floor(c.startMs / HOUR_MS) * HOUR_MS;
    const key = `${hour}|${c.tenant}|${c.model}|${c.deployment}`;
    let t = this.calls.get(key);
    if (!t) this.calls.set(key, (t = { hour, tenant: c.tenant, model: c.model, deployment: c.deployment, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0 }));
    t.requests++;
    if (c.errorType !== undefined) t.errors++;
    t.inputTokens += c.inputTokens;
    t.outputTokens += c.outputTokens;
    if (c.workflowId === undefined) {
      const p = this.plainCalls.get(hour) ?? { calls: 0, errors: 0 };
      p.calls++;
      if (c.errorType !== undefined) p.errors++;
      this.plainCalls.set(hour, p);
    }
  }

  gpuTick(id: number, tickStartMs: number, seconds: number, energyMj: number): void {
    const hour = Math.floor(tickStartMs / HOUR_MS) * HOUR_MS;
    let t = this.gpuHours.get(hour);
    if (!t) this.gpuHours.set(hour, (t = new Float64Array(2 * this.gpus.length)));
    t[2 * id]! += seconds;
    t[2 * id + 1]! += energyMj;
  }

  /** (hour, GPU, seconds, mJ) of every GPU-hour in the window. */
  private *gpuHourRows(w: Window): Generator<{ hour: number; gpu: GpuInfo; seconds: number; energyMj: number }> {
    for (const [hour, t] of this.gpuHours) {
      if (hour < w.fromMs || hour >= w.toMs) continue;
      for (let i = 0; i < this.gpus.length; i++) {
        if (t[2 * i]! > 0) yield { hour, gpu: this.gpus[i]!, seconds: t[2 * i]!, energyMj: t[2 * i + 1]! };
      }
    }
  }

  workflowStarted(id: string, name: string, tenant: string, startMs: number): void {
    this.workflows.set(id, { name, tenant, startMs, attempts: 0, outcome: undefined, lastEndMs: -Infinity });
  }

  attemptEnded(id: string, outcome: string, endMs: number): void {
    const w = this.workflows.get(id);
    if (!w) return;
    w.attempts++;
    if (endMs >= w.lastEndMs) {
      w.lastEndMs = endMs;
      w.outcome = outcome;
    }
  }

  /** Calls that started in the window, summed by the given dimensions. */
  tokens(w: Window, by: ('tenant' | 'model' | 'deployment')[]): TokenRow[] {
    const rows = new Map<string, TokenRow>();
    for (const t of this.calls.values()) {
      if (t.hour < w.fromMs || t.hour >= w.toMs) continue;
      const key = by.map((d) => t[d]).join('|');
      let r = rows.get(key);
      if (!r) {
        r = { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, tokens: 0 };
        for (const d of by) r[d] = t[d];
        rows.set(key, r);
      }
      r.requests += t.requests;
      r.errors += t.errors;
      r.input_tokens += t.inputTokens;
      r.output_tokens += t.outputTokens;
      r.tokens += t.inputTokens + t.outputTokens;
    }
    return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  }

  /** GPU-seconds and energy per GPU simulated in the window. */
  gpuTotals(w: Window): Map<string, { seconds: number; energyMj: number }> {
    const out = new Map<string, { seconds: number; energyMj: number }>();
    for (const t of this.gpuHourRows(w)) {
      const r = out.get(t.gpu.uuid) ?? { seconds: 0, energyMj: 0 };
      r.seconds += t.seconds;
      r.energyMj += t.energyMj;
      out.set(t.gpu.uuid, r);
    }
    return out;
  }

  /** Cost of a GPU's simulated time and energy under the cost model (KPIS.md "GPU time, energy, cost"). */
  static gpuCostUsd(cost: CostModel, gpuType: string, seconds: number, energyMj: number): number {
    const m = cost.gpu_types[gpuType];
    if (!m) return 0;
    return (seconds / 3600) * m.hourly_usd + (energyMj / 3.6e9) * m.pue * m.kwh_usd;
  }

  /** Every GPU's hours and cost in the window: what `costTotals` must find. */
  fleetTotals(w: Window, cost: CostModel): { gpu_hours: number; gpu_cost_usd: number; energy_kwh: number } {
    let seconds = 0;
    let costUsd = 0;
    let energyMj = 0;
    for (const t of this.gpuHourRows(w)) {
      seconds += t.seconds;
      energyMj += t.energyMj;
      costUsd += GroundTruth.gpuCostUsd(cost, t.gpu.gpuType, t.seconds, t.energyMj);
    }
    return { gpu_hours: seconds / 3600, gpu_cost_usd: costUsd, energy_kwh: energyMj / 3.6e9 };
  }

  /**
   * Tokens, GPU-hours and cost per model and GPU type, as KPIS.md's attribution defines
   * them: a deployment-hour's GPU time and cost go to the requests that started in it
   * when they carry weighted tokens; deployment-hours without any are idle (not here).
   */
  unitEconomics(w: Window, cost: CostModel, deploymentInfo: (name: string) => { model: string; gpuType: string } | undefined): UnitEconomicsTruth[] {
    const depHour = new Map<string, { seconds: number; costUsd: number }>();
    for (const t of this.gpuHourRows(w)) {
      if (t.gpu.deployment === UNASSIGNED) continue;
      const key = `${t.hour}|${t.gpu.deployment}`;
      const r = depHour.get(key) ?? { seconds: 0, costUsd: 0 };
      r.seconds += t.seconds;
      r.costUsd += GroundTruth.gpuCostUsd(cost, t.gpu.gpuType, t.seconds, t.energyMj);
      depHour.set(key, r);
    }
    const served = new Map<string, number>();
    const rows = new Map<string, UnitEconomicsTruth>();
    for (const t of this.calls.values()) {
      if (t.hour < w.fromMs || t.hour >= w.toMs) continue;
      const info = deploymentInfo(t.deployment);
      if (!info) continue;
      const key = `${info.model}|${info.gpuType}`;
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { model: info.model, gpu_type: info.gpuType, tokens: 0, gpu_hours: 0, cost_usd: 0, tokens_per_gpu_hour: null, cost_per_mtok_usd: null }));
      r.tokens += t.inputTokens + t.outputTokens;
      const weight = t.inputTokens * cost.token_weights.input + t.outputTokens * cost.token_weights.output;
      const dk = `${t.hour}|${t.deployment}`;
      served.set(dk, (served.get(dk) ?? 0) + weight);
    }
    for (const [dk, weight] of served) {
      if (!(weight > 0)) continue;
      const d = depHour.get(dk);
      if (!d) continue;
      const info = deploymentInfo(dk.slice(dk.indexOf('|') + 1))!;
      const r = rows.get(`${info.model}|${info.gpuType}`)!;
      r.gpu_hours += d.seconds / 3600;
      r.cost_usd += d.costUsd;
    }
    return [...rows.values()]
      .map((r) => ({
        ...r,
        tokens_per_gpu_hour: r.gpu_hours > 0 ? r.tokens / r.gpu_hours : null,
        cost_per_mtok_usd: r.tokens > 0 ? (r.cost_usd / r.tokens) * 1e6 : null,
      }))
      .sort((a, b) => (a.model === b.model ? (a.gpu_type < b.gpu_type ? -1 : 1) : a.model < b.model ? -1 : 1));
  }

  /**
   * Workflows that started in the window (KPIS.md: a trace, or all traces sharing a
   * `workflow.id`): the agentic ones by their final outcome, plus each plain call (its
   * own trace; it succeeds when it did not error).
   */
  workflowCounts(w: Window): { workflows: number; successful: number; byName: Map<string, { workflows: number; successful: number }> } {
    const byName = new Map<string, { workflows: number; successful: number }>();
    let workflows = 0;
    let successful = 0;
    for (const wf of this.workflows.values()) {
      if (wf.startMs < w.fromMs || wf.startMs >= w.toMs) continue;
      const ok = wf.outcome === 'success';
      workflows++;
      if (ok) successful++;
      const n = byName.get(wf.name) ?? { workflows: 0, successful: 0 };
      n.workflows++;
      if (ok) n.successful++;
      byName.set(wf.name, n);
    }
    for (const [hour, p] of this.plainCalls) {
      if (hour < w.fromMs || hour >= w.toMs) continue;
      workflows += p.calls;
      successful += p.calls - p.errors;
    }
    return { workflows, successful, byName };
  }
}
