/**
 * What the simulated factory is made of: nodes of GPUs, deployments of models on them
 * (vLLM replicas, tensor parallel), tenants with diurnal demand (plain chat calls and
 * agentic workflows), workflow shapes and the outage rate. Validated with zod; the
 * default is the demo factory (examples/demo.yaml describes the same fleet to
 * token-factory).
 */
import { z } from 'zod';
import { GPU_CATALOG, gpuSpecSchema, MODEL_CATALOG, modelSpecSchema, type GpuSpec, type ModelSpec } from './hardware.js';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const ratio = z.number().min(0).max(1);

/** Token counts of a call: log-normal with this median and log-space sigma, clamped to [1, max]. */
const tokensSchema = z.object({ median: positive, sigma: nonNegative.default(0.4), max: positive.default(128_000) }).strict();
export type TokenDistribution = z.output<typeof tokensSchema>;

export const nodeSchema = z
  .object({
    name: z.string().min(1),
    gpu_type: z.string().min(1),
    gpus: z.number().int().min(1).max(16),
  })
  .strict();

export const deploymentSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    model: z.string().min(1),
    node: z.string().min(1),
    /** GPU indices on the node; consecutive groups of `tp` form the replicas */
    gpus: z.array(z.number().int().nonnegative()).min(1),
    tp: z.number().int().min(1).default(1),
    precision: z.enum(['bf16', 'fp8']).default('bf16'),
    /** the `server.address` the gateway calls */
    endpoint: z.string().min(1),
  })
  .strict();

export const chatSourceSchema = z
  .object({
    model: z.string().min(1),
    /** requests per second at the tenant's daily peak */
    peak_rate_per_s: nonNegative,
    input_tokens: tokensSchema,
    output_tokens: tokensSchema,
    /** the client gives up after this long */
    timeout_s: positive.default(60),
  })
  .strict();

export const workflowSourceSchema = z
  .object({
    workflow: z.string().min(1),
    /** workflows started per hour at the tenant's daily peak */
    peak_per_hour: nonNegative,
  })
  .strict();

export const tenantSchema = z
  .object({
    name: z.string().min(1),
    /** local time = UTC + this; demand peaks mid-afternoon local time */
    utc_offset_h: z.number().min(-12).max(14).default(0),
    /** demand on Saturdays and Sundays relative to weekdays */
    weekend_factor: nonNegative.default(0.5),
    /** share of the daily peak at the quietest hour */
    night_floor: ratio.default(0.15),
    chat: z.array(chatSourceSchema).default([]),
    workflows: z.array(workflowSourceSchema).default([]),
  })
  .strict();

export const workflowStepSchema = z
  .object({
    name: z.string().min(1),
    model: z.string().min(1),
    input_tokens: tokensSchema,
    output_tokens: tokensSchema,
    /** how many times the step runs in a row: [min, max] */
    repeat: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([1, 1]),
    /** the step's input also carries every earlier step's output (the agent's context) */
    carry_context: z.boolean().default(false),
  })
  .strict();

export const workflowSchema = z
  .object({
    steps: z.array(workflowStepSchema).min(1),
    /** tool time between steps, seconds [min, max] */
    tool_s: z.tuple([nonNegative, nonNegative]).default([0.2, 2]),
    /** an attempt that completes still fails its check with this probability */
    failure_rate: ratio.default(0.05),
    /** attempts of the whole workflow (same workflow.id, a new trace each) */
    max_attempts: z.number().int().min(1).default(3),
    /** retries of a failed model call inside an attempt */
    call_retries: z.number().int().nonnegative().default(2),
    timeout_s: positive.default(180),
  })
  .strict();

