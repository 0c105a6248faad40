/**
 * The built plugin in a real browser: dist/module.js loaded by the harness (harness/) in
 * headless Debian Chromium (playwright-core, never a downloaded browser), configured
 * through its own configuration page, calling a live token-factory API on embedded
 * ClickHouse with the factory fixture through the harness's implementation of Grafana's
 * plugin route. Each page is screenshotted into test-results/screenshots/ (kept as the
 * test's artifact) and the figures it shows are checked against what the API computes.
 */
import { existsSync, mkdirSync, readFileSync } from 'fs';
import path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testIds } from '../../src/components/testIds';
import { formatKpi } from '../../src/format/format';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startLiveApi, FIXTURE_WINDOW } = require('../../scripts/live-api.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startHarness } = require('../../harness/server.cjs');

const ROOT = path.resolve(__dirname, '..', '..');
const SHOTS = path.join(ROOT, 'test-results', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RANGE = `from=${Date.parse(FIXTURE_WINDOW.from)}&to=${Date.parse(FIXTURE_WINDOW.to)}`;

type Row = Record<string, string | number | boolean | null>;

let api: { url: string; apiKey: string; stop: () => Promise<void> };
let harness: { url: string; pluginId: string; settings: { jsonData: Record<string, string>; secureJsonData: Record<string, string> }; stop: () => Promise<void> };
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function apiRows(kpi: string, params: Record<string, string>): Promise<Row[]> {
  const res = await fetch(`${api.url}/api/v1/${kpi}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${api.apiKey}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: Row[] }).rows;
}

const byTestId = (id: string) => page.locator(`[data-testid="${id}"]`);

async function open(route: string, waitFor: string, shot: string) {
  await page.goto(`${harness.url}/a/${harness.pluginId}/${route}?${RANGE}`);
  await byTestId(waitFor).first().waitFor({ timeout: 60000 });
  // every query of the page answered (the embedded store runs them one after another)
  await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`) === null, testIds.state.loading, { timeout: 60000 });
  // let charts draw (uPlot sizes itself after layout)
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(SHOTS, `${shot}.png`), fullPage: true });
}

