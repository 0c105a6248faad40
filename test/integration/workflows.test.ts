/**
 * Workflows (KPIS.md "Workflows") on a small factory built here: OTLP JSON gateway
 * spans and a dcgm-exporter scrape, loaded through the decoders and the staged load.
 *
 * GPUs (H100 at 3.6 USD/h = 1 000 µ$ per GPU-second, no energy price): GPU 0 of node-x
 * serves dep-a (model-a), GPU 1 serves dep-b (model-b). Each GPU is sampled at 10:00:00,
 * 10:01:40, 11:00:00, 11:01:40 (max_sample_gap_s 300):
 *   10:00:00 covers 100 s (to the next), 10:01:40 covers min(3 500, 300) = 300 s,
 *   11:00:00 covers 100 s, 11:01:40 (last) covers 100 s (since the one before)
 *   → hour 10: 400 s = 400 000 µ$, hour 11: 200 s = 200 000 µ$, per GPU.
 *
 * Requests (weights 1/1) and their cost:
 *   dep-a, hour 10: r3 400 tok, r4 200, r1 150, r6 50 = 800 tok → 400 000 / 800 = 500 µ$/tok
 *     r3 200 000, r4 100 000, r1 75 000, r6 25 000
 *   dep-b, hour 11: r2 300 tok, r5 500 = 800 tok → 200 000 / 800 = 250 µ$/tok
 *     r2 75 000, r5 125 000
 *   (dep-b hour 10 and dep-a hour 11 are idle: not in any workflow.) Σ = 600 000 µ$.
 *
 * Workflows:
 *   W1 research  (trace T1, acme): root 10:50–11:10 OK; r1 model-a 10:55 (100+50), r2 model-b
 *      11:05 (200+100) — two models, two hours. 450 tok, 150 000 µ$. success.
 *   W2 support   (workflow.id wf-retry, acme): attempt T2 root 10:10–10:30 ERROR with r3
 *      (300+100, error.type timeout, carries workflow.id itself); retry T3 root 10:35–10:45 OK
 *      with r4 (150+50, no workflow.id: belongs through its root). Latest root by end = T3
 *      → success; both attempts count: 600 tok, 300 000 µ$.
 *   W3 summarize (T4, globex): root 11:15–11:30 status OK but workflow.outcome=failure; r5
 *      model-b 11:20 (400+100). failed: 500 tok, 125 000 µ$.
 *   W4 lookup    (T5, globex): root 10:10–10:11 ERROR, no LLM call. failed, 0 tok, 0 µ$.
 *   W5 (T6, acme): r6 10:05 (40+10) whose root span is not in the store → named "unknown",
 *      decided by its latest request (OK) → success. 50 tok, 25 000 µ$.
 *   W6 translate (wf-late, globex): T7 root 11:30–11:50 ERROR, T8 root 11:35–11:40 OK: T7
 *      started first but ended last → it decides → failed. 0 tok, 0 µ$.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema, type Config } from '../../core/config/schema.js';
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';
import { workflowKpis, workflowList, workflowRequests } from '../../pipelines/kpi/workflows.js';
import { unitEconomics } from '../../pipelines/kpi/unit-economics.js';

const BASE_S = 1795428000; // 2026-11-23T10:00:00Z
/** "hh:mm[:ss]" on 2026-11-23 → unix nanoseconds as a string */
const at = (hhmm: string): string => {
  const [h, m, s] = hhmm.split(':').map(Number);
  return `${BASE_S + (h! - 10) * 3600 + m! * 60 + (s ?? 0)}000000000`;
};
const T = (n: number) => String(n).repeat(32);
const S = (n: number) => n.toString(16).padStart(16, '0');

type Attrs = Record<string, string | number>;
interface SpanSpec {
  trace: string;
  span: string;
  parent?: string;
  name: string;
  start: string;
  end: string;
  attrs: Attrs;
  /** OTLP status code: 0 unset, 1 OK, 2 ERROR */
  status?: number;
}

const otlpAttrs = (a: Attrs) =>
  Object.entries(a).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));

function otlp(spans: SpanSpec[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: otlpAttrs({ 'service.name': 'ai-gateway' }) },
          scopeSpans: [
            {
              scope: { name: 'workflows.test' },
              spans: spans.map((s) => ({
                traceId: s.trace,
                spanId: s.span,
                parentSpanId: s.parent ?? '',
                name: s.name,
                kind: s.parent ? 3 : 2,
                startTimeUnixNano: at(s.start),
                endTimeUnixNano: at(s.end),
                attributes: otlpAttrs(s.attrs),
                status: s.status ? { code: s.status } : {},
              })),
            },
          ],
        },
      ],
    }),
  );
}