export const topologySchema = z
  .object({
    /** Kubernetes namespace of the vLLM pods (dcgm-exporter's `namespace` label) */
    namespace: z.string().min(1).default('inference'),
    gpu_types: z.record(z.string(), gpuSpecSchema).default({}),
    models: z.record(z.string(), modelSpecSchema).default({}),
    nodes: z.array(nodeSchema).min(1),
    deployments: z.array(deploymentSchema).min(1),
    tenants: z.array(tenantSchema).min(1),
    workflows: z.record(z.string(), workflowSchema).default({}),
    outages: z
      .object({
        /** mean time between crashes of one vLLM replica, hours */
        mtbf_hours: positive.default(120),
        /** restart + model load time, minutes [min, max] */
        minutes: z.tuple([positive, positive]).default([3, 12]),
        /** the gateway stops routing to a crashed replica after this many seconds */
        detect_s: nonNegative.default(30),
      })
      .strict()
      .default({ mtbf_hours: 120, minutes: [3, 12], detect_s: 30 }),
    /** simulation tick, seconds */
    tick_s: positive.default(5),
  })
  .strict()
  .superRefine((t, ctx) => {
    const gpuTypes = { ...GPU_CATALOG, ...t.gpu_types };
    const models = { ...MODEL_CATALOG, ...t.models };
    const nodes = new Map(t.nodes.map((n) => [n.name, n]));
    const taken = new Map<string, string>();
    t.nodes.forEach((n, i) => {
      if (!gpuTypes[n.gpu_type]) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'gpu_type'], message: `unknown GPU type "${n.gpu_type}": add it under gpu_types` });
    });
    const names = new Set<string>();
    t.deployments.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'name'], message: `duplicate deployment "${d.name}"` });
      names.add(d.name);
      if (!models[d.model]) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'model'], message: `unknown model "${d.model}": add it under models` });
      const node = nodes.get(d.node);
      if (!node) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'node'], message: `unknown node "${d.node}"` });
      if (d.gpus.length % d.tp !== 0) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'gpus'], message: `${d.gpus.length} GPUs do not split into replicas of tp=${d.tp}` });
      for (const g of d.gpus) {
        if (node && g >= node.gpus) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'gpus'], message: `node ${d.node} has no GPU ${g}` });
        const key = `${d.node}#${g}`;
        const other = taken.get(key);
        if (other) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'gpus'], message: `GPU ${g} of ${d.node} is already used by ${other}` });
        taken.set(key, d.name);
      }
    });
    const served = new Set(t.deployments.map((d) => d.model));
    const needModel = (model: string, path: (string | number)[]) => {
      if (!served.has(model)) ctx.addIssue({ code: 'custom', path, message: `no deployment serves "${model}"` });
    };
    t.tenants.forEach((tn, i) => {
      tn.chat.forEach((c, j) => needModel(c.model, ['tenants', i, 'chat', j, 'model']));
      tn.workflows.forEach((w, j) => {
        if (!t.workflows[w.workflow]) ctx.addIssue({ code: 'custom', path: ['tenants', i, 'workflows', j, 'workflow'], message: `unknown workflow "${w.workflow}"` });
      });
    });
    for (const [name, w] of Object.entries(t.workflows)) w.steps.forEach((s, j) => needModel(s.model, ['workflows', name, 'steps', j, 'model']));
  });

export type Topology = z.output<typeof topologySchema>;
export type TopologyInput = z.input<typeof topologySchema>;
export type DeploymentSpec = Topology['deployments'][number];
export type TenantSpec = Topology['tenants'][number];
export type WorkflowSpec = Topology['workflows'][string];
export type WorkflowStepSpec = WorkflowSpec['steps'][number];
export type ChatSource = TenantSpec['chat'][number];

export function gpuSpecOf(t: Topology, gpuType: string): GpuSpec {
  const s = t.gpu_types[gpuType] ?? GPU_CATALOG[gpuType];
  if (!s) throw new Error(`unknown GPU type ${gpuType}`);
  return s;
}

export function modelSpecOf(t: Topology, model: string): ModelSpec {
  const s = t.models[model] ?? MODEL_CATALOG[model];
  if (!s) throw new Error(`unknown model ${model}`);
  return s;
}

const tok = (median: number, sigma = 0.4, max = 128_000) => ({ median, sigma, max });

/**
 * The demo factory: an H100 node and a B200 node (8 GPUs each) serving Llama 3.1 8B and
 * 70B on both GPU types and a Qwen coder model on B200, three spare GPUs; four tenants
 * in four time zones; three agentic workflows.
 */
