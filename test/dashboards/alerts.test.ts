/**
 * The Prometheus alert rules (dashboards/alerts/token-factory.rules.yaml): the real
 * `promtool check rules` and `promtool test rules` pass; the unit tests cover every
 * alert both firing and silent, and fail when a rule changes; the rules read only
 * metrics the product or its exporters produce; the SLO burn alerts cover every SLO
 * kind and burn window the SLO code publishes; the PrometheusRule generated for
 * Kubernetes is a valid prometheus-operator resource holding the same groups.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { BURN_WINDOWS, SLO_KINDS } from '../../pipelines/kpi/slo.js';
import { ALERT_RULES_FILE } from '../../dashboards/index.js';
import { collectorMetrics, exporterMetricNames, kpiMetrics, promqlMetricNames, promtool, PROMETHEUS_SYNTHETIC, repoFile } from './metric-names.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  name: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
}

const execFileAsync = promisify(execFile);
const RULES = repoFile(ALERT_RULES_FILE);
const TESTS = RULES.replace(/\.yaml$/, '.test.yaml');
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const tests = (parse(readFileSync(TESTS, 'utf8')) as { rule_files: string[]; tests: RuleTest[] }).tests;
const alertNames = [...new Set(rules.map((r) => r.alert))];

describe('alert rules', () => {
  it('the alerts the issue asks for', () => {
    expect(alertNames).toEqual([
      'TokenFactoryTTFTBudgetBurn',
      'TokenFactoryTPOTBudgetBurn',
      'TokenFactoryE2EBudgetBurn',
      'TokenFactoryErrorBudgetBurn',
      'TokenFactoryQuotaNearlyExhausted',
      'TokenFactoryQuotaExhausted',
      'TokenFactoryMeteringDrift',
      'TokenFactoryCollectorDroppingData',
      'TokenFactoryCollectorSpooling',
      'TokenFactoryCollectorScrapeFailing',
      'TokenFactoryScrapeTargetDown',
      'TokenFactoryGpusIdleWhileQueueGrows',
      'TokenFactoryFleetIdleWhileQueueGrows',
    ]);
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it('burn alerts: one fast (1h and 5m over 14.4) and one slow (6h and 30m over 6) per SLO kind, on windows the SLO code publishes', () => {
    const burn = rules.filter((r) => r.expr.includes('token_factory_slo_burn_rate'));
    const kinds = new Set<string>();
    for (const r of burn) {
      const kind = /slo=~"\.\+:(\w+)"/.exec(r.expr)?.[1];
      expect(SLO_KINDS as readonly string[], r.alert).toContain(kind);
      kinds.add(kind!);
      const windows = [...r.expr.matchAll(/window="(\w+)"/g)].map((m) => m[1]!);
      for (const w of windows) expect(Object.keys(BURN_WINDOWS), r.alert).toContain(w);
      const thresholds = [...r.expr.matchAll(/> ([\d.]+)/g)].map((m) => Number(m[1]));
      if (r.labels?.burn === 'fast') expect([windows, thresholds]).toEqual([['1h', '5m'], [14.4, 14.4]]);
      else expect([r.labels?.burn, windows, thresholds]).toEqual(['slow', ['6h', '30m'], [6, 6]]);
    }
    expect([...kinds].sort()).toEqual([...SLO_KINDS].sort());
    expect(burn).toHaveLength(2 * SLO_KINDS.length);
  });

  it('every rule reads only metrics the product or its exporters produce', () => {
    const produced = new Set([...kpiMetrics().map((m) => m.name), ...collectorMetrics(), ...exporterMetricNames(), ...PROMETHEUS_SYNTHETIC]);
    for (const r of rules) {
      const names = promqlMetricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) expect(produced.has(n), `${r.alert}: ${n} is produced by nothing`).toBe(true);
    }
  });

  it('the unit tests make every alert fire somewhere and stay silent somewhere', () => {
    for (const name of alertNames) {
      const evals = tests.flatMap((t) => t.alert_rule_test.filter((a) => a.alertname === name));
      expect(evals.some((e) => e.exp_alerts.length > 0), `${name} never fires in the tests`).toBe(true);
      expect(evals.some((e) => e.exp_alerts.length === 0), `${name} is never checked silent`).toBe(true);
    }
  });

  it('the PrometheusRule for Kubernetes holds the same groups and is a valid resource', () => {
    const pr = parse(readFileSync(repoFile('deploy/kubernetes/generated/prometheus-rules.yaml'), 'utf8')) as { spec: { groups: unknown[] } };
    expect(pr.spec.groups).toEqual(groups);
    expect(() => new PrometheusRule(pr as ConstructorParameters<typeof PrometheusRule>[0]).validate()).not.toThrow();
  });
});

const tool = promtool();
describe.skipIf(!tool)('promtool', () => {
  it('check rules', () => {
    const out = execFileSync(tool!, ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('test rules: every case passes', () => {
    const out = execFileSync(tool!, ['test', 'rules', TESTS], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  // promtool spends most of a run waiting, not computing: the mutants run side by side
  it('test rules fails when a rule changes (each mutant is caught)', async () => {
    const original = readFileSync(RULES, 'utf8');
    const mutants: [string, string][] = [
      ['fast-burn thresholds moved from > 14.4 to >= 14.4', original.replaceAll('> 14.4', '>= 14.4')],
      ['the slow error burn without its short window', original.replace(/\n\s+and on \(slo\)\n\s+max by \(slo, window\) \(token_factory_slo_burn_rate\{slo=~"\.\+:error_rate", window="30m"\}\) > 6/, '')],
      ['quota warning also at 100 %', original.replace('>= 0.8 < 1', '>= 0.8')],
      ['metering drift without its 30 minutes', original.replace(/(abs\(token_factory_metering_drift\)\) > 0\.02\n\s+)for: 30m/, '$1for: 1m')],
      ['a target down alert with no grace period', original.replace(/(expr: up == 0\n\s+)for: 5m/, '$1for: 0m')],
      ['idle GPUs without the growing-queue condition', original.replace(/\n\s+and on \(namespace, pod\)\n\s+sum by \(namespace, pod\) \(delta\(vllm:num_requests_waiting\[10m\]\)\) > 0/, '')],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'tf-rules-'));
    try {
      const outcomes = await Promise.all(
        mutants.map(async ([name, mutated], i) => {
          expect(mutated, name).not.toBe(original);
          const sub = join(dir, String(i));
          mkdirSync(sub);
          writeFileSync(join(sub, 'token-factory.rules.yaml'), mutated);
          copyFileSync(TESTS, join(sub, 'token-factory.rules.test.yaml'));
          await execFileAsync(tool!, ['check', 'rules', join(sub, 'token-factory.rules.yaml')]);
          const caught = await execFileAsync(tool!, ['test', 'rules', join(sub, 'token-factory.rules.test.yaml')]).then(
            () => false,
            () => true,
          );
          return [name, caught] as const;
        }),
      );
      expect(outcomes).toEqual(mutants.map(([name]) => [name, true]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
