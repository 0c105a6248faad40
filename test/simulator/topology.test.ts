/**
 * The demo factory's topology, its config (examples/demo.yaml) kept in step with it, the
 * topology's validation, and the seeded generator everything random goes through.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../core/config/load.js';
import { FactoryEngine } from '../../simulator/engine.js';
import { Rng } from '../../simulator/rng.js';
import { DEMO_TOPOLOGY, parseTopology, topologySchema, type TopologyInput } from '../../simulator/topology.js';

const config = loadConfig({ file: fileURLToPath(new URL('../../examples/demo.yaml', import.meta.url)), env: {} }).config;
const topology = parseTopology(DEMO_TOPOLOGY);
const engine = new FactoryEngine({ topology: DEMO_TOPOLOGY, startMs: Date.UTC(2026, 10, 18) });

describe('examples/demo.yaml describes the demo factory', () => {
  it('the same deployments, models and endpoints', () => {
    expect(config.deployments.map((d) => [d.name, d.model, d.endpoints])).toEqual(topology.deployments.map((d) => [d.name, d.model, [d.endpoint]]));
  });

  it('its pod patterns map every GPU to the deployment the simulator put on it; the spares to none', () => {
    const mapped = engine.gpus.map((g) => {
      const hit = config.deployments.filter((d) => 'pods' in d.gpus && g.pod !== '' && d.gpus.pods.some((re) => new RegExp(re).test(g.pod)));
      return [g.node, g.index, hit.map((d) => d.name).join(',') || 'unassigned'];
    });
    expect(mapped).toEqual(engine.gpus.map((g) => [g.node, g.index, g.deployment]));
    expect(mapped.filter((m) => m[2] === 'unassigned')).toEqual([
      ['gpu-h100-01', 6, 'unassigned'],
      ['gpu-h100-01', 7, 'unassigned'],
      ['gpu-b200-01', 7, 'unassigned'],
    ]);
  });

  it('a cost model for every GPU type, a price for every model, every tenant', () => {
    expect(Object.keys(config.gpu_types).sort()).toEqual([...new Set(topology.nodes.map((n) => n.gpu_type))].sort());
    expect(Object.keys(config.prices).sort()).toEqual([...new Set(topology.deployments.map((d) => d.model))].sort());
    expect(Object.keys(config.tenants).sort()).toEqual(topology.tenants.map((t) => t.name).sort());
    expect(config.scrape).toEqual([]);
  });
});

describe('topology validation', () => {
  const issues = (t: TopologyInput) => {
    const r = topologySchema.safeParse(t);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('names the field at fault', () => {
    const bad: TopologyInput = {
      ...DEMO_TOPOLOGY,
      deployments: [
        { name: 'a', model: 'nobody/unknown-model', node: 'gpu-h100-01', gpus: [0, 1], tp: 2, endpoint: 'a.svc' },
        { name: 'b', model: 'meta/llama-3.1-8b-instruct', node: 'gpu-h100-01', gpus: [1, 2, 9], tp: 1, endpoint: 'b.svc' },
      ],
    };
    expect(issues(bad)).toEqual([
      'deployments.0.model: unknown model "nobody/unknown-model": add it under models',
      'deployments.1.gpus: GPU 1 of gpu-h100-01 is already used by a',
      'deployments.1.gpus: node gpu-h100-01 has no GPU 9',
      'tenants.0.chat.1.model: no deployment serves "meta/llama-3.1-70b-instruct"',
      'tenants.1.chat.1.model: no deployment serves "meta/llama-3.1-70b-instruct"',
      'tenants.2.chat.0.model: no deployment serves "qwen/qwen2.5-coder-32b-instruct"',
      'tenants.3.chat.0.model: no deployment serves "meta/llama-3.1-70b-instruct"',
      'workflows.support-agent.steps.2.model: no deployment serves "meta/llama-3.1-70b-instruct"',
      'workflows.research-agent.steps.0.model: no deployment serves "meta/llama-3.1-70b-instruct"',
      'workflows.research-agent.steps.2.model: no deployment serves "meta/llama-3.1-70b-instruct"',
      'workflows.code-review.steps.0.model: no deployment serves "qwen/qwen2.5-coder-32b-instruct"',
      'workflows.code-review.steps.1.model: no deployment serves "meta/llama-3.1-70b-instruct"',
    ]);
  });

  it('takes other GPU types from the catalogue or from the topology', () => {
    const custom: TopologyInput = {
      ...DEMO_TOPOLOGY,
      gpu_types: { MI300X: { model_name: 'AMD Instinct MI300X', memory_gib: 192, hbm_tbps: 5.3, bf16_tflops: 1307, fp8_tflops: 2615, idle_w: 140, max_w: 750 } },
      nodes: [...DEMO_TOPOLOGY.nodes, { name: 'gpu-h200-01', gpu_type: 'H200', gpus: 8 }, { name: 'mi-01', gpu_type: 'MI300X', gpus: 8 }],
    };
    expect(issues(custom)).toEqual([]);
    expect(issues({ ...custom, nodes: [{ name: 'x', gpu_type: 'TPUv9', gpus: 4 }, ...DEMO_TOPOLOGY.nodes] })).toEqual(['nodes.0.gpu_type: unknown GPU type "TPUv9": add it under gpu_types']);
  });
});

describe('the seeded generator', () => {
  it('gives the same stream for the same seed and key, another for another key', () => {
    const a = Rng.of(42, 'tick', 7);
    const b = Rng.of(42, 'tick', 7);
    const c = Rng.of(42, 'tick', 8);
    const draw = (r: Rng) => [r.u32(), r.u32(), r.next(), r.hex(16), r.poisson(3), r.poisson(300), r.normal()];
    const x = draw(a);
    expect(draw(b)).toEqual(x);
    expect(draw(c)).not.toEqual(x);
  });

  it('draws in range: uniform in [0, 1), ids of hex, Poisson with the right mean', () => {
    const r = Rng.of(1, 'range');
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += r.poisson(4);
    }
    // 20,000 draws of mean 4: standard error 0.014; 0.1 is 7 standard errors
    expect(Math.abs(sum / 20_000 - 4)).toBeLessThan(0.1);
    expect(r.hex(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(r.hex(16)).toMatch(/^[0-9a-f]{32}$/);
  });
});