export const DEMO_TOPOLOGY: TopologyInput = {
  namespace: 'inference',
  nodes: [
    { name: 'gpu-h100-01', gpu_type: 'H100', gpus: 8 },
    { name: 'gpu-b200-01', gpu_type: 'B200', gpus: 8 },
  ],
  deployments: [
    { name: 'llama-70b-h100', model: 'meta/llama-3.1-70b-instruct', node: 'gpu-h100-01', gpus: [0, 1, 2, 3], tp: 4, precision: 'fp8', endpoint: 'llama-70b-h100.inference.svc' },
    { name: 'llama-8b-h100', model: 'meta/llama-3.1-8b-instruct', node: 'gpu-h100-01', gpus: [4, 5], tp: 1, precision: 'bf16', endpoint: 'llama-8b-h100.inference.svc' },
    { name: 'llama-70b-b200', model: 'meta/llama-3.1-70b-instruct', node: 'gpu-b200-01', gpus: [0, 1, 2, 3], tp: 2, precision: 'fp8', endpoint: 'llama-70b-b200.inference.svc' },
    { name: 'llama-8b-b200', model: 'meta/llama-3.1-8b-instruct', node: 'gpu-b200-01', gpus: [4], tp: 1, precision: 'bf16', endpoint: 'llama-8b-b200.inference.svc' },
    { name: 'qwen-32b-b200', model: 'qwen/qwen2.5-coder-32b-instruct', node: 'gpu-b200-01', gpus: [5, 6], tp: 1, precision: 'bf16', endpoint: 'qwen-32b-b200.inference.svc' },
  ],
  tenants: [
    {
      name: 'acme',
      utc_offset_h: 1,
      weekend_factor: 0.3,
      chat: [
        { model: 'meta/llama-3.1-8b-instruct', peak_rate_per_s: 0.22, input_tokens: tok(12000, 0.6), output_tokens: tok(500, 0.6, 4096) },
        { model: 'meta/llama-3.1-70b-instruct', peak_rate_per_s: 0.07, input_tokens: tok(22000, 0.6), output_tokens: tok(800, 0.5, 4096) },
      ],
      workflows: [
        { workflow: 'support-agent', peak_per_hour: 200 },
        { workflow: 'code-review', peak_per_hour: 40 },
      ],
    },
    {
      name: 'globex',
      utc_offset_h: -5,
      weekend_factor: 1.1,
      night_floor: 0.1,
      chat: [
        { model: 'meta/llama-3.1-8b-instruct', peak_rate_per_s: 0.38, input_tokens: tok(8000, 0.7), output_tokens: tok(550, 0.6, 4096) },
        { model: 'meta/llama-3.1-70b-instruct', peak_rate_per_s: 0.08, input_tokens: tok(16000, 0.6), output_tokens: tok(900, 0.5, 4096) },
      ],
    },
    {
      name: 'initech',
      utc_offset_h: 8,
      weekend_factor: 0.5,
      chat: [{ model: 'qwen/qwen2.5-coder-32b-instruct', peak_rate_per_s: 0.04, input_tokens: tok(30000, 0.6), output_tokens: tok(1200, 0.6, 8192), timeout_s: 120 }],
      workflows: [
        { workflow: 'research-agent', peak_per_hour: 60 },
        { workflow: 'code-review', peak_per_hour: 60 },
      ],
    },
    {
      name: 'umbrella',
      utc_offset_h: -8,
      weekend_factor: 0.3,
      chat: [{ model: 'meta/llama-3.1-70b-instruct', peak_rate_per_s: 0.04, input_tokens: tok(26000, 0.5), output_tokens: tok(800, 0.5, 4096) }],
      workflows: [{ workflow: 'support-agent', peak_per_hour: 50 }],
    },
  ],
  workflows: {
    'support-agent': {
      steps: [
        { name: 'classify', model: 'meta/llama-3.1-8b-instruct', input_tokens: tok(1500, 0.3), output_tokens: tok(12, 0.3) },
        { name: 'answer', model: 'meta/llama-3.1-8b-instruct', input_tokens: tok(9000, 0.4), output_tokens: tok(350, 0.5) },
        { name: 'draft', model: 'meta/llama-3.1-70b-instruct', input_tokens: tok(16000, 0.4), output_tokens: tok(700, 0.4), carry_context: true },
        { name: 'review', model: 'meta/llama-3.1-8b-instruct', input_tokens: tok(6000, 0.3), output_tokens: tok(40, 0.4), carry_context: true },
      ],
      tool_s: [0.2, 1.5],
      failure_rate: 0.08,
      max_attempts: 2,
    },
    'research-agent': {
      steps: [
        { name: 'plan', model: 'meta/llama-3.1-70b-instruct', input_tokens: tok(4000, 0.3), output_tokens: tok(500, 0.4) },
        { name: 'read', model: 'meta/llama-3.1-8b-instruct', input_tokens: tok(24000, 0.5), output_tokens: tok(400, 0.4), repeat: [3, 7] },
        { name: 'synthesize', model: 'meta/llama-3.1-70b-instruct', input_tokens: tok(60000, 0.35), output_tokens: tok(2000, 0.4, 8192), carry_context: true },
      ],
      tool_s: [0.5, 4],
      failure_rate: 0.2,
      timeout_s: 300,
    },
    'code-review': {
      steps: [
        { name: 'review-file', model: 'qwen/qwen2.5-coder-32b-instruct', input_tokens: tok(30000, 0.6), output_tokens: tok(1000, 0.5, 8192), repeat: [2, 5] },
        { name: 'summarize', model: 'meta/llama-3.1-70b-instruct', input_tokens: tok(12000, 0.4), output_tokens: tok(800, 0.4), carry_context: true },
      ],
      tool_s: [0.1, 1],
      failure_rate: 0.12,
    },
  },
  outages: { mtbf_hours: 120, minutes: [3, 12], detect_s: 30 },
  tick_s: 5,
};

export function parseTopology(input: unknown): Topology {
  return topologySchema.parse(input);
}

/** Deployment name → its model and GPU type (what the ground truth groups by). */
export function deploymentInfo(t: Topology): (name: string) => { model: string; gpuType: string } | undefined {
  const byName = new Map(
    t.deployments.map((d) => [d.name, { model: d.model, gpuType: t.nodes.find((n) => n.name === d.node)!.gpu_type }] as const),
  );
  return (name) => byName.get(name);
}
