/**
 * Sends to an OTLP/HTTP endpoint (the collector) with the OpenTelemetry SDK's own
 * exporters, in protobuf: spans with `@opentelemetry/exporter-trace-otlp-proto`, exporter
 * samples with `@opentelemetry/exporter-metrics-otlp-proto` (a backfill's bulk: protobuf
 * is smaller than OTLP/JSON and cheaper for the receiver to decode; the gateway's own
 * live metrics use `exporter-metrics-otlp-http`, simulation.ts). Each export is awaited and at
 * most `maxInFlight` are outstanding, so a fast producer (a backfill) waits for the
 * collector instead of piling up memory; a failed export (after the exporters' own
 * retries of 429/502/503/504) rejects.
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** `ExportResult` of @opentelemetry/core: code 0 is SUCCESS */
interface ExportOutcome {
  code: number;
  error?: Error;
}
const EXPORT_SUCCESS = 0;

export interface OtlpPushOptions {
  /** the OTLP/HTTP base URL, e.g. http://127.0.0.1:4318 (`/v1/traces`, `/v1/metrics` appended) */
  url: string;
  headers?: Record<string, string>;
  /** exports outstanding at once (default 4) */
  maxInFlight?: number;
  timeoutMillis?: number;
}

export class OtlpPush {
  readonly traces: OTLPTraceExporter;
  readonly metrics: OTLPMetricExporter;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: Error | undefined;
  /** items acknowledged */
  spansSent = 0;
  pointsSent = 0;

  constructor(opts: OtlpPushOptions) {
    const base = opts.url.replace(/\/+$/, '');
    const common = { headers: opts.headers ?? {}, timeoutMillis: opts.timeoutMillis ?? 60_000, concurrencyLimit: 64 };
    this.traces = new OTLPTraceExporter({ ...common, url: `${base}/v1/traces` });
    this.metrics = new OTLPMetricExporter({ ...common, url: `${base}/v1/metrics` });
    this.maxInFlight = opts.maxInFlight ?? 4;
  }

  /** Exports spans; resolves once the export is under way (not done): call `flush()` to wait. */
  async spans(spans: ReadableSpan[]): Promise<void> {
    if (spans.length === 0) return;
    await this.slot();
    this.run((cb) => this.traces.export(spans, cb), () => (this.spansSent += spans.length));
  }

  async resourceMetrics(rm: ResourceMetrics, points: number): Promise<void> {
    await this.slot();
    this.run((cb) => this.metrics.export(rm, cb), () => (this.pointsSent += points));
  }

  /** Waits for every export in flight; rejects with the first failure. */
  async flush(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((r) => this.waiting.push(r));
    this.throwIfFailed();
  }

  async shutdown(): Promise<void> {
    await this.flush().catch(() => {});
    await Promise.all([this.traces.shutdown(), this.metrics.shutdown()]);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private async slot(): Promise<void> {
    this.throwIfFailed();
    while (this.inFlight >= this.maxInFlight) {
      await new Promise<void>((r) => this.waiting.push(r));
      this.throwIfFailed();
    }
  }

  private run(send: (cb: (r: ExportOutcome) => void) => void, ok: () => void): void {
    this.inFlight++;
    send((r) => {
      this.inFlight--;
      if (r.code === EXPORT_SUCCESS) ok();
      else this.failure ??= new Error(`OTLP export failed: ${r.error?.message ?? 'unknown error'}`, { cause: r.error });
      // every waiter checks its own condition again
      for (const wake of this.waiting.splice(0)) wake();
    });
  }
}
