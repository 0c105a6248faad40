import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../core/errors.js';
import { detectDialect, parseExposition, type MetricFamily } from './parse-exposition.js';
import { parseScaledDecimal } from './parse-number.js';

const sample = (name: string) => readFileSync(new URL(`../../../shared/samples/${name}`, import.meta.url), 'utf8');
const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/prometheus/${name}`, import.meta.url), 'utf8');

/** The DecodeError `fn` throws (fails the test when it throws nothing or something else). */
function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

const byName = (families: MetricFamily[], name: string): MetricFamily => {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f;
};

describe('parseExposition on real exporter output (shared/samples)', () => {
  it('reads dcgm-exporter README output: three gauges, ", " between labels, a 2^63-sized value', () => {
    const text = sample('dcgm-exporter-readme.prom');
    expect(detectDialect(text)).toBe('prometheus');
    const uuid = 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52';
    expect(parseExposition(text)).toEqual([
      {
        name: 'DCGM_FI_DEV_SM_CLOCK',
        type: 'gauge',
        help: 'SM clock frequency (in MHz).',
        unit: '',
        samples: [{ name: 'DCGM_FI_DEV_SM_CLOCK', labels: { gpu: '0', UUID: uuid }, value: 139, line: 7 }],
      },
      {
        name: 'DCGM_FI_DEV_MEM_CLOCK',
        type: 'gauge',
        help: 'Memory clock frequency (in MHz).',
        unit: '',
        samples: [{ name: 'DCGM_FI_DEV_MEM_CLOCK', labels: { gpu: '0', UUID: uuid }, value: 405, line: 8 }],
      },
      {
        name: 'DCGM_FI_DEV_MEMORY_TEMP',
        type: 'gauge',
        help: 'Memory temperature (in C).',
        unit: '',
        // the nearest double, as Go's ParseFloat reads it: 9223372036854775808
        samples: [{ name: 'DCGM_FI_DEV_MEMORY_TEMP', labels: { gpu: '0', UUID: uuid }, value: 9223372036854775808, line: 9 }],
      },
    ]);
  });

  it('reads SGLang output: counters, gauges and histograms whose _sum comes before the buckets', () => {
    const families = parseExposition(sample('sglang-metrics.prom'));
    expect(families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ['sglang:prompt_tokens_total', 'counter', 1],
      ['sglang:generation_tokens_total', 'counter', 1],
      ['sglang:token_usage', 'gauge', 1],
      ['sglang:cache_hit_rate', 'gauge', 1],
      ['sglang:time_to_first_token_seconds', 'histogram', 23], // 21 buckets + _sum + _count
      ['sglang:e2e_request_latency_seconds', 'histogram', 18],
      ['sglang:time_per_output_token_seconds', 'histogram', 21],
      ['sglang:func_latency_seconds', 'histogram', 21],
      ['sglang:num_running_reqs', 'gauge', 1],
      ['sglang:num_used_tokens', 'gauge', 1],
      ['sglang:gen_throughput', 'gauge', 1],
      ['sglang:num_queue_reqs', 'gauge', 1],
    ]);
    const llama = { model_name: 'meta-llama/Llama-3.1-8B-Instruct' };
    expect(byName(families, 'sglang:prompt_tokens_total').samples).toEqual([
      { name: 'sglang:prompt_tokens_total', labels: llama, value: 8128902, line: 3 },
    ]);
    const ttft = byName(families, 'sglang:time_to_first_token_seconds');
    expect(ttft.help).toBe('Histogram of time to first token in seconds.');
    expect(ttft.samples[0]).toEqual({
      name: 'sglang:time_to_first_token_seconds_sum',
      labels: llama,
      value: 2351897.9474117756,
      line: 15,
    });
    expect(ttft.samples[1]).toEqual({
      name: 'sglang:time_to_first_token_seconds_bucket',
      labels: { le: '0.001', ...llama },
      value: 0,
      line: 16,
    });
    expect(ttft.samples[22]).toEqual({
      name: 'sglang:time_to_first_token_seconds_count',
      labels: llama,
      value: 11008,
      line: 37,
    });
  });
});

describe('parseExposition: text format 0.0.4', () => {
  it('keeps every timestamped sample of a series (backfill) and shares one frozen labels object per series', () => {
    const families = parseExposition(fixture('dcgm-exporter.prom'));
    expect(families.map((f) => [f.name, f.type, f.help, f.samples.length])).toEqual([
      ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (in %).', 4],
      ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).', 4],
      ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'counter', 'Total energy consumption since boot (in mJ).', 4],
      ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'gauge', 'Ratio of time the graphics engine is active.', 4],
    ]);
    const energy = byName(families, 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION').samples;
    expect(energy.map((s) => [s.labels['gpu'], s.value, s.timestampMs, s.line])).toEqual([
      ['0', 1843294712345, 1767225600000, 17],
      ['1', 1790023456789, 1767225600000, 18],
      ['0', 1843303899845, 1767225615000, 19],
      ['1', 1790033289414, 1767225615000, 20],
    ]);
    expect(energy[0]?.labels).toEqual({
      gpu: '0',
      UUID: 'GPU-3f1c8a2e-5b7d-4e9a-8c61-2d4f0b9e7a13',
      pci_bus_id: '00000000:18:00.0',
      device: 'nvidia0',
      modelName: 'NVIDIA H100 80GB HBM3',
      Hostname: 'gpu-node-07',
      container: 'vllm',
      namespace: 'inference',
      pod: 'vllm-llama-3-70b-7d9f8c6b5-x2kqp',
    });
    expect(energy[2]?.labels).toBe(energy[0]?.labels);
    expect(Object.isFrozen(energy[0]?.labels)).toBe(true);
  });

  it('reads escapes, trailing commas, blanks, colons in names and special values', () => {
    const text = [
      '# HELP a:b_total A "quoted" help\\nwith a second line and a \\\\ backslash',
      '# TYPE a:b_total counter',
      'a:b_total{path="C:\\\\dir\\\\",q="say \\"hi\\"",nl="1\\n2",other="\\t",} 1.5e3 -1000',
      '   a:b_total { x = "y" , }   NaN',
      'a:b_total{x="z"} +Inf 0',
      'a:b_total{x="w"} -Inf',
      'a:b_total{x="v"} .5',
      'untyped_one 7',
      '',
      '# a free comment',
      'untyped_two{} 3\r',
    ].join('\n');
    const families = parseExposition(text);
    expect(families.map((f) => [f.name, f.type, f.help])).toEqual([
      ['a:b_total', 'counter', 'A "quoted" help\nwith a second line and a \\ backslash'],
      ['untyped_one', 'untyped', ''],
      ['untyped_two', 'untyped', ''],
    ]);
    const [first, second, third, fourth, fifth] = byName(families, 'a:b_total').samples;
    expect(first).toEqual({
      name: 'a:b_total',
      labels: { path: 'C:\\dir\\', q: 'say "hi"', nl: '1\n2', other: '\\t' },
      value: 1500,
      timestampMs: -1000,
      line: 3,
    });
    expect(second).toEqual({ name: 'a:b_total', labels: { x: 'y' }, value: NaN, line: 4 });
    expect(third).toEqual({ name: 'a:b_total', labels: { x: 'z' }, value: Infinity, timestampMs: 0, line: 5 });
    expect(fourth?.value).toBe(-Infinity);
    expect(fifth?.value).toBe(0.5);
    expect(byName(families, 'untyped_two').samples).toEqual([{ name: 'untyped_two', labels: {}, value: 3, line: 11 }]);
  });

  it('groups histogram and summary samples under their family and keeps prometheus_client _created gauges apart', () => {
    const text = [
      '# TYPE h histogram',
      'h_bucket{le="1"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 3',
      'h_count 2',
      '# TYPE s summary',
      's{quantile="0.5"} 1',
      's_sum 4',
      's_count 2',
      '# HELP c_total Requests.',
      '# TYPE c_total counter',
      'c_total 5',
      '# HELP c_created Requests.',
      '# TYPE c_created gauge',
      'c_created 1.7672256e+09',
    ].join('\n');
    const families = parseExposition(text);
    expect(families.map((f) => [f.name, f.type, f.samples.map((s) => s.name)])).toEqual([
      ['h', 'histogram', ['h_bucket', 'h_bucket', 'h_sum', 'h_count']],
      ['s', 'summary', ['s', 's_sum', 's_count']],
      ['c_total', 'counter', ['c_total']],
      ['c_created', 'gauge', ['c_created']],
    ]);
    expect(byName(families, 'c_created').samples[0]?.value).toBe(1767225600);
  });

  it('accepts Prometheus 3 quoted UTF-8 metric and label names', () => {
    const text = ['# TYPE "http.server.duration" gauge', '{"http.server.duration","http.route"="/v1/chat",code="200"} 0.25'].join('\n');
    expect(parseExposition(text)).toEqual([
      {
        name: 'http.server.duration',
        type: 'gauge',
        help: '',
        unit: '',
        samples: [
          { name: 'http.server.duration', labels: { 'http.route': '/v1/chat', code: '200' }, value: 0.25, line: 2 },
        ],
      },
    ]);
  });
});

describe('parseExposition: OpenMetrics 1.0', () => {
  it('detects OpenMetrics by # EOF and reads units, float-second timestamps, _created and exemplars', () => {
    const text = fixture('openmetrics.txt');
    expect(detectDialect(text)).toBe('openmetrics');
    const families = parseExposition(text);
    expect(families.map((f) => [f.name, f.type, f.unit])).toEqual([
      ['vllm:prompt_tokens', 'counter', ''],
      ['vllm:time_to_first_token_seconds', 'histogram', 'seconds'],
      ['gpu_power_usage_watts', 'gauge', 'watts'],
      ['request_latency_seconds', 'summary', 'seconds'],
      ['vllm_build', 'info', ''],
      ['vllm_feature', 'stateset', ''],
    ]);
    const llama = { model_name: 'meta-llama/Llama-3.1-8B-Instruct', engine: '0' };
    expect(byName(families, 'vllm:prompt_tokens').samples).toEqual([
      { name: 'vllm:prompt_tokens_total', labels: llama, value: 4523871, timestampMs: 1767225600125, line: 3 },
      { name: 'vllm:prompt_tokens_created', labels: llama, value: 1767222000.5, timestampMs: 1767225600125, line: 4 },
    ]);
    expect(byName(families, 'vllm:time_to_first_token_seconds').samples[1]).toEqual({
      name: 'vllm:time_to_first_token_seconds_bucket',
      labels: { ...llama, le: '0.5' },
      value: 9,
      timestampMs: 1767225600125,
      line: 9,
      exemplar: {
        labels: { trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736', span_id: '00f067aa0ba902b7' },
        value: 0.31,
        timestampMs: 1767225599987.654,
      },
    });
    const power = byName(families, 'gpu_power_usage_watts');
    expect(power.help).toBe('Power draw "instantaneous" (in W).\nRead by NVML.');
    // 1767225600.123456 s: the millisecond fraction survives
    expect(power.samples[0]?.timestampMs).toBe(1767225600123.456);
    expect(byName(families, 'vllm_build').samples[0]).toEqual({
      name: 'vllm_build_info',
      labels: { version: '0.11.0', revision: 'b8b302c' },
      value: 1,
      line: 28,
    });
  });

  it('detects OpenMetrics by # UNIT, and requires # EOF then', () => {
    const text = '# TYPE x_seconds gauge\n# UNIT x_seconds seconds\nx_seconds 1\n';
    expect(detectDialect(text)).toBe('openmetrics');
    expect(decodeError(() => parseExposition(text)).message).toBe(
      "line 4, column 1: expected '# EOF' as the last line of an OpenMetrics exposition",
    );
    // the same text read as Prometheus 0.0.4 on request
    expect(parseExposition(text, { dialect: 'prometheus' })[0]?.unit).toBe('seconds');
  });

  it('rejects content after # EOF', () => {
    expect(decodeError(() => parseExposition('a 1\n# EOF\na 2\n')).message).toBe(
      "line 3, column 1: unexpected content after '# EOF'",
    );
  });

  it('moves the decimal point instead of multiplying floats', () => {
    expect(parseScaledDecimal('1767225600.125', 3)).toBe(1767225600125);
    // 1767225601.007919 * 1000 is 1767225601007.9192 in floating point
    expect(parseScaledDecimal('1767225601.007919', 3)).toBe(1767225601007.919);
    expect(parseScaledDecimal('1.7672256e9', 3)).toBe(1767225600000);
    expect(parseScaledDecimal('-0.0005', 3)).toBe(-0.5);
    expect(parseScaledDecimal('12', 3)).toBe(12000);
    expect(parseScaledDecimal('1.2.3', 3)).toBeUndefined();
    expect(parseScaledDecimal('NaN', 3)).toBeUndefined();
  });
});

describe('parseExposition: errors name the line, the column and what was expected', () => {
  it('a label without =', () => {
    const text = '# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{gpu"0"} 5\n';
    const e = decodeError(() => parseExposition(text));
    expect(e.message).toBe('line 3, column 25: expected \'=\' after label name "gpu"');
    expect(e.reason).toBe('expected \'=\' after label name "gpu"');
    expect(e.position).toEqual({ line: 3, column: 25 });
    expect(e.status).toBe(400);
  });

  it('a value that is not a number', () => {
    const text = 'vllm:num_requests_running{engine="0"} 1\nvllm:num_requests_running{engine="0"} twelve\n';
    expect(decodeError(() => parseExposition(text)).message).toBe(
      'line 2, column 39: expected a number as the value of "vllm:num_requests_running", got "twelve"',
    );
  });

  it.each([
    ['up{job="x} 1', 'line 1, column 8: unterminated value of label "job": no closing \'"\' on this line'],
    ['up{job=x} 1', 'line 1, column 8: expected \'"\' to open the value of label "job"'],
    ['up{job="a" instance="b"} 1', "line 1, column 12: expected ',' or '}' after a label value"],
    ['up{job="a",job="b"} 1', 'line 1, column 12: duplicate label name "job"'],
    ['up{,} 1', "line 1, column 4: expected a label name or '}'"],
    ['up{job="a"}', 'line 1, column 12: expected a value for "up"'],
    ['up{job="a"}1', 'line 1, column 12: expected \' \' before the value of "up"'],
    ['up 0x10', 'line 1, column 4: expected a number as the value of "up", got "0x10"'],
    ['up 1 12.5', 'line 1, column 6: expected a timestamp in integer milliseconds, got "12.5"'],
    ['up 1 2 3', "line 1, column 8: expected end of line or ' # ' and an exemplar"],
    ['9up 1', 'line 1, column 1: expected a metric name'],
    ['up-time 1', 'line 1, column 3: expected \'{\' or \' \' after metric name "up"'],
    ['# TYPE up gauge\n# TYPE up counter', 'line 2, column 11: second TYPE line for metric "up": "counter" after "gauge"'],
    ['up 1\n# TYPE up gauge', 'line 2, column 11: TYPE line for metric "up" after its samples'],
    ['# TYPE up meter', 'line 1, column 11: unknown metric type "meter" (expected counter, gauge, histogram, summary, untyped, unknown, info, stateset or gaugehistogram)'],
    ['# TYPE h histogram\nh 1', 'line 2, column 1: sample "h" of histogram "h" needs a suffix (_bucket, _sum, _count, _created)'],
  ])('%j', (text, message) => {
    expect(decodeError(() => parseExposition(text, { dialect: 'prometheus' })).message).toBe(message);
  });

  it.each([
    ['x_total 1 1767225600.5.1\n# EOF', 'line 1, column 11: expected a timestamp in seconds, got "1767225600.5.1"'],
    ['x_total 1 # trace_id="a" 1\n# EOF', "line 1, column 13: expected '{' to open the exemplar's labels"],
    ['x_total 1 # {trace_id="a"}\n# EOF', "line 1, column 27: expected the exemplar's value"],
    ['x_total 1\n# EOF trailing', "line 2, column 7: unexpected text after '# EOF'"],
  ])('OpenMetrics %j', (text, message) => {
    expect(decodeError(() => parseExposition(text)).message).toBe(message);
  });
});