beforeAll(async () => {
  const needed: Array<[string, string]> = [
    ['the plugin (npm run build)', path.join(ROOT, 'dist', 'module.js')],
    ['the harness (npm run build:harness)', path.join(ROOT, 'harness', 'dist', 'host.js')],
    ['Debian chromium (apt-get install chromium)', CHROMIUM],
  ];
  for (const [what, file] of needed) {
    if (!existsSync(file)) {
      throw new Error(`${what} is missing: ${file}`);
    }
  }
  mkdirSync(SHOTS, { recursive: true });
  [api, harness] = await Promise.all([startLiveApi(), startHarness()]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
  await api?.stop();
});

describe('the built plugin in Chromium against the live API', () => {
  it('says the API is not configured before it is', async () => {
    await open('revenue', testIds.state.error, '00-not-configured');
    expect(await byTestId(testIds.state.error).first().textContent()).toContain('Could not reach the token-factory API (502: plugin route "api" has no URL');
  });

  it('is configured on its configuration page: URL to jsonData, key to secureJsonData', async () => {
    await page.goto(`${harness.url}/plugins/${harness.pluginId}`);
    await byTestId(testIds.appConfig.apiUrl).waitFor({ timeout: 60000 });
    await byTestId(testIds.appConfig.apiUrl).fill(api.url);
    await byTestId(testIds.appConfig.apiKey).fill(api.apiKey);
    await byTestId(testIds.appConfig.submit).click();
    await expect(byTestId(testIds.appConfig.saved).textContent()).resolves.toContain(`Saved: the plugin calls ${api.url}.`);
    await page.getByText('Test', { exact: true }).click();
    await page.getByText('The API answers: {"status":"ok","store":"embedded"}').waitFor();
    await page.screenshot({ path: path.join(SHOTS, '01-configuration.png'), fullPage: true });
    // what Grafana's backend keeps: the URL as jsonData, the key only server-side
    expect(harness.settings.jsonData).toEqual({ apiUrl: api.url });
    expect(harness.settings.secureJsonData).toEqual({ apiKey: api.apiKey });
  });

  it('Revenue per GPU shows the rental and TaaS figures the API computes', async () => {
    await open('revenue', testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_taas_usd'), '02-revenue-per-gpu');
    const rows = await apiRows('revenue-per-gpu', FIXTURE_WINDOW);
    expect(rows.map((r) => r.gpu_type)).toEqual(['B200', 'H100']);
    for (const row of rows) {
      for (const kpi of [
        'annual_revenue_gpu_hour_usd',
        'annual_revenue_taas_usd',
        'annual_revenue_taas_measured_usd',
        'annual_revenue_compute_tokens_usd',
        'annual_cost_usd',
        'annual_margin_taas_usd',
        'break_even_usd_per_mtok',
      ]) {
        await expect(byTestId(testIds.kpi('revenue-per-gpu', String(row.gpu_type), kpi)).textContent()).resolves.toBe(formatKpi(kpi, row[kpi]));
      }
    }
    // and the worked figures themselves: 3 × 8760 × 0.7 = 18,396; 30 M × 1 USD/M × 0.6 × 8760 = 157,680
    await expect(byTestId(testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_gpu_hour_usd')).textContent()).resolves.toBe('$18,396.00');
    await expect(byTestId(testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_taas_usd')).textContent()).resolves.toBe('$157,680.00');
    // the side-by-side bars (Grafana's BarGauge) are drawn, one set per gpu_type
    expect(await page.getByText('H100 — one GPU, one year').count()).toBe(1);

    // scenario: a next-generation GPU at twice the throughput → 315,360
    await byTestId(testIds.revenue.input('throughput_multiplier')).fill('2');
    await byTestId(testIds.revenue.apply).click();
    await page.getByText('$315,360.00').first().waitFor();
    const scenario = await apiRows('revenue-per-gpu', { ...FIXTURE_WINDOW, throughput_multiplier: '2' });
    const h100 = scenario.find((r) => r.gpu_type === 'H100')!;
    await expect(byTestId(testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_taas_usd')).textContent()).resolves.toBe(formatKpi('annual_revenue_taas_usd', h100.annual_revenue_taas_usd));
    await page.screenshot({ path: path.join(SHOTS, '02b-revenue-per-gpu-scenario.png'), fullPage: true });
  });

  it('Unit economics: the figures of the API, and charts drawn by uPlot', async () => {
    await open('unit-economics', testIds.kpi('unit-economics', 'meta/llama-3.1-70b-instruct/H100', 'cost_per_mtok_usd'), '03-unit-economics');
    const rows = await apiRows('unit-economics', { ...FIXTURE_WINDOW, by: 'model,gpu_type' });
    for (const row of rows) {
      const key = `${row.model}/${row.gpu_type}`;
      for (const kpi of ['tokens_per_gpu_hour', 'cost_per_mtok_input_usd', 'cost_per_mtok_output_usd', 'energy_kwh_per_mtok']) {
        await expect(byTestId(testIds.kpi('unit-economics', key, kpi)).textContent()).resolves.toBe(formatKpi(kpi, row[kpi]));
      }
    }
    const [totals] = await apiRows('cost-totals', { ...FIXTURE_WINDOW, by: '' });
    for (const kpi of ['idle_cost_usd', 'unassigned_cost_usd', 'gpu_cost_usd']) {
      await expect(byTestId(testIds.stat(kpi)).textContent()).resolves.toBe(formatKpi(kpi, totals![kpi]));
    }
    // four time series panels, each a uPlot canvas
    await page.locator('.uplot canvas').nth(3).waitFor();
    expect(await page.locator('.uplot canvas').count()).toBe(4);
  });

  it('Workflows: cost per successful workflow and the drill-down to the requests', async () => {
    await open('workflows', testIds.kpi('workflows', 'chat', 'cost_per_successful_workflow_usd'), '04-workflows');
    const rows = await apiRows('workflows', { ...FIXTURE_WINDOW, by: 'workflow' });
    for (const row of rows) {
      for (const kpi of ['cost_per_successful_workflow_usd', 'success_rate', 'wasted_cost_usd']) {
        await expect(byTestId(testIds.kpi('workflows', String(row.workflow), kpi)).textContent()).resolves.toBe(formatKpi(kpi, row[kpi]));
      }
    }
    await byTestId(testIds.workflows.workflowLink('chat')).click();
    await byTestId(testIds.workflows.instanceLink('wf-globex-1')).click();
    await byTestId(testIds.workflows.requests).waitFor();
    const requests = await apiRows('workflows/requests', { ...FIXTURE_WINDOW, workflow_id: 'wf-globex-1' });
    for (const r of requests) {
      await expect(byTestId(testIds.kpi('workflow-requests', String(r.span_id), 'cost_usd')).textContent()).resolves.toBe(formatKpi('cost_usd', r.cost_usd));
    }
    expect(page.url()).toContain('workflow=chat&workflow_id=wf-globex-1');
    await page.screenshot({ path: path.join(SHOTS, '04b-workflow-requests.png'), fullPage: true });
  });

  it('Tenants: usage, revenue, margin, quotas, and the CSV download', async () => {
    await open('tenants', testIds.kpi('tenants', 'acme', 'margin_usd'), '05-tenants');
    const rows = await apiRows('revenue', { ...FIXTURE_WINDOW, by: 'tenant' });
    for (const row of rows) {
      for (const kpi of ['tokens', 'cost_usd', 'revenue_usd', 'margin_usd']) {
        await expect(byTestId(testIds.kpi('tenants', String(row.tenant), kpi)).textContent()).resolves.toBe(formatKpi(kpi, row[kpi]));
      }
    }
    await byTestId(testIds.kpi('quotas', 'acme', 'quota_used_ratio')).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), byTestId(testIds.tenants.csv).click()]);
    expect(download.suggestedFilename()).toBe('tenants_20261123T1000Z_20261123T1300Z.csv');
    const csvPath = path.join(ROOT, 'test-results', 'tenants.csv');
    await download.saveAs(csvPath);
    const csv = readFileSync(csvPath, 'utf8').split('\r\n');
    expect(csv[0]).toMatch(/^tenant,requests,input_tokens,output_tokens,tokens,/);
    expect(csv).toHaveLength(rows.length + 2);
  });

  it('SLOs: quantiles against targets, error budget and burn rates', async () => {
    await open('slos', testIds.kpi('slo', 'meta/llama-3.1-70b-instruct:ttft_p95_ms', 'error_budget_remaining'), '06-slos');
    const rows = await apiRows('slo', FIXTURE_WINDOW);
    for (const row of rows) {
      for (const kpi of ['error_budget_remaining', 'slo_burn_rate_6h', 'slo_burn_rate_1h']) {
        await expect(byTestId(testIds.kpi('slo', String(row.slo), kpi)).textContent()).resolves.toBe(formatKpi(kpi, row[kpi]));
      }
    }
    await page.getByText(/No inference-server latency histograms in this window/).waitFor();
  });

  it('Executive report: one printable page', async () => {
    await open('executive', testIds.stat('tokens'), '07-executive');
    const [rev] = await apiRows('revenue', { ...FIXTURE_WINDOW, by: '' });
    await expect(byTestId(testIds.stat('revenue_usd')).textContent()).resolves.toBe(formatKpi('revenue_usd', rev!.revenue_usd));
    await expect(byTestId(testIds.stat('margin_usd')).textContent()).resolves.toBe(formatKpi('margin_usd', rev!.margin_usd));
    await byTestId(testIds.kpi('executive-revenue-per-gpu', 'H100', 'annual_revenue_taas_usd')).waitFor();
    // printed: one page of A4, without the tabs and time picker
    await page.emulateMedia({ media: 'print' });
    expect(await byTestId(testIds.page.timePicker).isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4', printBackground: true, path: path.join(ROOT, 'test-results', 'executive-report.pdf') });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBe(1);
    await page.emulateMedia({ media: 'screen' });
  });

  it('raised no uncaught error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