const llm = (model: string, tenant: string, input: number, output: number, extra: Attrs = {}): Attrs => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': model,
  'tenant.id': tenant,
  'gen_ai.usage.input_tokens': input,
  'gen_ai.usage.output_tokens': output,
  ...extra,
});

const SPANS: SpanSpec[] = [
  // W1 research: two models, two hours
  { trace: T(1), span: S(0x10), name: 'POST /v1/agents/research', start: '10:50', end: '11:10', attrs: { 'workflow.name': 'research', 'tenant.id': 'acme' }, status: 1 },
  { trace: T(1), span: S(0x11), parent: S(0x10), name: 'chat model-a', start: '10:55', end: '10:55:02', attrs: llm('model-a', 'acme', 100, 50) },
  { trace: T(1), span: S(0x12), parent: S(0x10), name: 'chat model-b', start: '11:05', end: '11:05:03', attrs: llm('model-b', 'acme', 200, 100) },
  // W2 support, wf-retry: failed attempt, then a successful retry
  { trace: T(2), span: S(0x20), name: 'POST /v1/agents/support', start: '10:10', end: '10:30', attrs: { 'workflow.id': 'wf-retry', 'workflow.name': 'support', 'tenant.id': 'acme' }, status: 2 },
  { trace: T(2), span: S(0x21), parent: S(0x20), name: 'chat model-a', start: '10:20', end: '10:20:04', attrs: llm('model-a', 'acme', 300, 100, { 'workflow.id': 'wf-retry', 'error.type': 'timeout', 'gen_ai.server.time_to_first_token': '0.5' }), status: 2 },
  { trace: T(3), span: S(0x30), name: 'POST /v1/agents/support', start: '10:35', end: '10:45', attrs: { 'workflow.id': 'wf-retry', 'workflow.name': 'support', 'tenant.id': 'acme' }, status: 1 },
  { trace: T(3), span: S(0x31), parent: S(0x30), name: 'chat model-a', start: '10:40', end: '10:40:01', attrs: llm('model-a', 'acme', 150, 50) },
  // W3 summarize: status OK, outcome failure
  { trace: T(4), span: S(0x40), name: 'POST /v1/agents/summarize', start: '11:15', end: '11:30', attrs: { 'workflow.name': 'summarize', 'workflow.outcome': 'failure', 'tenant.id': 'globex' }, status: 1 },
  { trace: T(4), span: S(0x41), parent: S(0x40), name: 'chat model-b', start: '11:20', end: '11:20:02', attrs: llm('model-b', 'globex', 400, 100) },
  // W4 lookup: failed before any model call
  { trace: T(5), span: S(0x50), name: 'lookup', start: '10:10', end: '10:11', attrs: { 'tenant.id': 'globex' }, status: 2 },
  // W5: an LLM span whose root was never exported
  { trace: T(6), span: S(0x61), parent: S(0x60), name: 'chat model-a', start: '10:05', end: '10:05:01', attrs: llm('model-a', 'acme', 40, 10) },
  // W6 translate, wf-late: the attempt that ends last (not the one that starts last) decides
  { trace: T(7), span: S(0x70), name: 'POST /v1/agents/translate', start: '11:30', end: '11:50', attrs: { 'workflow.id': 'wf-late', 'workflow.name': 'translate', 'tenant.id': 'globex' }, status: 2 },
  { trace: T(8), span: S(0x80), name: 'POST /v1/agents/translate', start: '11:35', end: '11:40', attrs: { 'workflow.id': 'wf-late', 'workflow.name': 'translate', 'tenant.id': 'globex' }, status: 1 },
];

const DCGM = [
  '# TYPE DCGM_FI_DEV_GPU_UTIL gauge',
  ...['10:00', '10:01:40', '11:00', '11:01:40'].flatMap((t) =>
    [0, 1].map(
      (g) => `DCGM_FI_DEV_GPU_UTIL{gpu="${g}",UUID="GPU-${g}",modelName="NVIDIA H100 80GB HBM3",Hostname="node-x"} 50 ${at(t).slice(0, -6)}`,
    ),
  ),
  '',
].join('\n');

let store: Store;
let config: Config;

async function load(name: string, content: Buffer): Promise<void> {
  const l = new StagedLoad(store);
  await l.add(decodeFile(name, content, {}));
  await l.commit();
  await l.dispose();
}

beforeAll(async () => {
  config = configSchema.parse({
    gpu_types: { H100: { hourly_usd: 3.6 } },
    deployments: [
      { name: 'dep-a', model: 'model-a', gpus: { nodes: [{ node: 'node-x', gpus: [0] }] } },
      { name: 'dep-b', model: 'model-b', gpus: { nodes: [{ node: 'node-x', gpus: [1] }] } },
    ],
  });
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  await load('spans.json', otlp(SPANS));
  await load('dcgm.prom', Buffer.from(DCGM));
});
afterAll(() => store.close());

