/**
 * The `collector:` block: defaults equal the modules' constants (one source), every bad
 * key names its path, and the example file's commented section states the defaults.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { RECEIVER_DEFAULTS } from '../../collectors/otlp/receiver.js';
import { SPOOL_DEFAULTS } from '../../collectors/writer/spool.js';
import { DEFAULT_METRICS_PORT } from '../../cli/commands/collect.js';
import { parseConfigText } from './load.js';
import { COLLECTOR_DEFAULTS } from './schema.js';

function issuesOf(text: string): string[] {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const MiB = 1024 * 1024;

describe('collector config', () => {
  it('an empty file gives the documented defaults, which are the modules\' constants', () => {
    const c = parseConfigText('', 'empty.yaml').collector;
    expect(c).toEqual({
      max_spool_bytes: 1024 * MiB, // 1 GiB = 1 073 741 824
      max_body_bytes: 16 * MiB, // 16 777 216
      max_inflight_bytes: 256 * MiB, // 268 435 456
      batch: { max_items: 20_000, max_bytes: 16 * MiB, max_age_ms: 1000 },
      metrics: { port: 9464 },
      stale_markers: false,
      shutdown_timeout_s: 5,
      decoder: 'receiver',
      intake_threads: 1,
    });
    expect(c.spool_dir).toBeUndefined();
    expect(c.metrics.host).toBeUndefined();
    expect({ maxBatchItems: c.batch.max_items, maxBatchBytes: c.batch.max_bytes, maxBatchAgeMs: c.batch.max_age_ms }).toEqual(SPOOL_DEFAULTS);
    expect({ maxBodyBytes: c.max_body_bytes, maxInflightBytes: c.max_inflight_bytes, maxSpoolBytes: c.max_spool_bytes, retryAfterS: 5, spanIntake: c.decoder === 'receiver' ? 'receiver' : 'writer', intakeThreads: c.intake_threads }).toEqual(RECEIVER_DEFAULTS);
    expect(c.metrics.port).toBe(DEFAULT_METRICS_PORT);
    expect(Object.isFrozen(COLLECTOR_DEFAULTS.batch)).toBe(true);
  });

  it('a partial block keeps the defaults of the keys it leaves out', () => {
    const c = parseConfigText('collector:\n  spool_dir: /var/spool/tf\n  batch: { max_items: 500 }\n  metrics: { host: 0.0.0.0 }\n  decoder: js\n', 't.yaml').collector;
    expect(c.spool_dir).toBe('/var/spool/tf');
    expect(c.batch).toEqual({ max_items: 500, max_bytes: 16 * MiB, max_age_ms: 1000 });
    expect(c.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(c.decoder).toBe('js');
    expect(c.max_body_bytes).toBe(16 * MiB);
  });

  it('names the bad key with its path', () => {
    expect(issuesOf('collector: { batch: { max_items: 0 } }\n')).toEqual(['collector.batch.max_items: Too small: expected number to be >0, got 0']);
    expect(issuesOf('collector: { batch: { max_items: 1.5 } }\n')).toEqual(['collector.batch.max_items: expected int, got 1.5']);
    expect(issuesOf('collector: { batch: { max_age: 10 } }\n')).toEqual(['collector.batch.max_age: unknown key']);
    expect(issuesOf('collector: { max_body_bytes: "16MiB" }\n')).toEqual(['collector.max_body_bytes: expected number, got "16MiB"']);
    expect(issuesOf('collector: { metrics: { port: 70000 } }\n')).toEqual(['collector.metrics.port: Too big: expected number to be <=65535, got 70000']);
    expect(issuesOf('collector: { shutdown_timeout_s: -1 }\n')).toEqual(['collector.shutdown_timeout_s: Too small: expected number to be >=0, got -1']);
    expect(issuesOf('collector: { decoder: wasm }\n')).toEqual(['collector.decoder: Invalid option: expected one of "receiver"|"engine"|"js", got "wasm"']);
    expect(issuesOf('collector: { spool: /tmp }\n')).toEqual(['collector.spool: unknown key']);
  });

  it('max_inflight_bytes must hold a gzip body at the limit: 2 × max_body_bytes', () => {
    // body 1 MiB: a gzip body reserves its wire bytes (≤ 1 MiB) + 1 MiB while it inflates = 2 097 152
    expect(issuesOf('collector: { max_body_bytes: 1048576, max_inflight_bytes: 2097151 }\n')).toEqual([
      'collector.max_inflight_bytes: must be at least 2 × max_body_bytes (2097152): a gzip body at the limit holds its wire bytes and max_body_bytes decompressed, got 2097151',
    ]);
    expect(parseConfigText('collector: { max_body_bytes: 1048576, max_inflight_bytes: 2097152 }\n', 't.yaml').collector.max_inflight_bytes).toBe(2097152);
    // the default inflight (256 MiB) with a body limit over 128 MiB breaks the relation
    expect(issuesOf(`collector: { max_body_bytes: ${128 * MiB + 1} }\n`)[0]).toMatch(/^collector\.max_inflight_bytes: must be at least 2 × max_body_bytes \(268435458\)/);
  });

  it('the example file\'s commented collector section states the defaults', () => {
    const example = readFileSync(new URL('../../examples/token-factory.yaml', import.meta.url), 'utf8');
    const start = example.indexOf('# collector:');
    expect(start).toBeGreaterThan(0);
    const block = example
      .slice(start)
      .split('\n')
      .filter((l) => l.startsWith('# '))
      .map((l) => l.slice(2))
      .filter((l) => !l.trimStart().startsWith('spool_dir:')) // an example path, not the default rule
      .join('\n');
    expect(parseConfigText(block, 'example collector').collector).toEqual(parseConfigText('', 'empty.yaml').collector);
  });
});
