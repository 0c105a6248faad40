/**
 * The dashboards' SQL on real ClickHouse (embedded), as the ClickHouse data source sends
 * it (grafana-macros.ts): every query runs on the migrated schema, and the main panels
 * give the figures worked out by hand for the shipped sample with
 * examples/token-factory.yaml (see test/integration/unit-economics.test.ts for the
 * attribution of that sample), after settling the hourly rollups.
 *
 * Sample (2026-11-23, UTC): 10:00 acme, llama-70b: 3 requests of 100+20, 200+50,
 * 300+80 tokens, TTFT 250, 310, 420 ms, durations 1.5 s, 3 s, 3.2 s; 10:30 globex,
 * llama-8b: 50+10 tokens OK (TTFT 50 ms) and 70+30 errored (TTFT 60 ms); 11:01 acme,
 * llama-8b: 40+5 tokens. GPU cost of llama-70b in hour 10: 42 978 µ$ (2 H100 GPUs);
 * llama-8b has no GPU data.
 * Prices (per M tokens): 70b 0.6 in / 1.8 out, 8b 0.1 / 0.2; errors not billed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { loadConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';
import { settleRollups } from '../../pipelines/rollups/settle.js';
import { allTargets, type Target } from './targets.js';
import { expandMacros, type MacroContext } from './grafana-macros.js';
import { repoFile } from './metric-names.js';

let store: Store;
let config: Config;

/** The sample's two hours, as Grafana sends a range (end inclusive); hourly intervals. */
const RANGE: MacroContext = { from: new Date('2026-11-23T10:00:00Z'), to: new Date('2026-11-23T11:59:59Z'), intervalS: 3600, vars: {} };
const M70 = 'meta/llama-3.1-70b-instruct';
const M8 = 'meta/llama-3.1-8b-instruct';

beforeAll(async () => {
  config = loadConfig({ file: repoFile('examples/token-factory.yaml'), env: {} }).config;
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  for (const f of ['examples/sample/gateway-spans.json', 'examples/sample/dcgm-exporter.prom']) {
    const l = new StagedLoad(store);
    await l.add(decodeFile(repoFile(f), readFileSync(repoFile(f)), {}));
    await l.commit();
    await l.dispose();
  }
  await settleRollups(store, config, { full: true, marginS: 0 });
});
afterAll(() => store.close());

const targets = allTargets().filter((t) => t.rawSql !== undefined);

