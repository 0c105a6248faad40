import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeExpositionFile } from './decode-file.js';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/prometheus/${name}`, import.meta.url), 'utf8');

describe('decodeExpositionFile', () => {
  it('decodes a backfill file whose samples all carry timestamps without a default time', () => {
    const rows = decodeExpositionFile(fixture('dcgm-exporter.prom'), { job: 'dcgm-exporter', instance: 'gpu-node-07:9400' });
    expect([rows.otel_metrics_gauge.length, rows.otel_metrics_sum.length]).toEqual([12, 4]);
  });

  it('needs a default time when a sample has no timestamp, and names that sample', () => {
    expect(() => decodeExpositionFile(fixture('vllm.prom'), { job: 'vllm', instance: 'x:8000' })).toThrow(
      'line 5, column 1: sample "vllm:num_requests_running" has no timestamp and no default time was given',
    );
    const rows = decodeExpositionFile(fixture('vllm.prom'), { job: 'vllm', instance: 'x:8000', defaultTimeNs: '1767225600000000000' });
    expect(rows.otel_metrics_histogram).toHaveLength(3);
  });
});
