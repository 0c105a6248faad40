/**
 * `token-factory workflows` and `token-factory export` in-process (commander + an
 * embedded store in a temp directory), on the shipped sample with the example config.
 *
 * The sample's workflows (no workflow.id: each trace is one):
 *   5b8e… "research" (acme): root OK; three 70b requests, 750 tokens, 6 876 + 14 326 + 21 776
 *     = 42 978 µ$ (unit-economics.test.ts) → success.
 *   0af7… (globex): two root spans (two LLM spans without parent): 10:30:00–00.8 OK and
 *     10:30:01–01.4 ERROR; the latest by end time is the ERROR one → failed. 160 tokens, 0 µ$
 *     (llama-8b has no GPU data).
 *   4bf9… (acme): one LLM span that is its own root, OK → success. 45 tokens, 0 µ$.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { openStore } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';
import { registerWorkflows } from './workflows.js';
import { registerExport } from './export.js';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
let dir: string;
let cfg: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-wf-export-'));
  cfg = join(dir, 'token-factory.yaml');
  const example = readFileSync(file('examples/token-factory.yaml'), 'utf8');
  writeFileSync(cfg, example.replace(/^store: .*$/m, `store: { path: ${JSON.stringify(join(dir, 'data'))} }`));
  const store = await openStore({ kind: 'embedded', path: join(dir, 'data') }, { command: 'test' });
  try {
    await migrate(store);
    for (const f of ['examples/sample/gateway-spans.json', 'examples/sample/dcgm-exporter.prom']) {
      const l = new StagedLoad(store);
      await l.add(decodeFile(file(f), readFileSync(file(f)), {}));
      await l.commit();
      await l.dispose();
    }
  } finally {
    await store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one command in-process; returns what it wrote to stdout and stderr. */
async function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command('token-factory').exitOverride();
  registerWorkflows(program);
  registerExport(program);
  const out: string[] = [];
  const err: string[] = [];
  const capture = (into: string[]) => (chunk: unknown, enc?: unknown, cb?: unknown) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') (done as () => void)();
    return true;
  };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  try {
    await program.parseAsync(['node', 'token-factory', ...args, '--config', cfg]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

describe('token-factory workflows', () => {
  it('--by tenant --format json: KPIS.md names, null where no workflow succeeded', async () => {
    const r = JSON.parse((await run('workflows', '--by', 'tenant', '--format', 'json')).stdout);
    expect(r).toEqual({
      window: { from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' },
      rows: [
        // 42 978 µ$ / 2 successful = 21 489; tokens [45, 750]: p50 #1 = 750, p95 #1 = 750
        {
          tenant: 'acme', workflows: 2, successful_workflows: 2, success_rate: 1, workflow_cost_usd: 0.042978,
          cost_per_successful_workflow_usd: 0.021489, wasted_cost_usd: 0, tokens_per_workflow_p50: 750, tokens_per_workflow_p95: 750,
          requests: 4, tokens: 795,
        },
        {
          tenant: 'globex', workflows: 1, successful_workflows: 0, success_rate: 0, workflow_cost_usd: 0,
          cost_per_successful_workflow_usd: null, wasted_cost_usd: 0, tokens_per_workflow_p50: 160, tokens_per_workflow_p95: 160,
          requests: 2, tokens: 160,
        },
      ],
    });
  });

  it('--list --format csv: one row per workflow, the most expensive first', async () => {
    const { stdout } = await run('workflows', '--list', '--format', 'csv');
    expect(stdout.split('\n')).toEqual([
      'workflow_id,workflow,tenant,outcome,success,attempts,requests,tokens,errors,workflow_cost_usd,started_at,ended_at',
      '5b8efff798038103d269b633813fc60c,research,acme,ok,true,1,3,750,0,0.042978,2026-11-23T10:00:00.000Z,2026-11-23T10:00:09.000Z',
      '0af7651916cd43dd8448eb211c80319c,chat meta/llama-3.1-8b-instruct,globex,error,false,1,2,160,1,0,2026-11-23T10:30:00.000Z,2026-11-23T10:30:01.400Z',
      '4bf92f3577b34da6a3ce929d0e0e4736,chat meta/llama-3.1-8b-instruct,acme,ok,true,1,1,45,0,0,2026-11-23T11:01:40.000Z,2026-11-23T11:01:40.500Z',
      '',
    ]);
  });

  it('--id: the workflow and its requests with their cost', async () => {
    const r = JSON.parse((await run('workflows', '--id', '5b8efff798038103d269b633813fc60c', '--format', 'json')).stdout);
    expect(r.workflow).toMatchObject({ workflow: 'research', tenant: 'acme', success: true, requests: 3, workflow_cost_usd: 0.042978 });
    expect(r.rows.map((x: Record<string, unknown>) => [x.span_id, x.tokens, x.cost_usd, x.e2e_ms, x.ttft_ms])).toEqual([
      ['eee19b7ec3c1b171', 120, 0.006876, 1500, 250],
      ['eee19b7ec3c1b172', 250, 0.014326, 3000, 310],
      ['eee19b7ec3c1b173', 380, 0.021776, 3200, 420],
    ]);
    await expect(run('workflows', '--id', 'nope')).rejects.toThrow(/no workflow "nope" in the window/);
    await expect(run('workflows', '--by', 'model')).rejects.toThrow(/--by: /);
  });
});

describe('token-factory export', () => {
  it('writes the file ClickHouse formatted, says how much, and will not overwrite it unforced', async () => {
    const out = join(dir, 'tenant-day.csv');
    const { stderr } = await run('export', '--kind', 'tenant-day', '--output', out);
    const csv = readFileSync(out, 'utf8');
    expect(csv.split('\n')[1]).toBe('"acme","2026-11-23","meta/llama-3.1-70b-instruct",3,600,150,750,0.042978,0.00063,-0.042348');
    expect(stderr).toBe(`wrote ${Buffer.byteLength(csv)} bytes (tenant-day, csv) for [2026-11-23T10:00:00.000Z, 2026-11-23T12:00:00.000Z) to ${out}\n`);
    await expect(run('export', '--kind', 'tenant-day', '--output', out)).rejects.toThrow(/exists: give --force/);
    await run('export', '--kind', 'tenant-day', '--output', out, '--force', '--tenant', 'globex');
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(2);
  });

  it('streams to stdout with --output -', async () => {
    const { stdout } = await run('export', '--kind', 'focus', '--output', '-', '--format', 'jsonl', '--tenant', 'globex');
    const rows = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.SubAccountId, r.SkuMeter, r.ConsumedQuantity, r.BilledCost])).toEqual([
      ['globex', 'Input Tokens', 120, 0.000005],
      ['globex', 'Output Tokens', 40, 0.000002],
    ]);
  });

  it('rejects bad options with the flag', async () => {
    await expect(run('export', '--kind', 'invoices', '--output', join(dir, 'x.csv'))).rejects.toThrow(/--kind: /);
    await expect(run('export', '--kind', 'requests', '--output', join(dir, 'x.xlsx'))).rejects.toThrow(/cannot tell the format/);
    await expect(run('export', '--kind', 'requests', '--output', join(dir, 'x.csv'), '--granularity', 'hour')).rejects.toThrow(/--granularity goes with --kind focus/);
  });
});
