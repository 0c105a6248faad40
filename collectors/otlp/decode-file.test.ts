import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeErrorOf } from '../../test/fixtures/otlp/decode-error-of.js';
import { genAiTraceExport } from '../../test/fixtures/otlp/sdk-genai-export.js';
import { decodeOtlpFile } from './decode-file.js';
import { decodeOtlp } from './decode-otlp.js';

const sample = (name: string): string => readFileSync(new URL(`../../../shared/samples/${name}`, import.meta.url), 'utf8');

describe('decodeOtlpFile', () => {
  const traces = sample('otlp-trace.json');
  const metrics = sample('otlp-metrics.json');
  const compact = (text: string): string => JSON.stringify(JSON.parse(text));

  it('a pretty-printed document is one export request', () => {
    expect(decodeOtlpFile(Buffer.from(traces), { format: 'json' })).toEqual(decodeOtlp(traces, { format: 'json' }));
  });

  it('JSON Lines: one request per line, of any signal, rows in file order', () => {
    const file = `${compact(traces)}\n\n${compact(metrics)}\n${compact(traces)}\n`;
    const rows = decodeOtlpFile(file, { format: 'json' });
    const spans = decodeOtlp(traces, { format: 'json' }).otel_traces;
    expect(rows.otel_traces).toEqual([...spans, ...spans]);
    expect(rows.otel_metrics_sum).toEqual(decodeOtlp(metrics, { format: 'json' }).otel_metrics_sum);
  });

  it('an error on a line carries the file line number', () => {
    const file = `${compact(traces)}\n${compact(traces).replace('"EEE19B7EC3C1B174"', '"EEE1"')}\n`;
    const error = decodeErrorOf(() => decodeOtlpFile(file, { format: 'json' }));
    expect(error.position).toEqual({ line: 2, path: 'resourceSpans[0].scopeSpans[0].spans[0].spanId' });
    const broken = decodeErrorOf(() => decodeOtlpFile(`${compact(traces)}\n{"resourceSpans": [}\n`, { format: 'json' }));
    expect(broken.position).toEqual({ line: 2, column: 20 });
  });

  it('a protobuf file with its signal', () => {
    const { protobuf } = genAiTraceExport();
    expect(decodeOtlpFile(protobuf, { format: 'protobuf', signal: 'traces' }).otel_traces).toHaveLength(2);
  });
});