async function run(t: Target, ctx: MacroContext = RANGE): Promise<Record<string, unknown>[]> {
  const rs = await store.client.query({ query: expandMacros(t.rawSql!, ctx), format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return rs.json<Record<string, unknown>>();
}

function target(dashboard: string, panel: string): Target {
  const found = targets.filter((t) => t.dashboard === dashboard && t.panel === panel);
  if (found.length !== 1) throw new Error(`${dashboard}: ${panel}: ${found.length} SQL targets`);
  return found[0]!;
}

const at = (iso: string) => iso.replace('T', ' ').replace('Z', '');

describe('every SQL query runs on the schema', () => {
  it.each(targets.map((t) => [`${t.dashboard}: ${t.panel}`, t] as const))('%s', async (_name, t) => {
    await run(t);
    // a single model selected instead of All
    await run(t, { ...RANGE, vars: { model: [M70], tenant: ['acme'] } });
  });
});

describe('SRE figures on the sample', () => {
  it('TTFT p50–p99 per model and hour: exact quantiles of the spans', async () => {
    const rows = await run(target('sre', 'TTFT p50–p99'));
    // quantileExact(q) takes the element at floor(q × n) of the sorted values:
    // 70b hour 10 [250, 310, 420]: p50 → index 1 = 310; p90, p95, p99 → index 2 = 420.
    // 8b hour 10 [50, 60]: p50 → index 1 = 60; 8b hour 11 [40].
    expect(rows.map((r) => [r.time, r.model, r.ttft_ms_p50, r.ttft_ms_p99])).toEqual([
      [at('2026-11-23T10:00:00Z'), M70, expect.closeTo(310, 9), expect.closeTo(420, 9)],
      [at('2026-11-23T10:00:00Z'), M8, expect.closeTo(60, 9), expect.closeTo(60, 9)],
      [at('2026-11-23T11:00:00Z'), M8, expect.closeTo(40, 9), expect.closeTo(40, 9)],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });

  it('error rate and wasted tokens per model and hour', async () => {
    const errors = await run(target('sre', 'Error rate'));
    const key = (r: Record<string, unknown>) => `${String(r.time)} ${String(r.model)}`;
    // 8b hour 10: 1 error of 2 requests; the errored one had 70 + 30 = 100 tokens
    expect(Object.fromEntries(errors.map((r) => [key(r), r.error_rate]))).toEqual({
      [`${at('2026-11-23T10:00:00Z')} ${M70}`]: 0,
      [`${at('2026-11-23T10:00:00Z')} ${M8}`]: 0.5,
      [`${at('2026-11-23T11:00:00Z')} ${M8}`]: 0,
    });
    const wasted = await run(target('sre', 'Wasted tokens'));
    expect(Object.fromEntries(wasted.map((r) => [key(r), r.wasted_tokens]))).toEqual({
      [`${at('2026-11-23T10:00:00Z')} ${M70}`]: 0,
      [`${at('2026-11-23T10:00:00Z')} ${M8}`]: 100,
      [`${at('2026-11-23T11:00:00Z')} ${M8}`]: 0,
    });
  });

  it('the model filter keeps only the selected model', async () => {
    const rows = await run(target('sre', 'End-to-end p50–p99'), { ...RANGE, vars: { model: [M70] } });
    // durations 1500, 3000, 3200 ms: p50 → index 1 = 3000
    expect(rows.map((r) => [r.model, r.e2e_ms_p50])).toEqual([[M70, expect.closeTo(3000, 6)]]);
  });

  it('the model variable lists the models of the range', async () => {
    expect(await run(target('sre', 'variable model'))).toEqual([{ model: M70 }, { model: M8 }]);
  });
});

describe('Finance figures on the sample (from the settled rollups)', () => {
  it('revenue, attributed cost and gross margin over the range', async () => {
    // revenue per request, µ$ = tokens × USD per M: 70b 100×0.6+20×1.8 = 96, 200×0.6+50×1.8 = 210,
    // 300×0.6+80×1.8 = 324; 8b 50×0.1+10×0.2 = 7, the errored one 0, 40×0.1+5×0.2 = 5 → 642 µ$
    expect(await run(target('finance', 'Revenue'))).toEqual([{ revenue_usd: 0.000642 }]);
    expect(await run(target('finance', 'Attributed cost'))).toEqual([{ cost_usd: 0.042978 }]);
    // (642 − 42 978) / 642 = −42 336 / 642
    const [margin] = await run(target('finance', 'Gross margin'));
    expect(margin!.gross_margin).toBeCloseTo(-42336 / 642, 9);
    expect(await run(target('finance', 'Idle + unassigned cost'))).toEqual([{ unspread_cost_usd: 0 }]);
  });

  it('revenue and margin per tenant', async () => {
    const rows = await run(target('finance', 'Revenue and margin per tenant'));
    // acme: 70b 630 µ$ + 8b 5 µ$ = 635 µ$ revenue, 42 978 µ$ cost → margin −42 343 µ$;
    // globex: 7 µ$ revenue (the errored request is not billed), cost 0 (no GPU data for 8b).
    expect(rows).toEqual([
      { tenant: 'acme', requests: 4, tokens: 795, revenue_usd: 0.000635, cost_usd: 0.042978, margin_usd: -0.042343, gross_margin: expect.closeTo(-42343 / 635, 9) },
      { tenant: 'globex', requests: 2, tokens: 160, revenue_usd: 0.000007, cost_usd: 0, margin_usd: 0.000007, gross_margin: 1 },
    ]);
  });

  it('cost per million tokens per model and hour', async () => {
    const rows = await run(target('finance', 'Cost per million tokens by model'));
    // 70b hour 10: 42 978 µ$ / 750 tokens = 57.304 USD per M; 8b: no GPU cost → 0
    expect(rows.map((r) => [r.time, r.model, r.cost_per_mtok_usd])).toEqual([
      [at('2026-11-23T10:00:00Z'), M70, expect.closeTo(57.304, 9)],
      [at('2026-11-23T10:00:00Z'), M8, 0],
      [at('2026-11-23T11:00:00Z'), M8, 0],
    ]);
  });

  it('the tenant filter narrows the money panels', async () => {
    expect(await run(target('finance', 'Revenue'), { ...RANGE, vars: { tenant: ['globex'] } })).toEqual([{ revenue_usd: 0.000007 }]);
  });
});

describe('Capacity figures on the sample', () => {
  it('tokens per GPU-hour by GPU type', async () => {
    const rows = await run(target('capacity', 'Tokens per GPU-hour by GPU type'));
    // H100 hour 10: 750 tokens / (2 GPUs × 30 s = 1/60 GPU-hour) = 45 000; 8b has no GPUs: null
    expect(rows.map((r) => [r.time, r.gpu_type, r.tokens_per_gpu_hour])).toEqual([
      [at('2026-11-23T10:00:00Z'), 'H100', expect.closeTo(45000, 6)],
      [at('2026-11-23T10:00:00Z'), 'unassigned', null],
      [at('2026-11-23T11:00:00Z'), 'unassigned', null],
    ]);
  });

  it('token-active utilization against the measured peak hour', async () => {
    const rows = await run(target('capacity', 'Token-active utilization by GPU type'));
    // one H100 hour: it is its own 95th percentile → utilization 1, headroom 0
    const h100 = rows.filter((r) => r.gpu_type === 'H100');
    expect(h100.map((r) => [r.token_active_utilization, r.headroom])).toEqual([[1, 0]]);
  });

  it('tokens per hour and the demand trend', async () => {
    const rows = await run(target('capacity', 'Tokens per hour by model'));
    // 8b: 160 tokens in hour 10, 45 in hour 11 → moving average (160 + 45) / 2 = 102.5
    expect(rows.filter((r) => r.model === M8).map((r) => [r.time, r.tokens, r.tokens_24h_avg])).toEqual([
      [at('2026-11-23T10:00:00Z'), 160, 160],
      [at('2026-11-23T11:00:00Z'), 45, 102.5],
    ]);
  });
});
