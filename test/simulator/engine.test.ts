/**
 * The engine's invariants on the demo factory: deterministic for a seed, tokens and
 * energy conserved between what the gateway reports, what the servers count and what the
 * ground truth holds, workflows shaped as KPIS.md reads them, outages that fail calls and
 * restart counters, samples on the grid.
 */
import { describe, expect, it } from 'vitest';
import { FactoryEngine, type AttemptRecord, type CallRecord, type SimSink } from '../../simulator/engine.js';
import { demandFactor } from '../../simulator/demand.js';
import { DEMO_TOPOLOGY, type TopologyInput } from '../../simulator/topology.js';

/** Wednesday 2026-11-18 00:00 UTC */
const T0 = Date.UTC(2026, 10, 18);
const HOUR = 3_600_000;

function run(opts: { topology?: TopologyInput; seed?: number; hours: number; sampleIntervalS?: number; drain?: boolean }) {
  const engine = new FactoryEngine({ topology: opts.topology ?? DEMO_TOPOLOGY, seed: opts.seed ?? 1, startMs: T0, sampleIntervalS: opts.sampleIntervalS ?? 0, sampleAtStart: true });
  const calls: CallRecord[] = [];
  const attempts: AttemptRecord[] = [];
  const samples: number[] = [];
  const sink: SimSink = { call: (c) => calls.push(c), attempt: (a) => attempts.push(a), sample: (t) => samples.push(t) };
  engine.advance(T0 + opts.hours * HOUR, sink);
  if (opts.drain) engine.drain(sink);
  return { engine, calls, attempts, samples };
}

const noOutages: TopologyInput = { ...DEMO_TOPOLOGY, outages: { mtbf_hours: 1e9, minutes: [3, 12], detect_s: 30 } };

describe('demand', () => {
  const tenant = { utc_offset_h: 1, night_floor: 0.2, weekend_factor: 0.5 };
  it('peaks at 15:00 local, bottoms out at 03:00, scales weekends', () => {
    expect(demandFactor(tenant, Date.UTC(2026, 10, 18, 14))).toBeCloseTo(1, 12); // Wed 15:00 local
    expect(demandFactor(tenant, Date.UTC(2026, 10, 18, 2))).toBeCloseTo(0.2, 12); // Wed 03:00 local
    // 09:00 local: ((1 − cos(π/2)) / 2)^1.5 = 0.5^1.5 = 0.353553 → 0.2 + 0.8 × 0.353553 = 0.482843
    expect(demandFactor(tenant, Date.UTC(2026, 10, 18, 8))).toBeCloseTo(0.482843, 6);
    expect(demandFactor(tenant, Date.UTC(2026, 10, 21, 14))).toBeCloseTo(0.5, 12); // Sat 15:00 local
  });
});

