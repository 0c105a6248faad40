/**
 * The generated dashboards: committed output equals a fresh generation (no drift), the
 * layout is sound, every data source is one that provisioning creates, every PromQL
 * query parses (promtool) and names only metrics the product or its exporters really
 * produce, and every SQL query reads only tables the migrations create. (The SQL runs
 * against real ClickHouse in dashboard-sql.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generatedFiles } from '../../dashboards/index.js';
import { CLICKHOUSE, PROMETHEUS } from '../../dashboards/datasources.js';
import { COLLECTOR_METRICS } from '../../dashboards/collector-metrics.js';
import { allTargets, dashboardObjects } from './targets.js';
import {
  collectorMetrics,
  exporterMetricNames,
  kpiMetrics,
  knownTables,
  promqlForCheck,
  promqlMatcherLabels,
  promqlMetricNames,
  promtool,
  PROMETHEUS_SYNTHETIC,
  repoFile,
  sqlTableNames,
} from './metric-names.js';

describe('generated files', () => {
  it('the committed dashboards and Kubernetes manifests equal a fresh generation (run npm run dashboards)', () => {
    const files = generatedFiles(repoFile(''));
    expect([...files.keys()].sort()).toEqual([
      'dashboards/generated/capacity.json',
      'dashboards/generated/finance.json',
      'dashboards/generated/sre.json',
      'deploy/kubernetes/generated/grafana-dashboards.yaml',
      'deploy/kubernetes/generated/prometheus-rules.yaml',
    ]);
    for (const [path, content] of files) {
      expect(readFileSync(repoFile(path), 'utf8'), `${path} is stale: run npm run dashboards`).toBe(content);
    }
  });
});

describe('layout', () => {
  const dashboards = dashboardObjects();

  it('three dashboards with distinct uids and titles', () => {
    expect(dashboards.map(([, d]) => d.uid)).toEqual(['token-factory-sre', 'token-factory-finance', 'token-factory-capacity']);
    expect(new Set(dashboards.map(([, d]) => d.title)).size).toBe(3);
  });

  it.each(dashboards.map(([name, d]) => [name, d] as const))('%s: panels inside the 24-column grid, no overlap, unique ids', (_name, d) => {
    const panels = d.panels as { id: number; type: string; gridPos: { x: number; y: number; w: number; h: number } }[];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const g = p.gridPos;
      expect(g.x + g.w, `panel ${p.id}`).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `panel ${p.id} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it('every panel has a title, a description, a unit and at least one target', () => {
    for (const [name, d] of dashboards) {
      for (const p of d.panels as Record<string, unknown>[]) {
        if (p.type === 'row') continue;
        const where = `${name}: ${String(p.title)}`;
        expect(p.title, where).toBeTruthy();
        expect(p.description, where).toBeTruthy();
        expect((p.fieldConfig as { defaults: { unit?: string } }).defaults.unit, where).toBeTruthy();
        expect((p.targets as unknown[]).length, where).toBeGreaterThan(0);
      }
    }
  });
});

describe('queries', () => {
  const targets = allTargets();
  const prom = targets.filter((t) => t.expr !== undefined);
  const sql = targets.filter((t) => t.rawSql !== undefined);

  it('every target uses a provisioned data source, the same as its panel', () => {
    expect(prom.length).toBeGreaterThan(15);
    expect(sql.length).toBeGreaterThan(15);
    for (const t of prom) expect([t.datasource, t.targetDatasource], `${t.dashboard}: ${t.panel}`).toEqual([PROMETHEUS.uid, PROMETHEUS.uid]);
    for (const t of sql) expect([t.datasource, t.targetDatasource], `${t.dashboard}: ${t.panel}`).toEqual([CLICKHOUSE.uid, CLICKHOUSE.uid]);
  });

  it('ClickHouse targets are SQL-editor queries with a matching format (0 time series, 1 table)', () => {
    for (const t of sql.filter((x) => !x.panel.startsWith('variable'))) {
      expect([t.queryType, t.format], `${t.dashboard}: ${t.panel}`).toEqual(t.queryType === 'table' ? ['table', 1] : ['timeSeries', 0]);
      if (t.queryType === 'timeSeries') expect(t.rawSql, `${t.dashboard}: ${t.panel}`).toMatch(/ AS time\b/);
    }
  });

  it('every PromQL metric is one the product or its exporters produce', () => {
    const kpi = kpiMetrics();
    const produced = new Set([...kpi.map((m) => m.name), ...collectorMetrics(), ...exporterMetricNames(), ...PROMETHEUS_SYNTHETIC]);
    const used = new Set<string>();
    for (const t of prom) {
      const names = promqlMetricNames(t.expr!);
      expect(names.length, `${t.dashboard}: ${t.panel}: no metric in ${t.expr}`).toBeGreaterThan(0);
      for (const n of names) {
        expect(produced.has(n), `${t.dashboard}: ${t.panel}: ${n} is produced by nothing`).toBe(true);
        used.add(n);
      }
    }
    // every KPI gauge the exposition publishes is on some dashboard
    for (const m of kpi) expect(used.has(m.name), `${m.name} is on no dashboard`).toBe(true);
  });

  it('the collector metrics the dashboards name (dashboards/collector-metrics.ts) are the collector\'s', () => {
    const registered = new Set(collectorMetrics());
    for (const name of Object.values(COLLECTOR_METRICS)) expect(registered.has(name), name).toBe(true);
  });

  it('token_factory_* matchers and legends use only the labels the exposition sets', () => {
    const labels = new Map(kpiMetrics().map((m) => [m.name, m.labels]));
    for (const t of prom) {
      for (const { metric, labels: used } of promqlMatcherLabels(t.expr!)) {
        const known = labels.get(metric);
        if (!known) continue;
        for (const l of used) expect(known, `${t.dashboard}: ${t.panel}: ${metric}{${l}}`).toContain(l);
        for (const l of [...(t.legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!)) {
          if (promqlMetricNames(t.expr!).length === 1 && !/\bby\s*\(/.test(t.expr!)) expect(known, `${t.dashboard}: ${t.panel}: legend {{${l}}}`).toContain(l);
        }
      }
    }
  });

  it('every SQL query reads only tables the migrations create', () => {
    const tables = knownTables();
    for (const t of sql) {
      const names = sqlTableNames(t.rawSql!);
      expect(names.length, `${t.dashboard}: ${t.panel}`).toBeGreaterThan(0);
      for (const n of names) expect(tables.has(n), `${t.dashboard}: ${t.panel}: table ${n}`).toBe(true);
    }
  });

  it('the name checks catch a metric or table nothing produces', () => {
    expect(promqlMetricNames('sum by (model_name) (rate(vllm:prompt_tokens_total{model_name=~"$model"}[$__rate_interval])) / ignoring(x) token_factory_nope')).toEqual([
      'vllm:prompt_tokens_total',
      'token_factory_nope',
    ]);
    expect(promqlMetricNames('histogram_quantile(0.5, sum by (le) (rate(a_bucket[5m]))) * 1000 > bool 3')).toEqual(['a_bucket']);
    expect(exporterMetricNames().has('vllm:num_requests_waiting')).toBe(true);
    expect(exporterMetricNames().has('vllm:num_requests_queued')).toBe(false);
    expect(sqlTableNames('SELECT 1 FROM (SELECT x FROM llm_requests FINAL) JOIN rollup_hours ON 1')).toEqual(['llm_requests', 'rollup_hours']);
    expect(knownTables().has('llm_request')).toBe(false);
  });

  const tool = promtool();
  it.skipIf(!tool)('every PromQL query parses (promtool check rules on the queries as recording rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-promql-'));
    try {
      const rules = prom.map((t, i) => ({ record: `dashboard:query_${i}`, expr: promqlForCheck(t.expr!) }));
      const file = join(dir, 'queries.yaml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
      const out = execFileSync(tool!, ['check', 'rules', file], { encoding: 'utf8' });
      expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
      // and a broken query fails the same check
      writeFileSync(file, stringify({ groups: [{ name: 'broken', rules: [{ record: 'x', expr: 'sum by (model (up)' }] }] }));
      expect(() => execFileSync(tool!, ['check', 'rules', file], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
