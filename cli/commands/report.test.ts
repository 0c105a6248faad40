/**
 * `token-factory report` over request dimensions reads the hourly rollups once they are
 * settled (unitEconomicsAuto), and gives the raw figures: in-process (commander + an
 * embedded store in a temp directory) on the hand-worked factory (test/fixtures/factory,
 * figures of test/integration/factory-kpis.test.ts and api-rollups.test.ts).
 *
 * Per tenant over the data's hours [10:00, 13:00) of 2026-11-23 (the 12:00 DCGM sample
 * opens hour 12; no request falls in it):
 *   acme    a, f, d: 3 requests, 3500 in, 2000 out, 5500 tokens, 895 652 + 2 942 857 + 1 373 333 = 5 211 842 µ$,
 *           e2e [2000, 4000, 3000] → exact p50 (rank ⌊1.5⌋ = 1) 3000, p90–p99 (rank 2) 4000
 *   globex  b (errored), e: 2, 4000, 2000, 6000, 4 896 232 µ$, e2e [6000, 5000] → 6000 at every level
 *   initech c, g: 2, 2000, 1000, 3000, 2 251 926 µ$, e2e [2500, 1000] → 2500
 * From the rollups a latency is the value of its log bucket: x in k = ⌊ln x / ln 1.02⌋
 * reads 2 × 1.02^(k+1) / 2.02 (pipelines/rollups/latency-histogram.ts): 3000 → 3011.2595…,
 * 4000 → 3973.2930…, 6000 → 6022.1865…, 2500 → 2519.6872… (all within 2 % of the exact ones).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { openStore } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { loadFactoryFixture } from '../../test/fixtures/factory/load-fixture.js';
import { settleRollups } from '../../pipelines/rollups/index.js';
import { registerReport } from './report.js';

const fixture = (f: string) => fileURLToPath(new URL(`../../test/fixtures/factory/${f}`, import.meta.url));
let dir: string;
let cfg: string;
let config: Config;

async function withTestStore(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<void>): Promise<void> {
  const store = await openStore(config.store, { command: 'test' });
  try {
    await migrate(store, { views: config.attribution });
    await fn(store);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-report-'));
  cfg = join(dir, 'token-factory.yaml');
  writeFileSync(cfg, `store: { path: ${JSON.stringify(join(dir, 'data'))} }\n${readFileSync(fixture('token-factory.yaml'), 'utf8')}`);
  config = loadConfig({ file: cfg, env: {} }).config;
  await withTestStore(async (store) => {
    await loadFactoryFixture(store);
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `report` in-process; returns what it wrote to stdout. */
async function report(...args: string[]): Promise<{ window: { from: string; to: string }; rows: Record<string, unknown>[] }> {
  const program = new Command('token-factory').exitOverride();
  registerReport(program);
  const out: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown, enc?: unknown, cb?: unknown) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof process.stdout.write);
  try {
    await program.parseAsync(['node', 'token-factory', 'report', ...args, '--format', 'json', '--config', cfg]);
  } finally {
    o.mockRestore();
  }
  return JSON.parse(out.join(''));
}

const bucketRep = (x: number) => (2 * 1.02 ** (Math.floor(Math.log(x) / Math.log(1.02)) + 1)) / 2.02;
const sums = (x: Record<string, unknown>) => [x.tenant, x.requests, x.input_tokens, x.output_tokens, x.tokens, x.errors, x.cost_usd];
const e2e = (x: Record<string, unknown>) => [x.e2e_ms_p50, x.e2e_ms_p90, x.e2e_ms_p95, x.e2e_ms_p99];
const HAND_SUMS = [
  ['acme', 3, 3500, 2000, 5500, 0, 5.211842],
  ['globex', 2, 4000, 2000, 6000, 1, 4.896232],
  ['initech', 2, 2000, 1000, 3000, 0, 2.251926],
];
const WINDOW = { from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T13:00:00.000Z' };

describe('token-factory report --by tenant --format json', () => {
  let raw: Awaited<ReturnType<typeof report>>;

  it('before any settle: from the facts, exact quantiles', async () => {
    raw = await report('--by', 'tenant');
    expect(raw.window).toEqual(WINDOW);
    expect(raw.rows.map(sums)).toEqual(HAND_SUMS);
    expect(raw.rows.map(e2e)).toEqual([
      [3000, 4000, 4000, 4000],
      [6000, 6000, 6000, 6000],
      [2500, 2500, 2500, 2500],
    ]);
  });

  it('after a settle: from the rollups — the same figures, latency of the rollup histograms', async () => {
    await withTestStore(async (store) => {
      // marginS 0: the load's marks count as covered at once (the default 30 s would leave them dirty)
      const r = await settleRollups(store, config, { marginS: 0 });
      expect(r.hours).toBeGreaterThan(0);
    });
    const rolled = await report('--by', 'tenant');
    expect(rolled.window).toEqual(WINDOW);
    expect(rolled.rows.map(sums)).toEqual(HAND_SUMS);
    const close = (xs: number[]) => xs.map((x) => expect.closeTo(bucketRep(x), 6));
    expect(rolled.rows.map(e2e)).toEqual([close([3000, 4000, 4000, 4000]), close([6000, 6000, 6000, 6000]), close([2500, 2500, 2500, 2500])]);
    // every other KPI of the row: the raw one (float shares to 1e-9), quantiles within 2 %
    expect(rolled.rows.map((x) => Object.keys(x))).toEqual(raw.rows.map((x) => Object.keys(x)));
    rolled.rows.forEach((row, i) => {
      for (const [k, v] of Object.entries(raw.rows[i]!)) {
        const got = row[k];
        if (typeof v !== 'number') expect([k, got]).toEqual([k, v]);
        else if (/_p(50|90|95|99)$/.test(k)) expect(Math.abs((got as number) - v), k).toBeLessThanOrEqual(0.02 * Math.abs(v));
        else expect(got, k).toBeCloseTo(v, 9 - Math.ceil(Math.log10(Math.abs(v) + 1)));
      }
    });
  });

  it('a window not made of whole hours still reads the facts: exact quantiles', async () => {
    // from 10:30: acme keeps d (11:02; e2e 3000), globex e (11:30; 5000), initech c (10:40; 2500) and
    // g (10:50; 1000): sorted [1000, 2500], p50 rank ⌊0.5 × 2⌋ = 1 → 2500
    const r = await report('--by', 'tenant', '--from', '2026-11-23T10:30:00Z', '--to', '2026-11-23T12:00:00Z');
    expect(r.rows.map((x) => [x.tenant, x.requests, x.e2e_ms_p50])).toEqual([
      ['acme', 1, 3000],
      ['globex', 1, 5000],
      ['initech', 2, 2500],
    ]);
  });
});
