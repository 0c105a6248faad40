/**
 * `token-factory serve` keeps the rollups current: it settles every
 * `rollups.settle_interval_s` seconds (the built CLI in a child process on an embedded
 * store in a temp directory, the hand-worked factory of test/fixtures/factory).
 *
 * The factory's facts: requests in hours 10 and 11 of 2026-11-23; DCGM samples every
 * 15 min from 10:00 to 12:00 → GPU facts in hours 10, 11, 12. max_sample_gap_s 900 is
 * over ROLLUP_GPU_EDGE_S (600), so a GPU fact of hour H can change H − ⌈900 / 3600⌉ …
 * H + 1: the first settle computes hours 09 … 13 = 5 hours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/token-factory.js');
const fixture = (f: string) => join(root, 'test/fixtures/factory', f);
let dir: string;
let cfg: string;

function cli(config: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, TOKEN_FACTORY_CONFIG: config } });
}

function json(r: SpawnSyncReturns<string>): { rows: Record<string, unknown>[] } {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('the CLI is not built: run `npm run build` (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'tf-serve-settle-'));
  cfg = join(dir, 'token-factory.yaml');
  writeFileSync(
    cfg,
    `store: { path: ${JSON.stringify(join(dir, 'data'))} }\napi: { port: 0 }\nrollups: { settle_interval_s: 1 }\n${readFileSync(fixture('token-factory.yaml'), 'utf8')}`,
  );
  json(cli(cfg, 'ingest', '--format', 'json', fixture('gateway-spans.json'), fixture('dcgm-exporter.prom')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rollups.settle_interval_s', () => {
  it('is a positive integer: other values name the key', () => {
    for (const [value, reason] of [
      ['0', 'Too small: expected number to be >0, got 0'],
      ['1.5', 'expected int, got 1.5'],
    ] as const) {
      const bad = join(dir, `bad-${value}.yaml`);
      writeFileSync(bad, `rollups: { settle_interval_s: ${value} }\n`);
      const r = cli(bad, 'status');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`error: invalid config ${bad}:\n  rollups.settle_interval_s: ${reason}\n`);
    }
  });

  it('serve settles the rollups while it runs, and exits cleanly on SIGTERM', async () => {
    expect(json(cli(cfg, 'rollups', 'status', '--format', 'json')).rows[0]).toMatchObject({ settled_hours: 0 });
    const server = spawn(process.execPath, [bin, 'serve'], { cwd: dir, env: { ...process.env, TOKEN_FACTORY_CONFIG: cfg }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => server.once('exit', r));
    try {
      await new Promise<void>((res, rej) => {
        server.stdout!.on('data', (d: Buffer) => /API on http/.test(d.toString()) && res());
        server.once('exit', (c) => rej(new Error(`serve exited ${c}: ${stderr}`)));
      });
      // a few intervals: the first settle starts at once, the next ones every second
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const status = json(cli(cfg, 'rollups', 'status', '--format', 'json')).rows[0]!;
    // hours 09 … 13, all settled by serve under the config in force
    expect(status).toMatchObject({ settled_hours: 5, stale_config_hours: 0, first_hour: '2026-11-23T09:00:00.000Z', last_hour: '2026-11-23T13:00:00.000Z' });
    expect(status.last_settled_at).not.toBeNull();
  });
});
