import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../core/errors.js';
import type { Attributes, GaugeRow, HistogramRow, SumRow } from '../../core/schema/otel-rows.js';
import { parseExposition } from './parse-exposition.js';
import { resourceAttributes, splitHostPort } from './target-resource.js';
import { expositionToRows, type ExpositionToRowsOptions } from './to-otel-rows.js';
import { msToUnixNano, secondsToUnixNano } from './unix-nano.js';

const sample = (name: string) => readFileSync(new URL(`../../../shared/samples/${name}`, import.meta.url), 'utf8');
const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/prometheus/${name}`, import.meta.url), 'utf8');
const rowsOf = (text: string, opts: ExpositionToRowsOptions) => expositionToRows(parseExposition(text), opts);

const SCOPE = 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver';
const NO_EXEMPLARS = {
  'Exemplars.FilteredAttributes': [],
  'Exemplars.TimeUnix': [],
  'Exemplars.Value': [],
  'Exemplars.SpanId': [],
  'Exemplars.TraceId': [],
};
/** The columns every row of one scrape target shares. */
function target(job: string, resource: Attributes) {
  return {
    ResourceAttributes: resource,
    ResourceSchemaUrl: '',
    ScopeName: SCOPE,
    ScopeVersion: '',
    ScopeAttributes: {},
    ScopeDroppedAttrCount: 0,
    ScopeSchemaUrl: '',
    ServiceName: job,
    Flags: 0,
  };
}

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('expositionToRows on real exporter output (shared/samples)', () => {
  it('maps dcgm-exporter README output to three gauge rows', () => {
    const rows = rowsOf(sample('dcgm-exporter-readme.prom'), {
      job: 'dcgm-exporter',
      instance: '10.0.0.7:9400',
      defaultTimeNs: '1767225600000000000',
    });
    const resource = {
      'service.name': 'dcgm-exporter',
      'server.address': '10.0.0.7',
      'service.instance.id': '10.0.0.7:9400',
      'server.port': '9400',
      'url.scheme': 'http',
    };
    const attributes = { gpu: '0', UUID: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52' };
    expect(rows.otel_metrics_gauge).toEqual([
      {
        ResourceAttributes: resource,
        ResourceSchemaUrl: '',
        ScopeName: SCOPE,
        ScopeVersion: '',
        ScopeAttributes: {},
        ScopeDroppedAttrCount: 0,
        ScopeSchemaUrl: '',
        ServiceName: 'dcgm-exporter',
        MetricName: 'DCGM_FI_DEV_SM_CLOCK',
        MetricDescription: 'SM clock frequency (in MHz).',
        MetricUnit: '',
        Attributes: attributes,
        StartTimeUnix: '0',
        TimeUnix: '1767225600000000000',
        Flags: 0,
        'Exemplars.FilteredAttributes': [],
        'Exemplars.TimeUnix': [],
        'Exemplars.Value': [],
        'Exemplars.SpanId': [],
        'Exemplars.TraceId': [],
        Value: 139,
      },
      {
        ...target('dcgm-exporter', resource),
        ...NO_EXEMPLARS,
        MetricName: 'DCGM_FI_DEV_MEM_CLOCK',
        MetricDescription: 'Memory clock frequency (in MHz).',
        MetricUnit: '',
        Attributes: attributes,
        StartTimeUnix: '0',
        TimeUnix: '1767225600000000000',
        Value: 405,
      },
      {
        ...target('dcgm-exporter', resource),
        ...NO_EXEMPLARS,
        MetricName: 'DCGM_FI_DEV_MEMORY_TEMP',
        MetricDescription: 'Memory temperature (in C).',
        MetricUnit: '',
        Attributes: attributes,
        StartTimeUnix: '0',
        TimeUnix: '1767225600000000000',
        Value: 9223372036854775808, // 9223372036854775794 as a double
      },
    ] satisfies GaugeRow[]);
    expect(rows.otel_metrics_sum).toEqual([]);
    expect(rows.otel_metrics_histogram).toEqual([]);
    expect(rows.otel_metrics_summary).toEqual([]);
    expect(rows.otel_traces).toEqual([]);
  });

  describe('SGLang output', () => {
    const rows = rowsOf(sample('sglang-metrics.prom'), {
      job: 'sglang',
      instance: 'sglang-0.sglang.inference.svc:30000',
      defaultTimeNs: '1767225600000000000',
    });
    const resource = {
      'service.name': 'sglang',
      'server.address': 'sglang-0.sglang.inference.svc',
      'service.instance.id': 'sglang-0.sglang.inference.svc:30000',
      'server.port': '30000',
      'url.scheme': 'http',
    };
    const llama = { model_name: 'meta-llama/Llama-3.1-8B-Instruct' };

    it('has 2 counters, 6 gauges, 4 histograms', () => {
      expect(rows.otel_metrics_sum.map((r) => [r.MetricName, r.Value])).toEqual([
        ['sglang:prompt_tokens_total', 8128902],
        ['sglang:generation_tokens_total', 7557572],
      ]);
      expect(rows.otel_metrics_gauge.map((r) => [r.MetricName, r.Value])).toEqual([
        ['sglang:token_usage', 0.28],
        ['sglang:cache_hit_rate', 0.007507552643049313],
        ['sglang:num_running_reqs', 162],
        ['sglang:num_used_tokens', 123859],
        ['sglang:gen_throughput', 86.50814177726902],
        ['sglang:num_queue_reqs', 2826],
      ]);
      expect(rows.otel_metrics_histogram.map((r) => r.MetricName)).toEqual([
        'sglang:time_to_first_token_seconds',
        'sglang:e2e_request_latency_seconds',
        'sglang:time_per_output_token_seconds',
        'sglang:func_latency_seconds',
      ]);
    });

    it('maps a counter to a monotonic cumulative sum that keeps _total', () => {
      expect(rows.otel_metrics_sum[0]).toEqual({
        ...target('sglang', resource),
        ...NO_EXEMPLARS,
        MetricName: 'sglang:prompt_tokens_total',
        MetricDescription: 'Number of prefill tokens processed.',
        MetricUnit: '',
        Attributes: llama,
        StartTimeUnix: '0',
        TimeUnix: '1767225600000000000',
        Value: 8128902,
        AggregationTemporality: 2,
        IsMonotonic: true,
      } satisfies SumRow);
    });

    it('maps the TTFT histogram (written _sum first) to bounds without +Inf and per-bucket counts', () => {
      // cumulative 0,0,0,0,1,3,6,6,6,6,6,27,140,314,941,1330,1970,2326,2417,2513 | +Inf 11008
      expect(rows.otel_metrics_histogram[0]).toEqual({
        ...target('sglang', resource),
        ...NO_EXEMPLARS,
        MetricName: 'sglang:time_to_first_token_seconds',
        MetricDescription: 'Histogram of time to first token in seconds.',
        MetricUnit: '',
        Attributes: llama,
        StartTimeUnix: '0',
        TimeUnix: '1767225600000000000',
        Count: 11008,
        Sum: 2351897.9474117756,
        ExplicitBounds: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 15, 20, 25, 30],
        BucketCounts: [0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 21, 113, 174, 627, 389, 640, 356, 91, 96, 8495],
        Min: 0,
        Max: 0,
        AggregationTemporality: 2,
      } satisfies HistogramRow);
    });

    it('de-cumulates counts written in exponent form (TPOT)', () => {
      const tpot = rows.otel_metrics_histogram[2];
      expect(tpot?.ExplicitBounds).toEqual([0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5]);
      // 1, 73-1, 382-73, 593-382, 855-593, 1035-855, 1815-1035, 11685-1815, 433413-11685, 4950195-433413,
      // 7039435-4950195, 7171662-7039435, 7266055-7171662, 7296752-7266055, 7312226-7296752,
      // 7339675-7312226, 7357747-7339675, 7389414-7357747, +Inf 7400757-7389414
      expect(tpot?.BucketCounts).toEqual([
        1, 72, 309, 211, 262, 180, 780, 9870, 421728, 4516782, 2089240, 132227, 94393, 30697, 15474, 27449, 18072, 31667, 11343,
      ]);
      expect(tpot?.Count).toBe(7400757);
      expect(tpot?.Sum).toBe(866964.5791549598);
    });

    it('keeps bounds as written, float noise included (func_latency)', () => {
      const f = rows.otel_metrics_histogram[3];
      expect(f?.Attributes).toEqual({ name: 'generate_request' });
      expect(f?.ExplicitBounds).toEqual([
        0.05, 0.07500000000000001, 0.1125, 0.16875, 0.253125, 0.3796875, 0.56953125, 0.8542968750000001, 1.2814453125,
        1.9221679687500002, 2.8832519531250003, 4.3248779296875, 6.487316894531251, 9.730975341796876, 14.596463012695313,
        21.89469451904297, 32.84204177856446, 49.26306266784668,
      ]);
      expect(f?.BucketCounts).toEqual([14006, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
      expect([f?.Count, f?.Sum]).toEqual([14007, 4.514771912145079]);
    });
  });
});

describe('expositionToRows on fixtures', () => {
  it('maps a dcgm-exporter backfill file: one row per sample and timestamp, extra labels added', () => {
    const rows = rowsOf(fixture('dcgm-exporter.prom'), {
      job: 'dcgm-exporter',
      instance: 'gpu-node-07:9400',
      defaultTimeNs: '0',
      extraLabels: { cluster: 'sovereign-ai-1', namespace: 'not-this-one' },
    });
    const resource = {
      'service.name': 'dcgm-exporter',
      'server.address': 'gpu-node-07',
      'service.instance.id': 'gpu-node-07:9400',
      'server.port': '9400',
      'url.scheme': 'http',
    };
    const gpu = (n: 0 | 1) => ({
      gpu: String(n),
      UUID: n === 0 ? 'GPU-3f1c8a2e-5b7d-4e9a-8c61-2d4f0b9e7a13' : 'GPU-a84d2c71-9e06-4b3f-b5d8-7c1e3f2a6b90',
      pci_bus_id: n === 0 ? '00000000:18:00.0' : '00000000:2A:00.0',
      device: `nvidia${n}`,
      modelName: 'NVIDIA H100 80GB HBM3',
      Hostname: 'gpu-node-07',
      container: 'vllm',
      namespace: 'inference', // the sample's own label wins over extraLabels
      pod: 'vllm-llama-3-70b-7d9f8c6b5-x2kqp',
      cluster: 'sovereign-ai-1',
    });
    const energy = (n: 0 | 1, timeUnix: string, value: number): SumRow => ({
      ...target('dcgm-exporter', resource),
      ...NO_EXEMPLARS,
      MetricName: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
      MetricDescription: 'Total energy consumption since boot (in mJ).',
      MetricUnit: '',
      Attributes: gpu(n),
      StartTimeUnix: '0',
      TimeUnix: timeUnix,
      Value: value,
      AggregationTemporality: 2,
      IsMonotonic: true,
    });
    expect(rows.otel_metrics_sum).toEqual([
      energy(0, '1767225600000000000', 1843294712345),
      energy(1, '1767225600000000000', 1790023456789),
      energy(0, '1767225615000000000', 1843303899845),
      energy(1, '1767225615000000000', 1790033289414),
    ]);
    expect(rows.otel_metrics_gauge.map((r) => [r.MetricName, r.Attributes['gpu'], r.TimeUnix, r.Value])).toEqual([
      ['DCGM_FI_DEV_GPU_UTIL', '0', '1767225600000000000', 87],
      ['DCGM_FI_DEV_GPU_UTIL', '1', '1767225600000000000', 93],
      ['DCGM_FI_DEV_GPU_UTIL', '0', '1767225615000000000', 91],
      ['DCGM_FI_DEV_GPU_UTIL', '1', '1767225615000000000', 12],
      ['DCGM_FI_DEV_POWER_USAGE', '0', '1767225600000000000', 612.457],
      ['DCGM_FI_DEV_POWER_USAGE', '1', '1767225600000000000', 655.012],
      ['DCGM_FI_DEV_POWER_USAGE', '0', '1767225615000000000', 598.331],
      ['DCGM_FI_DEV_POWER_USAGE', '1', '1767225615000000000', 143.905],
      ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', '0', '1767225600000000000', 0.912345],
      ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', '1', '1767225600000000000', 0.958112],
      ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', '0', '1767225615000000000', 0.934501],
      ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', '1', '1767225615000000000', 0.101234],
    ]);
    expect(rows.otel_metrics_gauge[5]).toEqual({
      ...target('dcgm-exporter', resource),
      ...NO_EXEMPLARS,
      MetricName: 'DCGM_FI_DEV_POWER_USAGE',
      MetricDescription: 'Power draw (in W).',
      MetricUnit: '',
      Attributes: gpu(1),
      StartTimeUnix: '0',
      TimeUnix: '1767225600000000000',
      Value: 655.012,
    } satisfies GaugeRow);
    // rows of one series share their (frozen) attribute and resource objects
    expect(rows.otel_metrics_sum[2]?.Attributes).toBe(rows.otel_metrics_sum[0]?.Attributes);
    expect(Object.isFrozen(rows.otel_metrics_sum[0]?.Attributes)).toBe(true);
    expect(Object.isFrozen(rows.otel_metrics_sum[0]?.ResourceAttributes)).toBe(true);
  });

  describe('vLLM V1 output', () => {
    const rows = rowsOf(fixture('vllm.prom'), {
      job: 'vllm',
      instance: '10.42.7.3:8000',
      defaultTimeNs: '1767225600000000000',
    });
    const resource = {
      'service.name': 'vllm',
      'server.address': '10.42.7.3',
      'service.instance.id': '10.42.7.3:8000',
      'server.port': '8000',
      'url.scheme': 'http',
    };
    const llama = { model_name: 'meta-llama/Llama-3.1-8B-Instruct', engine: '0' };

    it('maps gauges and counters', () => {
      expect(rows.otel_metrics_gauge.map((r) => [r.MetricName, r.Attributes, r.Value])).toEqual([
        ['vllm:num_requests_running', llama, 12],
        ['vllm:num_requests_waiting', llama, 3],
        ['vllm:kv_cache_usage_perc', llama, 0.4172],
      ]);
      expect(rows.otel_metrics_sum.map((r) => [r.MetricName, r.Attributes, r.Value, r.IsMonotonic])).toEqual([
        ['vllm:prompt_tokens_total', llama, 4523871, true],
        ['vllm:generation_tokens_total', llama, 1187342, true],
        ['vllm:request_success_total', { ...llama, finished_reason: 'stop' }, 4172, true],
        ['vllm:request_success_total', { ...llama, finished_reason: 'length' }, 311, true],
        ['vllm:request_success_total', { ...llama, finished_reason: 'abort' }, 0, true],
      ]);
    });

    it('maps TTFT to one histogram row with vLLM bounds and per-bucket counts', () => {
      expect(rows.otel_metrics_histogram[0]).toEqual({
        ...target('vllm', resource),
        ...NO_EXEMPLARS,
        MetricName: 'vllm:time_to_first_token_seconds',
        MetricDescription: 'Histogram of time to first token in seconds.',
        MetricUnit: '',
        Attributes: llama,
        StartTimeUnix: '0',
        TimeUnix: '1767225600000000000',
        Count: 4483,
        Sum: 612.8841236400604,
        ExplicitBounds: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560],
        // cumulative 0,0,3,44,432,1134,1945,2599,3719,4217,4358,4410,4458,4475,4480,4482,4483,... | +Inf 4483
        BucketCounts: [0, 0, 3, 41, 388, 702, 811, 654, 1120, 498, 141, 52, 48, 17, 5, 2, 1, 0, 0, 0, 0, 0, 0],
        Min: 0,
        Max: 0,
        AggregationTemporality: 2,
      } satisfies HistogramRow);
    });

    it('maps inter-token and end-to-end latency', () => {
      const [, itl, e2e] = rows.otel_metrics_histogram;
      expect(itl?.MetricName).toBe('vllm:inter_token_latency_seconds');
      expect(itl?.ExplicitBounds).toEqual([0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80]);
      // cumulative 0, 402113, 1.133317e+06, 1.174604e+06, 1.180616e+06, 1.182406e+06, 1.182716e+06,
      // 1.182815e+06, 1.182846e+06, 1.182854e+06, 1.182857e+06, 1.182859e+06, ... | +Inf 1.182859e+06
      expect(itl?.BucketCounts).toEqual([0, 402113, 731204, 41287, 6012, 1790, 310, 99, 31, 8, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect([itl?.Count, itl?.Sum]).toEqual([1182859, 24923.574119091034]);
      expect(e2e?.MetricName).toBe('vllm:e2e_request_latency_seconds');
      expect(e2e?.ExplicitBounds).toEqual([0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680]);
      expect(e2e?.BucketCounts).toEqual([0, 0, 0, 2, 14, 37, 58, 402, 1533, 1201, 688, 412, 101, 23, 9, 3, 0, 0, 0, 0, 0, 0]);
      expect([e2e?.Count, e2e?.Sum]).toEqual([4483, 41235.78120994568]);
    });
  });

  it('maps OpenMetrics: units, _created start times, float-second times, exemplars, summary, info, stateset', () => {
    const rows = rowsOf(fixture('openmetrics.txt'), {
      job: 'vllm',
      instance: 'localhost:8000',
      defaultTimeNs: '1767225630000000000',
    });
    // localhost is not a discernible host: no server.address
    const resource = { 'service.name': 'vllm', 'service.instance.id': 'localhost:8000', 'server.port': '8000', 'url.scheme': 'http' };
    const llama = { model_name: 'meta-llama/Llama-3.1-8B-Instruct', engine: '0' };
    expect(rows.otel_metrics_sum).toEqual([
      {
        ...target('vllm', resource),
        ...NO_EXEMPLARS,
        MetricName: 'vllm:prompt_tokens_total',
        MetricDescription: 'Number of prefill tokens processed.',
        MetricUnit: '',
        Attributes: llama,
        StartTimeUnix: '1767222000500000000', // vllm:prompt_tokens_created 1767222000.5
        TimeUnix: '1767225600125000000', // 1767225600.125 s
        Value: 4523871,
        AggregationTemporality: 2,
        IsMonotonic: true,
      },
      {
        ...target('vllm', resource),
        ...NO_EXEMPLARS,
        MetricName: 'vllm_build', // the receiver names an info metric by its family
        MetricDescription: '',
        MetricUnit: '',
        Attributes: { version: '0.11.0', revision: 'b8b302c' },
        StartTimeUnix: '0',
        TimeUnix: '1767225630000000000',
        Value: 1,
        AggregationTemporality: 2,
        IsMonotonic: false,
      },
      {
        ...target('vllm', resource),
        ...NO_EXEMPLARS,
        MetricName: 'vllm_feature',
        MetricDescription: '',
        MetricUnit: '',
        Attributes: { vllm_feature: 'prefix_caching' },
        StartTimeUnix: '0',
        TimeUnix: '1767225630000000000',
        Value: 1,
        AggregationTemporality: 2,
        IsMonotonic: false,
      },
      {
        ...target('vllm', resource),
        ...NO_EXEMPLARS,
        MetricName: 'vllm_feature',
        MetricDescription: '',
        MetricUnit: '',
        Attributes: { vllm_feature: 'chunked_prefill' },
        StartTimeUnix: '0',
        TimeUnix: '1767225630000000000',
        Value: 0,
        AggregationTemporality: 2,
        IsMonotonic: false,
      },
    ] satisfies SumRow[]);
    expect(rows.otel_metrics_histogram).toEqual([
      {
        ...target('vllm', resource),
        MetricName: 'vllm:time_to_first_token_seconds',
        MetricDescription: 'Histogram of time to first token in seconds.',
        MetricUnit: 'seconds',
        Attributes: llama,
        StartTimeUnix: '1767222000500000000',
        TimeUnix: '1767225600125000000',
        'Exemplars.FilteredAttributes': [{}],
        'Exemplars.TimeUnix': ['1767225599987654000'], // 1767225599.987654 s
        'Exemplars.Value': [0.31],
        'Exemplars.SpanId': ['00f067aa0ba902b7'],
        'Exemplars.TraceId': ['4bf92f3577b34da6a3ce929d0e0e4736'], // lowercase, as the exporter writes ids
        Count: 10,
        Sum: 2.75,
        ExplicitBounds: [0.1, 0.5],
        BucketCounts: [5, 4, 1],
        Min: 0,
        Max: 0,
        AggregationTemporality: 2,
      },
    ] satisfies HistogramRow[]);
    expect(rows.otel_metrics_gauge).toEqual([
      {
        ...target('vllm', resource),
        ...NO_EXEMPLARS,
        MetricName: 'gpu_power_usage_watts',
        MetricDescription: 'Power draw "instantaneous" (in W).\nRead by NVML.',
        MetricUnit: 'watts',
        Attributes: { gpu: '0', Hostname: 'gpu-node-07' },
        StartTimeUnix: '0',
        TimeUnix: '1767225600123456000', // 1767225600.123456 s, to the microsecond
        Value: 612.457,
      },
    ] satisfies GaugeRow[]);
    expect(rows.otel_metrics_summary).toEqual([
      {
        ...target('vllm', resource),
        MetricName: 'request_latency_seconds',
        MetricDescription: 'Gateway request latency.',
        MetricUnit: 'seconds',
        Attributes: { route: '/v1/chat/completions' },
        StartTimeUnix: '1767222000000000000',
        TimeUnix: '1767225630000000000',
        Count: 4483,
        Sum: 5012.5,
        'ValueAtQuantiles.Quantile': [0.5, 0.9, 0.99], // written 0.5, 0.99, 0.9
        'ValueAtQuantiles.Value': [0.84, 1.9, 3.2],
      },
    ]);
  });
});

describe('expositionToRows: targets, attributes, exemplars', () => {
  it("uses a sample's own job/instance labels for its resource (federation, backfill) and drops empty labels", () => {
    const text = [
      '# TYPE up gauge',
      'up{job="node",instance="[::1]:9100"} 1 1767225600000',
      'up{job="dcgm",instance="gpu-node-07",empty=""} 1 1767225600000',
      'up 0',
    ].join('\n');
    const rows = rowsOf(text, { job: 'federate', instance: 'prometheus:9090', defaultTimeNs: '1767225630000000000' });
    expect(rows.otel_metrics_gauge.map((r) => [r.ServiceName, r.ResourceAttributes, r.Attributes, r.TimeUnix, r.Value])).toEqual([
      [
        'node',
        { 'service.name': 'node', 'service.instance.id': '[::1]:9100', 'server.port': '9100', 'url.scheme': 'http' },
        {},
        '1767225600000000000',
        1,
      ],
      [
        'dcgm',
        {
          'service.name': 'dcgm',
          'server.address': 'gpu-node-07',
          'service.instance.id': 'gpu-node-07',
          'server.port': '',
          'url.scheme': 'http',
        },
        {},
        '1767225600000000000',
        1,
      ],
      [
        'federate',
        {
          'service.name': 'federate',
          'server.address': 'prometheus',
          'service.instance.id': 'prometheus:9090',
          'server.port': '9090',
          'url.scheme': 'http',
        },
        {},
        '1767225630000000000',
        0,
      ],
    ]);
  });

  it('keeps le and quantile labels on gauges (the receiver drops them only for histograms and summaries)', () => {
    const rows = rowsOf('legacy_bucket_gauge{le="0.5"} 3\n', { job: 'j', instance: 'i:1', defaultTimeNs: '1' });
    expect(rows.otel_metrics_gauge[0]?.Attributes).toEqual({ le: '0.5' });
  });

  it('keeps exemplar labels that are not valid trace/span ids as filtered attributes', () => {
    const text = '# TYPE x counter\nx_total 1 # {trace_id="xyz",span_id="abc",user="u1"} 1\n# EOF\n';
    const row = rowsOf(text, { job: 'j', instance: 'i:1', defaultTimeNs: '5' }).otel_metrics_sum[0];
    expect(row?.['Exemplars.FilteredAttributes']).toEqual([{ trace_id: 'xyz', span_id: 'abc', user: 'u1' }]);
    expect(row?.['Exemplars.TraceId']).toEqual(['']);
    expect(row?.['Exemplars.SpanId']).toEqual(['']);
    expect(row?.['Exemplars.TimeUnix']).toEqual(['0']);
    expect(row?.['Exemplars.Value']).toEqual([1]);
  });

  it('splits host:port and recognises hosts that are not discernible, as Go net.SplitHostPort and the receiver do', () => {
    expect(splitHostPort('10.0.0.1:9400')).toEqual({ host: '10.0.0.1', port: '9400' });
    expect(splitHostPort('[fe80::1]:9400')).toEqual({ host: 'fe80::1', port: '9400' });
    expect(splitHostPort('10.0.0.1')).toBeUndefined();
    expect(splitHostPort('fe80::1')).toBeUndefined();
    expect(resourceAttributes('j', '127.0.0.1:9400', 'https')).toEqual({
      'service.name': 'j',
      'service.instance.id': '127.0.0.1:9400',
      'server.port': '9400',
      'url.scheme': 'https',
    });
    expect(resourceAttributes('j', '0.0.0.0:1', 'http')['server.address']).toBeUndefined();
  });
});

describe('expositionToRows: bad histograms and summaries are DecodeErrors naming the line', () => {
  it('a histogram without a +Inf bucket', () => {
    const text = [
      '# TYPE vllm:e2e_request_latency_seconds histogram',
      'vllm:e2e_request_latency_seconds_bucket{model_name="m",le="0.3"} 1',
      'vllm:e2e_request_latency_seconds_bucket{model_name="m",le="0.5"} 2',
      'vllm:e2e_request_latency_seconds_count{model_name="m"} 2',
      'vllm:e2e_request_latency_seconds_sum{model_name="m"} 0.7',
    ].join('\n');
    const e = decodeError(() => rowsOf(text, { job: 'j', instance: 'i:1', defaultTimeNs: '1' }));
    expect(e.message).toBe('line 5, column 1: histogram "vllm:e2e_request_latency_seconds"{model_name="m"} has no le="+Inf" bucket');
    expect(e.position).toEqual({ line: 5, column: 1 });
  });

  it('cumulative bucket counts that decrease', () => {
    const text = ['# TYPE h histogram', 'h_bucket{model_name="m",le="0.3"} 5', 'h_bucket{model_name="m",le="0.5"} 3', 'h_bucket{model_name="m",le="+Inf"} 5'].join('\n');
    expect(decodeError(() => rowsOf(text, { job: 'j', instance: 'i:1', defaultTimeNs: '1' })).message).toBe(
      'line 3, column 1: histogram "h"{model_name="m"}: bucket le="0.5" counts 3, less than 5 in bucket le="0.3" (cumulative counts must not decrease)',
    );
  });

  it('a bucket without le, a bucket with a bad le, a summary without _count', () => {
    const opts = { job: 'j', instance: 'i:1', defaultTimeNs: '1' };
    expect(decodeError(() => rowsOf('# TYPE h histogram\nh_bucket{a="b"} 1\n', opts)).message).toBe(
      'line 2, column 1: histogram sample "h_bucket" has no \'le\' label',
    );
    expect(decodeError(() => rowsOf('# TYPE h histogram\nh_bucket{le="fast"} 1\n', opts)).message).toBe(
      'line 2, column 1: histogram sample "h_bucket" has an invalid le="fast"',
    );
    expect(decodeError(() => rowsOf('# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 2\n', opts)).message).toBe(
      'line 3, column 1: summary "s" has no s_count sample',
    );
  });

  it('a histogram without _count takes its count from the +Inf bucket', () => {
    const rows = rowsOf('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 3\n', { job: 'j', instance: 'i:1', defaultTimeNs: '1' });
    expect(rows.otel_metrics_histogram.map((r) => [r.Count, r.Sum, r.ExplicitBounds, r.BucketCounts])).toEqual([[3, 0, [1], [2, 1]]]);
  });

  it('groups one series of a histogram at several timestamps into one row per timestamp', () => {
    const text = [
      '# TYPE h histogram',
      'h_bucket{le="1"} 1 1000',
      'h_bucket{le="+Inf"} 1 1000',
      'h_count 1 1000',
      'h_bucket{le="1"} 1 2000',
      'h_bucket{le="+Inf"} 4 2000',
      'h_count 4 2000',
    ].join('\n');
    const rows = rowsOf(text, { job: 'j', instance: 'i:1', defaultTimeNs: '1' });
    expect(rows.otel_metrics_histogram.map((r) => [r.TimeUnix, r.Count, r.BucketCounts])).toEqual([
      ['1000000000', 1, [1, 0]],
      ['2000000000', 4, [1, 3]],
    ]);
  });
});

describe('unix time conversion', () => {
  it('converts milliseconds and seconds to nanosecond strings without float error', () => {
    expect(msToUnixNano(1767225600000)).toBe('1767225600000000000');
    expect(msToUnixNano(1767225600123.456)).toBe('1767225600123456000');
    expect(msToUnixNano(1767225601007.919)).toBe('1767225601007919000'); // BigInt(ms * 1e6) is ...007918848
    expect(msToUnixNano(1767225600001.5)).toBe('1767225600001500000'); // BigInt(ms * 1e6) is ...001499904
    expect(msToUnixNano(0)).toBe('0');
    expect(msToUnixNano(-1.5)).toBe('-1500000');
    expect(msToUnixNano(0.0000001)).toBe('0');
    expect(msToUnixNano(2 ** 60)).toBe('1152921504606846976000000');
    expect(secondsToUnixNano(1767222000.5)).toBe('1767222000500000000');
    expect(secondsToUnixNano(1.7672256e9)).toBe('1767225600000000000');
  });

  it('rejects a default time that is not a decimal string of nanoseconds', () => {
    expect(() => expositionToRows([], { job: 'j', instance: 'i', defaultTimeNs: '1.5e18' })).toThrow(
      'defaultTimeNs must be unix nanoseconds as a decimal string, got "1.5e18"',
    );
  });
});