const WINDOW = { from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' };

describe('workflow KPIs', () => {
  it('the requests cost what the hand-worked attribution says (Σ 600 000 µ$)', async () => {
    const r = await unitEconomics(store, config, { by: ['deployment'] });
    expect(r.rows.map((x) => [x.deployment, x.requests, x.tokens, x.cost_usd])).toEqual([
      ['dep-a', 4, 800, 0.4],
      ['dep-b', 2, 800, 0.2],
    ]);
  });

  it('over all workflows: cost per successful workflow includes failed and retried work', async () => {
    const r = await workflowKpis(store, config, { by: [] });
    expect(r.window).toEqual(WINDOW);
    // 6 workflows, 3 successful (W1, W2, W5); Σ cost 600 000 µ$ → 0.6 / 3 = 0.2 USD;
    // wasted = W3 + W4 + W6 = 125 000 µ$. Tokens per workflow sorted [0, 0, 50, 450, 500, 600]:
    // p50 = element ⌊0.5 × 6⌋ = #3 = 450, p95 = ⌊0.95 × 6⌋ = #5 = 600; Σ tokens 450 + 600 + 500 + 50 = 1 600.
    expect(r.rows).toEqual([
      {
        workflows: 6, successful_workflows: 3, success_rate: 0.5, workflow_cost_usd: 0.6,
        cost_per_successful_workflow_usd: 0.2, wasted_cost_usd: 0.125,
        tokens_per_workflow_p50: 450, tokens_per_workflow_p95: 600, requests: 6, tokens: 1600,
      },
    ]);
  });

  it('by tenant: null cost per successful workflow when none succeeded', async () => {
    const r = await workflowKpis(store, config, { by: ['tenant'] });
    expect(r.rows).toEqual([
      // acme: W1, W2, W5 all succeed; 150 000 + 300 000 + 25 000 = 475 000 µ$; / 3 = 158 333.3 → 158 333 µ$;
      // tokens [50, 450, 600]: p50 #1 = 450, p95 #2 = 600; requests r1 r2 r3 r4 r6
      {
        tenant: 'acme', workflows: 3, successful_workflows: 3, success_rate: 1, workflow_cost_usd: 0.475,
        cost_per_successful_workflow_usd: 0.158333, wasted_cost_usd: 0,
        tokens_per_workflow_p50: 450, tokens_per_workflow_p95: 600, requests: 5, tokens: 1100,
      },
      // globex: W3, W4, W6 all fail; tokens [0, 0, 500]: p50 #1 = 0, p95 #2 = 500
      {
        tenant: 'globex', workflows: 3, successful_workflows: 0, success_rate: 0, workflow_cost_usd: 0.125,
        cost_per_successful_workflow_usd: null, wasted_cost_usd: 0.125,
        tokens_per_workflow_p50: 0, tokens_per_workflow_p95: 500, requests: 1, tokens: 500,
      },
    ]);
  });

  it('by workflow name, for one tenant', async () => {
    const r = await workflowKpis(store, config, { by: ['workflow'], tenant: 'acme' });
    expect(r.rows.map((x) => [x.workflow, x.workflows, x.successful_workflows, x.workflow_cost_usd, x.cost_per_successful_workflow_usd, x.tokens])).toEqual([
      ['research', 1, 1, 0.15, 0.15, 450],
      ['support', 1, 1, 0.3, 0.3, 600],
      ['unknown', 1, 1, 0.025, 0.025, 50],
    ]);
  });

  it('a window selects workflows by their requests and roots starting in it; only in-window cost counts', async () => {
    // [11:00, 12:00): requests r2 (W1) and r5 (W3); roots starting in it: T4 (W3), T7 and T8 (W6).
    // W1's root started 10:50 but r2 is in the window: W1 counts with r2 only (300 tok, 75 000 µ$).
    // 3 workflows, 1 successful (W1); Σ 75 000 + 125 000 = 200 000 µ$ = Σ request cost of the hour;
    // tokens sorted [0, 300, 500]: p50 #1 = 300, p95 #2 = 500.
    const from = new Date('2026-11-23T11:00:00Z');
    const to = new Date('2026-11-23T12:00:00Z');
    const r = await workflowKpis(store, config, { by: [], from, to });
    expect(r.rows).toEqual([
      {
        workflows: 3, successful_workflows: 1, success_rate: 1 / 3, workflow_cost_usd: 0.2,
        cost_per_successful_workflow_usd: 0.2, wasted_cost_usd: 0.125,
        tokens_per_workflow_p50: 300, tokens_per_workflow_p95: 500, requests: 2, tokens: 800,
      },
    ]);
    const list = await workflowList(store, config, { from, to });
    expect(list.rows.map((x) => [x.workflow, x.requests, x.workflow_cost_usd, x.started_at])).toEqual([
      ['summarize', 1, 0.125, '2026-11-23T11:15:00.000Z'],
      ['research', 1, 0.075, '2026-11-23T10:50:00.000Z'],
      ['translate', 0, 0, '2026-11-23T11:30:00.000Z'],
    ]);
  });
});

describe('workflow list and drill-down', () => {
  it('one row per workflow, most expensive first', async () => {
    const r = await workflowList(store, config, {});
    const row = (
      workflow_id: string, workflow: string, tenant: string, outcome: string, success: boolean, attempts: number, requests: number,
      input_tokens: number, output_tokens: number, errors: number, cost: number, started_at: string, ended_at: string,
    ) => ({
      workflow_id, workflow, tenant, outcome, success, attempts, requests, input_tokens, output_tokens,
      tokens: input_tokens + output_tokens, errors, workflow_cost_usd: cost,
      started_at: `2026-11-23T${started_at}.000Z`, ended_at: `2026-11-23T${ended_at}.000Z`,
    });
    expect(r.rows).toEqual([
      // two attempts (T2 failed, T3 succeeded): starts with T2's root, ends with T3's
      row('wf-retry', 'support', 'acme', 'ok', true, 2, 2, 450, 150, 1, 0.3, '10:10:00', '10:45:00'),
      row(T(1), 'research', 'acme', 'ok', true, 1, 2, 300, 150, 0, 0.15, '10:50:00', '11:10:00'),
      // the outcome attribute wins over the OK status
      row(T(4), 'summarize', 'globex', 'failure', false, 1, 1, 400, 100, 0, 0.125, '11:15:00', '11:30:00'),
      // no root in the store: named unknown, tenant from its request, decided by it
      row(T(6), 'unknown', 'acme', 'ok', true, 1, 1, 40, 10, 0, 0.025, '10:05:00', '10:05:01'),
      // zero-cost ties in workflow_id order: '5555…' < 'wf-late'
      row(T(5), 'lookup', 'globex', 'error', false, 1, 0, 0, 0, 0, 0, '10:10:00', '10:11:00'),
      // T7 (11:30–11:50, ERROR) ends after T8 (11:35–11:40, OK)
      row('wf-late', 'translate', 'globex', 'error', false, 2, 0, 0, 0, 0, 0, '11:30:00', '11:50:00'),
    ]);
    const top = await workflowList(store, config, { limit: 2, tenant: 'acme' });
    expect(top.rows.map((x) => x.workflow_id)).toEqual(['wf-retry', T(1)]);
    const one = await workflowList(store, config, { workflow_id: 'wf-late' });
    expect(one.rows.map((x) => [x.workflow, x.attempts, x.success])).toEqual([['translate', 2, false]]);
  });

  it('the requests of one workflow, across its attempts, with their cost', async () => {
    const r = await workflowRequests(store, config, { workflow_id: 'wf-retry' });
    expect(r.rows).toEqual([
      // r3: 400 tok × 500 µ$ = 0.2 USD; failed attempt, error.type timeout, TTFT 0.5 s
      {
        trace_id: T(2), span_id: S(0x21), ts: '2026-11-23T10:20:00.000Z', tenant: 'acme', model: 'model-a', endpoint: 'chat',
        deployment: 'dep-a', gpu_type: 'H100', input_tokens: 300, output_tokens: 100, tokens: 400, cost_usd: 0.2,
        e2e_ms: 4000, ttft_ms: 500, is_error: true, error_type: 'timeout',
      },
      // r4: 200 tok × 500 µ$ = 0.1 USD; no workflow.id of its own, belongs through its root
      {
        trace_id: T(3), span_id: S(0x31), ts: '2026-11-23T10:40:00.000Z', tenant: 'acme', model: 'model-a', endpoint: 'chat',
        deployment: 'dep-a', gpu_type: 'H100', input_tokens: 150, output_tokens: 50, tokens: 200, cost_usd: 0.1,
        e2e_ms: 1000, ttft_ms: null, is_error: false, error_type: '',
      },
    ]);
    const w1 = await workflowRequests(store, config, { workflow_id: T(1) });
    // two models, two hours: r1 on dep-a at 500 µ$/tok, r2 on dep-b at 250 µ$/tok
    expect(w1.rows.map((x) => [x.model, x.deployment, x.tokens, x.cost_usd])).toEqual([
      ['model-a', 'dep-a', 150, 0.075],
      ['model-b', 'dep-b', 300, 0.075],
    ]);
    expect((await workflowRequests(store, config, { workflow_id: 'no-such-workflow' })).rows).toEqual([]);
  });
});
