/**
 * What the dashboards and alert rules may name, taken from the product itself:
 * - token_factory_* metrics: the names the KPI exposition (pipelines/exposition/) and the
 *   collector (collectors/observability/) register, read from registries built by the
 *   real code (no store is touched until a scrape);
 * - exporter metrics (DCGM_FI_*, vllm:*): names in recorded exporter output
 *   (test/fixtures/prometheus/*.prom, examples/sample/*.prom);
 * - Prometheus' own per-target series (`up`, …);
 * - ClickHouse tables: the tables the migrations create (core/schema/).
 * And helpers that pull metric and table names out of PromQL and SQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../core/store/open-store.js';
import { configSchema } from '../../core/config/schema.js';
import { OTEL_TABLES } from '../../core/schema/otel-tables.js';
import { FACT_TABLES } from '../../core/schema/fact-tables.js';
import { ROLLUP_TABLES } from '../../core/schema/migrations.js';
import { createKpiMetrics } from '../../pipelines/exposition/kpi-metrics.js';
import { createCollectorMetrics } from '../../collectors/observability/collector-metrics.js';

export const repoFile = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Series Prometheus itself writes for every scrape target. */
export const PROMETHEUS_SYNTHETIC = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'];

export interface ProducedMetric {
  name: string;
  labels: string[];
}

/** The token_factory_* KPI gauges, as the exposition code registers them. */
export function kpiMetrics(): ProducedMetric[] {
  // The registry only calls the store from a gauge's collect(), i.e. on a scrape: building it needs none.
  const registry = createKpiMetrics({} as Store, configSchema.parse({}));
  return registry.getMetricsAsArray().map((m) => {
    const labelNames = (m as unknown as { labelNames?: string[] }).labelNames ?? [];
    return { name: m.name, labels: [...labelNames] };
  });
}

/**
 * The collector's self-metrics, as the collector registers them (process metrics
 * included), as PromQL sees them: histograms as `_bucket`, `_sum`, `_count`.
 */
export function collectorMetrics(): string[] {
  const registry = createCollectorMetrics().registry;
  return registry.getMetricsAsArray().flatMap((m) => {
    const type = (m as unknown as { type?: string }).type;
    return type === 'histogram' ? [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name];
  });
}

/** Sample names in recorded exporter output (as PromQL sees them: `_bucket`, `_total` included). */
export function exporterMetricNames(): Set<string> {
  const files = [
    ...readdirSync(repoFile('test/fixtures/prometheus')).filter((f) => /\.(prom|txt)$/.test(f)).map((f) => `test/fixtures/prometheus/${f}`),
    ...readdirSync(repoFile('examples/sample')).filter((f) => f.endsWith('.prom')).map((f) => `examples/sample/${f}`),
  ];
  const names = new Set<string>();
  for (const f of files) {
    for (const line of readFileSync(repoFile(f), 'utf8').split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)/.exec(line);
      if (m) names.add(m[1]!);
    }
  }
  return names;
}

export function knownTables(): Set<string> {
  return new Set([...OTEL_TABLES, ...FACT_TABLES, ...ROLLUP_TABLES].map((t) => t.name));
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * Metric names in a PromQL expression: identifiers that are not functions, keywords,
 * label names (inside `{…}` and grouping clauses) or parts of durations and strings.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    if (!PROMQL_KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

/** Label names used in `{…}` matchers per metric (`metric{a="x", b=~"y"}`). */
export function promqlMatcherLabels(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
    const labels = [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]!);
    out.push({ metric: m[1]!, labels });
  }
  return out;
}

/** Tables after FROM / JOIN in SQL (subqueries `FROM (` are skipped). */
export function sqlTableNames(sql: string): string[] {
  return [...new Set([...sql.matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_.]*)/gi)].map((m) => m[1]!))];
}

/** Grafana variables in PromQL replaced by values Prometheus accepts, for syntax checks. */
export function promqlForCheck(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?(\w+)(?::\w+)?\}?/g, '.*');
}

/**
 * promtool's path, or undefined. In CI it must exist (scripts/ensure-debian-packages.sh
 * installs Debian's `prometheus`): missing there is an error, not a skip.
 */
export function promtool(): string | undefined {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'pipe' });
    return 'promtool';
  } catch {
    if (process.env.CI) throw new Error('promtool is missing in CI: scripts/ensure-debian-packages.sh installs the Debian package prometheus');
    process.stderr.write('promtool not found (Debian package prometheus; scripts/ensure-debian-packages.sh): skipping the promtool checks\n');
    return undefined;
  }
}
