/**
 * Finance exports on the shipped sample with examples/token-factory.yaml, written by
 * ClickHouse to files and read back.
 *
 * Cost (worked out in unit-economics.test.ts): llama-70b, hour 10 costs 42 978 µ$, spread
 * over acme's three 70b requests by tokens 120 / 250 / 380 → 6 876, 14 326, 21 776 µ$
 * (input share 34 382, output 8 596). The 8b requests have no GPU data: cost 0,
 * gpu_type unassigned.
 * Revenue (price book, µ$ = tokens × USD per M tokens, rounded half up per request):
 *   70b (0.6 in / 1.8 out): 100×0.6 + 20×1.8 = 96; 200×0.6 + 50×1.8 = 210; 300×0.6 + 80×1.8 = 324
 *   8b (0.1 / 0.2): globex 50×0.1 + 10×0.2 = 7; globex's errored request is not billed: 0;
 *   acme 40×0.1 + 5×0.2 = 5.  Σ revenue = 642 µ$.
 * Every request belongs to its trace's workflow (no workflow.id in the sample), so
 * workflow_id = trace id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { loadConfig } from '../../core/config/load.js';
import type { Config } from '../../core/config/schema.js';
import { StagedLoad } from '../../collectors/writer/staged-load.js';
import { decodeFile } from '../../collectors/ingest/ingest-files.js';
import { formatFromPath, writeExport, type ExportQuery } from '../../pipelines/exports/index.js';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
let store: Store;
let config: Config;
let dir: string;

beforeAll(async () => {
  config = loadConfig({ file: file('examples/token-factory.yaml'), env: {} }).config;
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  for (const f of ['examples/sample/gateway-spans.json', 'examples/sample/dcgm-exporter.prom']) {
    const l = new StagedLoad(store);
    await l.add(decodeFile(file(f), readFileSync(file(f)), {}));
    await l.commit();
    await l.dispose();
  }
  dir = mkdtempSync(join(tmpdir(), 'tf-exports-'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function write(name: string, q: Omit<ExportQuery, 'format'>, force = false, cfg: Config = config): Promise<string> {
  const path = join(dir, name);
  const r = await writeExport(store, cfg, { ...q, format: formatFromPath(path)! }, path, { force });
  expect(r.window).toEqual({ from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T12:00:00.000Z' });
  expect(r.bytes).toBe(readFileSync(path).length);
  return path;
}

/** ClickHouse reads a file it wrote and prints it as CSV, with the export's text settings. */
async function readBack(path: string, format: 'Parquet' | 'JSONEachRow', select = '*'): Promise<string> {
  const { stream } = await store.client.exec({
    query: `SELECT ${select} FROM file({path:String}, ${format}) FORMAT CSVWithNames`,
    query_params: { path },
    clickhouse_settings: { date_time_output_format: 'iso', format_csv_null_representation: '', output_format_decimal_trailing_zeros: 0 },
  });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function describeFile(path: string): Promise<Record<string, string>> {
  const rs = await store.client.query({ query: 'DESCRIBE file({path:String}, Parquet)', query_params: { path }, format: 'JSONEachRow' });
  return Object.fromEntries((await rs.json<{ name: string; type: string }>()).map((c) => [c.name, c.type]));
}

const REQUESTS_CSV = [
  '"trace_id","span_id","ts","tenant","model","endpoint","deployment","gpu_type","input_tokens","output_tokens","tokens","cost_usd","revenue_usd","margin_usd","is_error","workflow_id"',
  // margin = revenue − cost: 96 − 6 876 = −6 780 µ$; 210 − 14 326 = −14 116; 324 − 21 776 = −21 452
  '"5b8efff798038103d269b633813fc60c","eee19b7ec3c1b171","2026-11-23T10:00:00.100Z","acme","meta/llama-3.1-70b-instruct","chat","llama-70b","H100",100,20,120,0.006876,0.000096,-0.00678,false,"5b8efff798038103d269b633813fc60c"',
  '"5b8efff798038103d269b633813fc60c","eee19b7ec3c1b172","2026-11-23T10:00:02.000Z","acme","meta/llama-3.1-70b-instruct","chat","llama-70b","H100",200,50,250,0.014326,0.00021,-0.014116,false,"5b8efff798038103d269b633813fc60c"',
  '"5b8efff798038103d269b633813fc60c","eee19b7ec3c1b173","2026-11-23T10:00:05.500Z","acme","meta/llama-3.1-70b-instruct","chat","llama-70b","H100",300,80,380,0.021776,0.000324,-0.021452,false,"5b8efff798038103d269b633813fc60c"',
  '"0af7651916cd43dd8448eb211c80319c","b7ad6b7169203331","2026-11-23T10:30:00.000Z","globex","meta/llama-3.1-8b-instruct","chat","llama-8b","unassigned",50,10,60,0,0.000007,0.000007,false,"0af7651916cd43dd8448eb211c80319c"',
  '"0af7651916cd43dd8448eb211c80319c","b7ad6b7169203332","2026-11-23T10:30:01.000Z","globex","meta/llama-3.1-8b-instruct","chat","llama-8b","unassigned",70,30,100,0,0,0,true,"0af7651916cd43dd8448eb211c80319c"',
  '"4bf92f3577b34da6a3ce929d0e0e4736","00f067aa0ba902b7","2026-11-23T11:01:40.000Z","acme","meta/llama-3.1-8b-instruct","chat","llama-8b","unassigned",40,5,45,0,0.000005,0.000005,false,"4bf92f3577b34da6a3ce929d0e0e4736"',
  '',
].join('\n');

const TENANT_DAY_CSV = [
  '"tenant","day","model","requests","input_tokens","output_tokens","tokens","cost_usd","revenue_usd","margin_usd"',
  // 96 + 210 + 324 = 630 µ$ revenue, 42 978 cost → margin −42 348
  '"acme","2026-11-23","meta/llama-3.1-70b-instruct",3,600,150,750,0.042978,0.00063,-0.042348',
  '"acme","2026-11-23","meta/llama-3.1-8b-instruct",1,40,5,45,0,0.000005,0.000005',
  // 7 + 0 (errored, not billed)
  '"globex","2026-11-23","meta/llama-3.1-8b-instruct",2,120,40,160,0,0.000007,0.000007',
  '',
].join('\n');

describe('per-request and per-tenant-day exports', () => {
  it('requests as CSV: exact money, ISO times, the workflow key', async () => {
    const path = await write('requests.csv', { kind: 'requests' });
    expect(readFileSync(path, 'utf8')).toBe(REQUESTS_CSV);
  });

  it('requests as Parquet: typed columns, the same content as the CSV', async () => {
    const path = await write('requests.parquet', { kind: 'requests' });
    expect(readFileSync(path).subarray(0, 4).toString()).toBe('PAR1');
    expect(await readBack(path, 'Parquet')).toBe(REQUESTS_CSV);
    const types = await describeFile(path);
    expect([types.ts, types.cost_usd, types.revenue_usd, types.is_error, types.input_tokens]).toEqual([
      "DateTime64(3, 'UTC')", 'Decimal(38, 6)', 'Decimal(38, 6)', 'Bool', 'UInt64',
    ]);
  });

  it('requests as JSON lines, for one tenant', async () => {
    const path = await write('globex.jsonl', { kind: 'requests', tenant: 'globex' });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.span_id, l.tokens, l.cost_usd, l.revenue_usd, l.is_error])).toEqual([
      ['b7ad6b7169203331', 60, 0, 0.000007, false],
      ['b7ad6b7169203332', 100, 0, 0, true],
    ]);
  });

  it('tenant-day as CSV and Parquet', async () => {
    const csv = await write('tenant-day.csv', { kind: 'tenant-day' });
    expect(readFileSync(csv, 'utf8')).toBe(TENANT_DAY_CSV);
    const parquet = await write('tenant-day.parquet', { kind: 'tenant-day' });
    expect(await readBack(parquet, 'Parquet')).toBe(TENANT_DAY_CSV);
  });

  it('refuses to replace a file unless forced; a forced export replaces it whole', async () => {
    const path = join(dir, 'existing.csv');
    writeFileSync(path, 'keep me');
    await expect(writeExport(store, config, { kind: 'tenant-day', format: 'csv' }, path)).rejects.toThrow(/existing\.csv exists: give --force/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    await write('existing.csv', { kind: 'tenant-day' }, true);
    expect(readFileSync(path, 'utf8')).toBe(TENANT_DAY_CSV);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });
});

