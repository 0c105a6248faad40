/**
 * The `token-factory` command end to end, as a user runs it: the built CLI in child
 * processes on an embedded store in a temp directory, on the sample shipped in
 * examples/sample/. Expected figures are worked out by hand from that sample:
 *
 *   trace 5b8e… (tenant acme, model 70b): 3 LLM spans  100/20, 200/50, 300/80 tokens in/out,
 *       plus the root HTTP span (no token counts: not a request) and a repeat of the
 *       first LLM span (same trace id + span id: counted once)
 *   trace 0af7… (tenant globex, model 8b): 50/10, and 70/30 with status ERROR
 *   trace 4bf9… (tenant acme, model 8b): 40/5, in the older prompt/completion attributes
 *   → acme/70b: 3 requests, 600 in, 150 out, 750 tokens, 0 errors
 *     acme/8b:  1 request,   40 in,   5 out,  45 tokens, 0 errors
 *     globex/8b: 2 requests, 120 in,  40 out, 160 tokens, 1 error
 *   spans start 2026-11-23T10:00:00Z … 11:01:40Z → window [10:00, 12:00)
 *   dcgm-exporter.prom: 2 GPUs × 2 scrapes × 3 gauges = 12 gauge points; the energy
 *   counter is a sum: 2 × 2 = 4 points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/token-factory.js');
const sample = (f: string) => join(root, 'examples/sample', f);
let dir: string;
let cfg: string;

function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, TOKEN_FACTORY_CONFIG: cfg } });
}

function json(r: SpawnSyncReturns<string>): { window?: { from: string; to: string }; rows: Record<string, unknown>[] } {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('the CLI is not built: run `npm run build` (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'tf-cli-'));
  cfg = join(dir, 'token-factory.yaml');
  writeFileSync(
    cfg,
    `store: { path: ${join(dir, 'data')} }\n` +
      'api: { port: 0, keys: [{ key: admin-key-0123456789 }, { key: globex-key-0123456789, tenant: globex }] }\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('token-factory ingest + report', () => {
  it('loads the sample and says what it wrote per table', () => {
    const out = json(cli('ingest', '--format', 'json', sample('gateway-spans.json'), sample('dcgm-exporter.prom')));
    expect(out.rows).toEqual([
      { file: sample('gateway-spans.json'), table: 'otel_traces', rows_read: 8, rows_written: 7, duplicates: 1, error: null },
      { file: sample('dcgm-exporter.prom'), table: 'otel_metrics_gauge', rows_read: 12, rows_written: 12, duplicates: 0, error: null },
      { file: sample('dcgm-exporter.prom'), table: 'otel_metrics_sum', rows_read: 4, rows_written: 4, duplicates: 0, error: null },
    ]);
  });

  it('loading the same files again writes nothing', () => {
    const out = json(cli('ingest', '--format', 'json', sample('gateway-spans.json'), sample('dcgm-exporter.prom')));
    expect(out.rows.map((r) => [r.table, r.rows_written, r.duplicates])).toEqual([
      ['otel_traces', 0, 8],
      ['otel_metrics_gauge', 0, 12],
      ['otel_metrics_sum', 0, 4],
    ]);
    const status = json(cli('status', '--format', 'json'));
    expect(status.rows).toEqual([
      { table: 'otel_traces', rows: 7, first: '2026-11-23T10:00:00Z', last: '2026-11-23T11:01:40Z' },
      { table: 'otel_metrics_gauge', rows: 12, first: '2026-11-23T10:00:00Z', last: '2026-11-23T10:00:15Z' },
      { table: 'otel_metrics_sum', rows: 4, first: '2026-11-23T10:00:00Z', last: '2026-11-23T10:00:15Z' },
      { table: 'otel_metrics_histogram', rows: 0, first: null, last: null },
      { table: 'otel_metrics_exponential_histogram', rows: 0, first: null, last: null },
      { table: 'otel_metrics_summary', rows: 0, first: null, last: null },
    ]);
  });

  it('reports token usage by tenant and model, KPIS.md shape', () => {
    const out = json(cli('report', '--by', 'tenant,model', '--format', 'json'));
    expect(out.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
    const tokens = (r: Record<string, unknown>) => ({ tenant: r.tenant, model: r.model, requests: r.requests, input_tokens: r.input_tokens, output_tokens: r.output_tokens, tokens: r.tokens, errors: r.errors });
    expect(out.rows.map(tokens)).toEqual([
      { tenant: 'acme', model: 'meta/llama-3.1-70b-instruct', requests: 3, input_tokens: 600, output_tokens: 150, tokens: 750, errors: 0 },
      { tenant: 'acme', model: 'meta/llama-3.1-8b-instruct', requests: 1, input_tokens: 40, output_tokens: 5, tokens: 45, errors: 0 },
      { tenant: 'globex', model: 'meta/llama-3.1-8b-instruct', requests: 2, input_tokens: 120, output_tokens: 40, tokens: 160, errors: 1 },
    ]);
    // no config: no deployments and no prices, so no GPU is assigned and no cost is attributed
    expect(out.rows.map((r) => [r.cost_usd, r.gpu_hours, r.tokens_per_gpu_hour])).toEqual([
      [0, 0, null],
      [0, 0, null],
      [0, 0, null],
    ]);
  });

  it('a window and an hour grouping select and split the requests', () => {
    const out = json(cli('report', '--by', 'hour', '--from', '2026-11-23T10:00:00Z', '--to', '2026-11-23T11:00:00Z', '--format', 'json'));
    expect(out.rows).toHaveLength(1);
    expect(out.rows[0]).toMatchObject({ hour: '2026-11-23T10:00:00Z', requests: 5, input_tokens: 720, output_tokens: 190, tokens: 910, errors: 1 });
  });

  it('GPU dimensions give a GPU report: 2 GPUs × 30 s covered', () => {
    const out = json(cli('report', '--by', 'node', '--format', 'json'));
    expect(out.rows).toEqual([expect.objectContaining({ node: 'node-a', gpus: 2, gpu_hours: expect.closeTo(60 / 3600, 12) })]);
  });

  it('csv has the KPI names as headers; the table is readable', () => {
    const csv = cli('report', '--by', 'model', '--format', 'csv').stdout.split('\n');
    expect(csv[0]).toMatch(/^model,requests,input_tokens,output_tokens,tokens,errors,wasted_tokens,error_rate,cost_usd,/);
    expect(csv[1]).toMatch(/^meta\/llama-3\.1-70b-instruct,3,600,150,750,0,0,0,0,/);
    expect(csv[2]).toMatch(/^meta\/llama-3\.1-8b-instruct,3,160,45,205,1,100,0\.3333333333333333,0,/);
    const table = cli('report', '--by', 'model').stdout;
    expect(table).toContain('window [2026-11-23T10:00:00.000Z, 2026-11-23T12:00:00.000Z)');
    expect(table).toMatch(/meta\/llama-3\.1-70b-instruct\s*│\s*3\s*│\s*750\s*│\s*0\s*│/);
  });

  it('a malformed file is named with the fault position, writes nothing, and the other files still load', () => {
    const bad = join(dir, 'broken.prom');
    writeFileSync(bad, '# TYPE x gauge\nx{gpu="0"} 1 1795428000000\nx{gpu="1" 2 1795428000000\n');
    const good = join(dir, 'good.prom');
    writeFileSync(good, '# TYPE y gauge\ny{gpu="0"} 5 1795428000000\n');
    const r = cli('ingest', '--format', 'json', bad, good);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line 3, column \\d+: .+\\n$`));
    const rows = JSON.parse(r.stdout).rows;
    expect(rows).toEqual([
      { file: bad, table: null, rows_read: 0, rows_written: 0, duplicates: 0, error: expect.stringMatching(/^line 3, column \d+: /) },
      { file: good, table: 'otel_metrics_gauge', rows_read: 1, rows_written: 1, duplicates: 0, error: null },
    ]);
    const status = json(cli('status', '--format', 'json'));
    expect(status.rows[1]).toMatchObject({ table: 'otel_metrics_gauge', rows: 13 }); // 12 + y; nothing of x
  });

  it('a bad config names the field', () => {
    const badCfg = join(dir, 'bad.yaml');
    writeFileSync(badCfg, 'gpu_types:\n  H100: { hourly_usd: abc }\n');
    const r = cli('status', '--config', badCfg);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`error: invalid config ${badCfg}:\n  gpu_types.H100.hourly_usd: expected number, got "abc"\n`);
  });

  it('while `serve` holds the store, report goes through its API; keys scope tenants', async () => {
    const server = spawn(process.execPath, [bin, 'serve'], { cwd: dir, env: { ...process.env, TOKEN_FACTORY_CONFIG: cfg }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((res, rej) => {
        server.stdout!.on('data', (d: Buffer) => {
          const m = /API on (http:\/\/\S+)/.exec(d.toString());
          if (m) res(m[1]!);
        });
        server.on('exit', (c) => rej(new Error(`serve exited ${c}`)));
      });
      const viaApi = json(cli('report', '--by', 'tenant,model', '--format', 'json'));
      expect(viaApi.rows).toHaveLength(3);
      expect(viaApi.rows[2]).toMatchObject({ tenant: 'globex', model: 'meta/llama-3.1-8b-instruct', requests: 2, input_tokens: 120, output_tokens: 40, tokens: 160, errors: 1 });

      const get = (path: string, key?: string) => fetch(url + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
      expect((await get('/api/v1/unit-economics?by=tenant')).status).toBe(401);
      const scoped = (await (await get('/api/v1/unit-economics?by=tenant', 'globex-key-0123456789')).json()) as { rows: unknown[] };
      expect(scoped.rows).toEqual([expect.objectContaining({ tenant: 'globex', requests: 2, input_tokens: 120, output_tokens: 40, tokens: 160, errors: 1 })]);
      const admin = (await (await get('/api/v1/unit-economics?by=tenant', 'admin-key-0123456789')).json()) as { rows: { tenant: string }[] };
      expect(admin.rows.map((r) => r.tenant)).toEqual(['acme', 'globex']);
      const bad = await get('/api/v1/unit-economics?by=colour', 'admin-key-0123456789');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^by\.0: Invalid option: expected one of "tenant"\|"model"/);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });

  it('a second process gets one line naming the holder of the store', async () => {
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `
        const { openStore } = await import(${JSON.stringify(join(root, 'dist/core/store/open-store.js'))});
        const s = await openStore({ kind: 'embedded', path: ${JSON.stringify(join(dir, 'data'))} }, { command: 'collect' });
        console.log('ready');
        setTimeout(() => s.close().then(() => process.exit(0)), 20000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((res, rej) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && res());
        holder.on('exit', (c) => rej(new Error(`holder exited ${c}`)));
      });
      const r = cli('status');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error: the store ${join(dir, 'data').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is in use by token-factory collect \\(pid ${holder.pid}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\n$`));
    } finally {
      holder.kill('SIGKILL');
    }
    // the holder died without cleaning up: its record is stale and the store opens again
    await new Promise((r) => holder.once('exit', r));
    expect(cli('status').status).toBe(0);
  });
});
