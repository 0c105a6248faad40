/**
 * `token-factory collect` as a process (the built CLI: `npm run build` first; `npm test`
 * does), killed with SIGKILL right after acknowledging: nothing acknowledged is lost and
 * nothing is counted twice after the restart, even when the sender resends what it is
 * unsure of. Meanwhile `report` in another process goes through the collector's API.
 *
 * Sent before the kill: 10 OTLP/protobuf requests × 100 spans (requests 0-9 of the bench
 * generator) and 2 OTLP/JSON requests × 50 spans (requests 10, 11) = 1100 distinct spans.
 * After the restart the sender resends protobuf requests 7-9 and JSON request 11
 * (350 spans it already delivered). Stored in the end: exactly 1100 spans.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../core/store/open-store.js';
import { encodeJson, encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const collectJs = join(root, 'dist/cli/main.js');
let dir: string;
let cfg: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(collectJs)) throw new Error('the CLI is not built: run `npm run build` (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'tf-collect-process-'));
  cfg = join(dir, 'token-factory.yaml');
  writeFileSync(cfg, `store: { path: ${join(dir, 'data')} }\napi: { port: 0 }\n`);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  otlp: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

async function startCollect(): Promise<Running> {
  const child = spawn(process.execPath, [collectJs, 'collect', '--config', cfg, '--otlp-port', '0', '--metrics-port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  for (;;) {
    const otlp = /OTLP\/HTTP\s+(http:\/\/\S+)\/v1\/traces/.exec(out)?.[1];
    if (otlp) return { child, otlp, stdout: () => out, exited };
    if (child.exitCode !== null || Date.now() > until) throw new Error(`collect did not start (exit ${child.exitCode}): ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pb = (i: number) => encodeProtobuf(genAiTraceRequest(i, 100, 1000));
const json = (i: number) => encodeJson(genAiTraceRequest(i, 50, 100));

async function post(otlp: string, body: Uint8Array | string, type: string): Promise<number> {
  const r = await fetch(`${otlp}/v1/traces`, { method: 'POST', body, headers: { 'content-type': type } });
  await r.arrayBuffer();
  return r.status;
}

describe('token-factory collect, killed and restarted', () => {
  it('loses nothing it acknowledged and counts nothing twice', async () => {
    const first = await startCollect();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await post(first.otlp, pb(i), 'application/x-protobuf'));
    for (const i of [10, 11]) statuses.push(await post(first.otlp, json(i), 'application/json'));
    expect(statuses).toEqual(Array(12).fill(200));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    // what was acknowledged and not yet written waits in the spool
    const spooled = readdirSync(join(dir, 'data', 'spool')).filter((n) => /\.(open|seg)$/.test(n));
    expect(spooled.length).toBeGreaterThan(0);

    const second = await startCollect();
    expect(second.stdout()).toMatch(/\(\d+ batches left by the last run, replaying\)/);
    // the sender did not trust its last acknowledgements and sends them again
    for (const i of [7, 8, 9]) expect(await post(second.otlp, pb(i), 'application/x-protobuf')).toBe(200);
    expect(await post(second.otlp, json(11), 'application/json')).toBe(200);
    // bodies are decoded on the intake worker thread (collector.intake_threads, default 1): its verdicts reach the sender
    expect(second.stdout()).toContain('decoder receiver, 1 intake thread(s)');
    expect(await post(second.otlp, Buffer.from('a7f3c01e99b2d46c5a10ffee0b', 'hex'), 'application/x-protobuf')).toBe(400);
    const bad = await fetch(`${second.otlp}/v1/traces`, { method: 'POST', body: '{"resourceSpans": 5}', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^malformed OTLP traces request: /);

    // a report in another process goes through the collector's API while it holds the store
    const report = spawnSync(process.execPath, [join(root, 'bin/token-factory.js'), 'report', '--config', cfg, '--format', 'json'], { cwd: dir, encoding: 'utf8' });
    expect(report.status, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toHaveProperty('rows');

    const stopping = Date.now();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(second.stdout()).toContain('SIGTERM: stopped; everything written');

    const store = await openStore({ kind: 'embedded', path: join(dir, 'data') }, { command: 'test' });
    try {
      const rs = await store.client.query({ query: 'SELECT count() AS n, uniqExact(TraceId, SpanId) AS ids FROM otel_traces', format: 'JSONEachRow' });
      // 10 × 100 + 2 × 50
      expect(await rs.json()).toEqual([{ n: 1100, ids: 1100 }]);
      const req = await store.client.query({ query: 'SELECT count() AS n FROM llm_requests FINAL', format: 'JSONEachRow' });
      expect(await req.json()).toEqual([{ n: 1100 }]);
    } finally {
      await store.close();
    }
  });
});