describe('FOCUS export', () => {
  it('one row per day × tenant × deployment × model × token type, billed at the price book', async () => {
    const path = await write('focus.jsonl', { kind: 'focus', provider: 'Acme AI Factory' });
    const rows = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // the charge period is the day clipped to the window [10:00, 12:00)
    const common = {
      BillingCurrency: 'USD', BillingPeriodStart: '2026-11-01T00:00:00Z', BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargePeriodStart: '2026-11-23T10:00:00Z', ChargePeriodEnd: '2026-11-23T12:00:00Z', ChargeCategory: 'Usage', ChargeClass: null,
      ChargeFrequency: 'Usage-Based', ConsumedUnit: 'Tokens', PricingCategory: 'Standard', PricingUnit: '1000000 Tokens',
      ServiceCategory: 'AI and Machine Learning', ServiceSubcategory: 'Generative AI', ServiceName: 'LLM Inference',
      ServiceProviderName: 'Acme AI Factory', HostProviderName: 'Acme AI Factory', InvoiceIssuerName: 'Acme AI Factory',
      ResourceType: 'Model Deployment',
    };
    for (const r of rows) expect(r).toMatchObject(common);
    expect(Object.keys(rows[0]!)).toEqual([
      'BilledCost', 'BillingAccountId', 'BillingAccountName', 'BillingCurrency', 'BillingPeriodEnd', 'BillingPeriodStart',
      'ChargeCategory', 'ChargeClass', 'ChargeDescription', 'ChargeFrequency', 'ChargePeriodEnd', 'ChargePeriodStart',
      'ConsumedQuantity', 'ConsumedUnit', 'ContractedCost', 'ContractedUnitPrice', 'EffectiveCost', 'HostProviderName',
      'InvoiceIssuerName', 'ListCost', 'ListUnitPrice', 'PricingCategory', 'PricingQuantity', 'PricingUnit', 'ResourceId',
      'ResourceName', 'ResourceType', 'ServiceCategory', 'ServiceName', 'ServiceProviderName', 'ServiceSubcategory', 'SkuId',
      'SkuMeter', 'SubAccountId', 'SubAccountName', 'x_ProductionCost', 'x_Margin',
    ]);
    const pick = (r: Record<string, unknown>) => [
      r.SubAccountId, r.ResourceId, r.SkuId, r.SkuMeter, r.ConsumedQuantity, r.PricingQuantity, r.ListUnitPrice, r.ContractedUnitPrice,
      r.ListCost, r.ContractedCost, r.BilledCost, r.EffectiveCost, r.x_ProductionCost, r.x_Margin,
    ];
    expect(rows.map(pick)).toEqual([
      // acme 70b: 600 input tokens × 0.6 = 360 µ$; 150 output × 1.8 = 270 µ$ (revenue 630 = 360 + 270).
      // production cost: output share round(8 595.62) = 8 596, input the rest 42 978 − 8 596 = 34 382.
      ['acme', 'llama-70b', 'meta/llama-3.1-70b-instruct:input', 'Input Tokens', 600, 0.0006, 0.6, 0.6, 0.00036, 0.00036, 0.00036, 0.00036, 0.034382, -0.034022],
      ['acme', 'llama-70b', 'meta/llama-3.1-70b-instruct:output', 'Output Tokens', 150, 0.00015, 1.8, 1.8, 0.00027, 0.00027, 0.00027, 0.00027, 0.008596, -0.008326],
      // acme 8b: revenue 5 µ$; output 5 × 0.2 = 1, input the rest 4 (= 40 × 0.1)
      ['acme', 'llama-8b', 'meta/llama-3.1-8b-instruct:input', 'Input Tokens', 40, 0.00004, 0.1, 0.1, 0.000004, 0.000004, 0.000004, 0.000004, 0, 0.000004],
      ['acme', 'llama-8b', 'meta/llama-3.1-8b-instruct:output', 'Output Tokens', 5, 0.000005, 0.2, 0.2, 0.000001, 0.000001, 0.000001, 0.000001, 0, 0.000001],
      // globex 8b: 120 input / 40 output tokens consumed, the errored request's 70 / 30 not billed:
      // pricing quantity 50 / 10 tokens; revenue 7 µ$ = output 10 × 0.2 = 2 + input 5
      ['globex', 'llama-8b', 'meta/llama-3.1-8b-instruct:input', 'Input Tokens', 120, 0.00005, 0.1, 0.1, 0.000005, 0.000005, 0.000005, 0.000005, 0, 0.000005],
      ['globex', 'llama-8b', 'meta/llama-3.1-8b-instruct:output', 'Output Tokens', 40, 0.00001, 0.2, 0.2, 0.000002, 0.000002, 0.000002, 0.000002, 0, 0.000002],
    ]);
    expect(rows[0]).toMatchObject({ BillingAccountId: 'acme', BillingAccountName: 'acme', SubAccountName: 'acme', ResourceName: 'llama-70b', ChargeDescription: 'Input tokens of meta/llama-3.1-70b-instruct on llama-70b' });
  });

  it('FOCUS totals equal the per-request export: Σ BilledCost = Σ revenue, Σ x_ProductionCost = Σ request cost', async () => {
    const focus = await write('focus-hourly.parquet', { kind: 'focus', granularity: 'hour' });
    const requests = await write('requests-for-totals.parquet', { kind: 'requests' });
    const total = async (path: string, sql: string) =>
      (await store.client.query({ query: `SELECT ${sql} FROM file({path:String}, Parquet)`, query_params: { path }, format: 'JSONEachRow' })).json();
    // Σ revenue 642 µ$, Σ cost 42 978 µ$ (all of llama-70b's hour 10: no idle, no unassigned GPU);
    // tokens 750 (acme 70b) + 45 (acme 8b) + 160 (globex 8b) = 955
    expect(await total(focus, 'toString(sum(BilledCost)) AS billed, toString(sum(EffectiveCost)) AS effective, toString(sum(x_ProductionCost)) AS production, sum(ConsumedQuantity) AS tokens'))
      .toEqual([{ billed: '0.000642', effective: '0.000642', production: '0.042978', tokens: 955 }]);
    expect(await total(requests, 'toString(sum(revenue_usd)) AS billed, toString(sum(cost_usd)) AS production, sum(tokens) AS tokens'))
      .toEqual([{ billed: '0.000642', production: '0.042978', tokens: 955 }]);
    // hourly charge periods: the 8b request of acme at 11:01:40 falls in hour 11
    expect(await readBack(focus, 'Parquet', 'ChargePeriodStart, ChargePeriodEnd, SubAccountId, SkuMeter, ConsumedQuantity')).toBe(
      [
        '"ChargePeriodStart","ChargePeriodEnd","SubAccountId","SkuMeter","ConsumedQuantity"',
        '"2026-11-23T10:00:00.000Z","2026-11-23T11:00:00.000Z","acme","Input Tokens",600',
        '"2026-11-23T10:00:00.000Z","2026-11-23T11:00:00.000Z","acme","Output Tokens",150',
        '"2026-11-23T10:00:00.000Z","2026-11-23T11:00:00.000Z","globex","Input Tokens",120',
        '"2026-11-23T10:00:00.000Z","2026-11-23T11:00:00.000Z","globex","Output Tokens",40',
        '"2026-11-23T11:00:00.000Z","2026-11-23T12:00:00.000Z","acme","Input Tokens",40',
        '"2026-11-23T11:00:00.000Z","2026-11-23T12:00:00.000Z","acme","Output Tokens",5',
        '',
      ].join('\n'),
    );
  });

  it("tenant plan prices are the contracted price, the price book the list price; an unpriced model bills nothing", async () => {
    const cfg: Config = {
      ...config,
      prices: { 'meta/llama-3.1-8b-instruct': { input_usd_per_mtok: 0.1, output_usd_per_mtok: 0.2 } },
      tenants: { globex: { prices: { 'meta/llama-3.1-8b-instruct': { input_usd_per_mtok: 0.05, output_usd_per_mtok: 0.1 } } } },
    };
    const path = await write('focus-plans.jsonl', { kind: 'focus' }, false, cfg);
    const rows = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const pick = (r: Record<string, unknown>) => [
      r.SkuId, r.SubAccountId, r.ConsumedQuantity, r.PricingQuantity, r.PricingUnit, r.PricingCategory, r.ListUnitPrice, r.ContractedUnitPrice,
      r.ListCost, r.ContractedCost, r.BilledCost, r.x_ProductionCost,
    ];
    expect(rows.map(pick)).toEqual([
      // 70b has no price any more: consumed, not priced, nothing billed; its production cost stays
      ['meta/llama-3.1-70b-instruct:input', 'acme', 600, null, null, null, null, null, 0, 0, 0, 0.034382],
      ['meta/llama-3.1-70b-instruct:output', 'acme', 150, null, null, null, null, null, 0, 0, 0, 0.008596],
      ['meta/llama-3.1-8b-instruct:input', 'acme', 40, 0.00004, '1000000 Tokens', 'Standard', 0.1, 0.1, 0.000004, 0.000004, 0.000004, 0],
      ['meta/llama-3.1-8b-instruct:output', 'acme', 5, 0.000005, '1000000 Tokens', 'Standard', 0.2, 0.2, 0.000001, 0.000001, 0.000001, 0],
      // globex's plan: 0.05 / 0.1 USD per M. Its billable request: 50 × 0.05 + 10 × 0.1 = 2.5 + 1 = 3.5 → 4 µ$
      // (rounded half up, per request). Output row: 10 × 0.1 = 1 µ$; input row: the rest, 3 µ$.
      // List cost at the book: 50 × 0.1 = 5, 10 × 0.2 = 2; contracted: 2.5 → 3, 1.
      ['meta/llama-3.1-8b-instruct:input', 'globex', 120, 0.00005, '1000000 Tokens', 'Standard', 0.1, 0.05, 0.000005, 0.000003, 0.000003, 0],
      ['meta/llama-3.1-8b-instruct:output', 'globex', 40, 0.00001, '1000000 Tokens', 'Standard', 0.2, 0.1, 0.000002, 0.000001, 0.000001, 0],
    ]);
  });
});
