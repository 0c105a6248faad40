import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfigText, loadConfig } from './load.js';
import { ConfigError } from '../errors.js';

const example = readFileSync(new URL('../../examples/token-factory.yaml', import.meta.url), 'utf8');

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'test.yaml', env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('parses the example with its values and fills defaults', () => {
    const c = parseConfigText(example, 'example.yaml');
    expect(c.store).toEqual({ kind: 'embedded', path: './data' });
    expect(c.gpu_types.H100).toEqual({ hourly_usd: 2.5, kwh_usd: 0.1, pue: 1.25, units_per_gpu_hour: 1 });
    expect(c.deployments[0]?.gpus).toEqual({ nodes: [{ node: 'node-a', gpus: [0, 1] }] });
    expect(c.revenue.taas.peak_tokens_per_gpu_hour).toEqual({ H100: 3.0e7 });
    expect(c.attribution.max_lateness_s).toBe(10800);
    expect(c.tenants.acme).toEqual({ monthly_token_quota: 5e9, monthly_budget_usd: 20000, prices: {} });
    expect(Object.isFrozen(c.gpu_types.H100)).toBe(true);
  });

  it('an empty file is all defaults', () => {
    const c = parseConfigText('', 'empty.yaml');
    expect(c.store).toEqual({ kind: 'embedded', path: './data' });
    expect(c.attribution.tenant_attribute).toBe('tenant.id');
    expect(c.attribution.token_weights).toEqual({ input: 1, output: 1 });
    expect(c.otlp.port).toBe(4318);
    expect(c.api).toEqual({ host: '127.0.0.1', port: 8080, keys: [] });
  });

  it('names the bad field with expected and actual', () => {
    expect(issuesOf('gpu_types:\n  H100: { hourly_usd: abc }\n')).toEqual(['gpu_types.H100.hourly_usd: expected number, got "abc"']);
  });

  it('reports a missing required field, unknown keys and out-of-range values', () => {
    expect(issuesOf('gpu_types:\n  H100: { kwh_usd: 0.1 }\n')).toEqual(['gpu_types.H100.hourly_usd: required (expected number)']);
    expect(issuesOf('attribution: { tenant_atribute: x }\n')).toEqual(['attribution.tenant_atribute: unknown key']);
    expect(issuesOf('revenue: { gpu_hour: { rental_utilization: 1.5 } }\n')).toEqual([
      'revenue.gpu_hour.rental_utilization: Too big: expected number to be <=1, got 1.5',
    ]);
    expect(issuesOf('deployments:\n  - { name: a, model: m, gpus: { nodes: [{ node: n, gpus: [0] }] } }\n  - { name: a, model: m2, gpus: { uuids: [GPU-1] } }\n')).toEqual([
      'deployments.1.name: duplicate deployment name "a", got "a"',
    ]);
  });

  it('rejects a store with both path and url', () => {
    expect(issuesOf('store: { path: ./d, url: http://ch:8123 }\n')).toEqual([
      'store.url: set either store.path (embedded) or store.url (server), not both, got "http://ch:8123"',
    ]);
  });

  it('names the line of a YAML syntax error', () => {
    expect(issuesOf('gpu_types:\n  H100: { hourly_usd: 2.5\n')[0]).toMatch(/^line 3, column 1: /);
  });

  it('CLICKHOUSE_URL switches the store to a server', () => {
    const c = parseConfigText('store: { path: ./x }\n', 't.yaml', { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'factory' });
    expect(c.store).toEqual({ kind: 'server', url: 'http://ch:8123', user: 'default', password: '', database: 'default', cluster: 'factory' });
  });

  it('environment overrides apply field by field to a server store', () => {
    const c = parseConfigText('store: { url: http://ch:8123, user: reader, database: tf }\n', 't.yaml', { CLICKHOUSE_PASSWORD: 's3cret' });
    expect(c.store).toEqual({ kind: 'server', url: 'http://ch:8123', user: 'reader', password: 's3cret', database: 'tf', cluster: undefined });
    // an embedded store ignores credentials it has no use for
    expect(parseConfigText('store: { path: ./d }\n', 't.yaml', { CLICKHOUSE_PASSWORD: 'x' }).store).toEqual({ kind: 'embedded', path: './d' });
  });

  it('a missing file is a ConfigError naming it', () => {
    expect(() => loadConfig({ file: '/nonexistent/tf.yaml', env: {} })).toThrow(/invalid config \/nonexistent\/tf.yaml:\n {2}cannot read: ENOENT/);
  });
});