describe('the engine', () => {
  it('is deterministic: the same seed and start give the same calls; another seed does not', () => {
    const a = run({ hours: 1 });
    const b = run({ hours: 1 });
    const c = run({ hours: 1, seed: 2 });
    expect(a.calls.length).toBeGreaterThan(100);
    expect(b.calls).toEqual(a.calls);
    expect(b.attempts).toEqual(a.attempts);
    expect(c.calls.map((x) => x.traceId)).not.toEqual(a.calls.map((x) => x.traceId));
    expect(new Set(a.calls.map((x) => `${x.traceId}/${x.spanId}`)).size).toBe(a.calls.length);
  });

  it('conserves tokens: what the servers count is what the gateway reported (no crash)', () => {
    const { engine, calls } = run({ topology: noOutages, hours: 3, drain: true });
    for (const dep of ['llama-70b-h100', 'llama-8b-h100', 'llama-70b-b200', 'llama-8b-b200', 'qwen-32b-b200']) {
      const mine = calls.filter((c) => c.deployment === dep);
      const replicas = engine.replicas.filter((r) => r.deployment === dep);
      expect(mine.length).toBeGreaterThan(0);
      const sum = (f: (c: CallRecord) => number) => mine.reduce((s, c) => s + f(c), 0);
      expect(replicas.reduce((s, r) => s + r.counters.promptTokens, 0)).toBe(sum((c) => c.inputTokens));
      expect(replicas.reduce((s, r) => s + r.counters.generationTokens, 0)).toBe(sum((c) => c.outputTokens));
      // every call the server saw ends in the e2e histogram; those with a first token in the TTFT one
      expect(replicas.reduce((s, r) => s + r.counters.e2e.count, 0)).toBe(mine.filter((c) => c.inputTokens + c.outputTokens > 0).length);
      expect(replicas.reduce((s, r) => s + r.counters.ttft.count, 0)).toBe(mine.filter((c) => c.ttftS !== undefined).length);
    }
    expect(engine.truth.tokens({ fromMs: T0, toMs: T0 + 24 * HOUR }, []).map((r) => r.tokens)).toEqual([calls.reduce((s, c) => s + c.inputTokens + c.outputTokens, 0)]);
  });

  it('integrates energy: each GPU’s counter is the truth’s energy; a spare GPU burns its idle power', () => {
    const { engine } = run({ topology: noOutages, hours: 3 });
    const totals = engine.truth.gpuTotals({ fromMs: T0, toMs: T0 + 3 * HOUR });
    expect(engine.gpus).toHaveLength(16);
    for (const g of engine.gpus) {
      expect(totals.get(g.uuid)!.seconds).toBe(10_800);
      // the same ticks' energy, summed per hour then over hours: equal but for float rounding
      expect(Math.abs(g.energyMj / totals.get(g.uuid)!.energyMj - 1)).toBeLessThan(1e-12);
    }
    // H100 GPU 6 holds no pod: 72 W × its spread × 10,800 s, in mJ
    const spare = engine.gpus.find((g) => g.node === 'gpu-h100-01' && g.index === 6)!;
    expect(spare.deployment).toBe('unassigned');
    expect(spare.pod).toBe('');
    expect(spare.energyMj).toBeCloseTo(72 * spare.spread * 10_800 * 1000, 0);
    // a GPU in use draws more than idle
    const busy = engine.gpus.find((g) => g.deployment === 'llama-8b-b200')!;
    expect(busy.energyMj / 10_800_000).toBeGreaterThan(busy.spec.idle_w * 1.2);
  });

  it('samples on the grid: at the start and every interval', () => {
    const { samples } = run({ hours: 1, sampleIntervalS: 300 });
    expect(samples).toEqual(Array.from({ length: 13 }, (_, k) => T0 + k * 300_000));
  });

  it('shapes workflows as KPIS.md reads them: attempts share workflow.id, calls are children of their attempt’s root', () => {
    const { calls, attempts } = run({ hours: 3, drain: true });
    const byTrace = new Map(attempts.map((a) => [a.traceId, a]));
    const inWorkflows = calls.filter((c) => c.workflowId !== undefined);
    expect(inWorkflows.length).toBeGreaterThan(100);
    for (const c of inWorkflows) {
      const root = byTrace.get(c.traceId)!;
      expect(c.parentSpanId).toBe(root.spanId);
      expect(c.workflowId).toBe(root.workflowId);
      expect(c.startMs).toBeGreaterThanOrEqual(root.startMs);
      expect(c.endMs).toBeLessThanOrEqual(root.endMs);
    }
    for (const c of calls.filter((x) => x.workflowId === undefined)) expect(c.parentSpanId).toBeUndefined();
    const byWorkflow = new Map<string, AttemptRecord[]>();
    for (const a of attempts) byWorkflow.set(a.workflowId, [...(byWorkflow.get(a.workflowId) ?? []), a]);
    let retried = 0;
    for (const list of byWorkflow.values()) {
      expect(list.map((a) => a.attempt)).toEqual(list.map((_, i) => i + 1));
      // a new attempt only after one that did not succeed; each in its own trace
      list.slice(0, -1).forEach((a) => expect(a.outcome).not.toBe('success'));
      expect(new Set(list.map((a) => a.traceId)).size).toBe(list.length);
      if (list.length > 1) retried++;
    }
    expect(retried).toBeGreaterThan(0);
  });

  it('crashes replicas: calls to a crashed one fail with 503 and no tokens, its counters restart', () => {
    const crashy: TopologyInput = { ...DEMO_TOPOLOGY, outages: { mtbf_hours: 2, minutes: [3, 5], detect_s: 30 } };
    const { engine, calls } = run({ topology: crashy, hours: 6 });
    expect(engine.outages.length).toBeGreaterThan(5);
    const failed = calls.filter((c) => c.errorType === '503');
    expect(failed.length).toBeGreaterThan(0);
    for (const c of failed) {
      expect([c.inputTokens, c.outputTokens, c.ttftS]).toEqual([0, 0, undefined]);
      expect(engine.outages.some((o) => o.replica === c.replica && c.startMs >= o.fromMs && c.startMs < o.toMs)).toBe(true);
    }
    // a replica that came back counts from its restart
    const back = engine.outages.find((o) => o.toMs < T0 + 6 * HOUR)!;
    expect(engine.replicas.find((r) => r.id === back.replica)!.counters.startedMs).toBeGreaterThanOrEqual(back.toMs);
  });
});
