/**
 * The AI gateway's spans, made with the OpenTelemetry SDK (`@opentelemetry/sdk-trace-base`)
 * from the engine's records, with the simulated times and ids:
 *
 * - a model call: span `chat {model}` (CLIENT), attributes of the GenAI semantic
 *   conventions — `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
 *   `gen_ai.response.model` (when a response came), `gen_ai.request.max_tokens`,
 *   `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`,
 *   `gen_ai.server.time_to_first_token` (s, when a token came), `gen_ai.response.finish_reasons`,
 *   `server.address` (the deployment's endpoint), `server.port`, `error.type` and status
 *   ERROR on failure — plus `tenant.id`, and `workflow.id` / `workflow.step` inside a
 *   workflow, where it is a child of the attempt's root span;
 * - a workflow attempt: root span `invoke_agent {workflow}` (INTERNAL) with
 *   `gen_ai.operation.name` = invoke_agent, `gen_ai.agent.name`, `workflow.id`,
 *   `workflow.name`, `workflow.outcome` (success | failure | error), `workflow.attempt`,
 *   `tenant.id`; status ERROR unless it succeeded.
 *
 * Ids come from the engine (its seeded generator) through an IdGenerator whose next ids
 * are set before each span starts.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type IdGenerator, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptRecord, CallRecord, SimSink } from './engine.js';
import { hrTime } from './otlp-metrics.js';

export const GATEWAY_RESOURCE: Attributes = {
  'service.name': 'ai-gateway',
  'service.version': '2.4.1',
  'deployment.environment.name': 'demo',
};
export const GATEWAY_SCOPE = { name: 'token-factory-simulator/gateway', version: '0.1.0' };
export const PROVIDER_NAME = 'vllm';
export const SERVER_PORT = 8000;

/** Hands out the ids set just before a span starts. */
class NextIds implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return this.spanId;
  }
}

/** Collects ended spans for the caller to export in batches of its choosing. */
export class CollectingSpanProcessor implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  /** the spans collected so far, forgotten here */
  take(): ReadableSpan[] {
    const out = this.spans;
    this.spans = [];
    return out;
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export class SpanEmitter implements Pick<SimSink, 'call' | 'attempt'> {
  private readonly ids = new NextIds();
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  /** spans made */
  emitted = 0;

  constructor(processor: SpanProcessor, resource: Attributes = GATEWAY_RESOURCE) {
    this.provider = new BasicTracerProvider({ resource: resourceFromAttributes(resource), idGenerator: this.ids, spanProcessors: [processor] });
    this.tracer = this.provider.getTracer(GATEWAY_SCOPE.name, GATEWAY_SCOPE.version);
  }

  call(c: CallRecord): void {
    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': PROVIDER_NAME,
      'gen_ai.request.model': c.model,
      'gen_ai.usage.input_tokens': c.inputTokens,
      'gen_ai.usage.output_tokens': c.outputTokens,
      'server.address': c.endpoint,
      'server.port': SERVER_PORT,
      'tenant.id': c.tenant,
    };
    if (c.errorType !== '503') attributes['gen_ai.response.model'] = c.model;
    if (c.ttftS !== undefined) attributes['gen_ai.server.time_to_first_token'] = Math.round(c.ttftS * 1e6) / 1e6;
    if (c.finishReason !== 'error') attributes['gen_ai.response.finish_reasons'] = [c.finishReason];
    if (c.errorType !== undefined) attributes['error.type'] = c.errorType;
    if (c.workflowId !== undefined) attributes['workflow.id'] = c.workflowId;
    if (c.step !== undefined) attributes['workflow.step'] = c.step;
    this.ids.traceId = c.traceId;
    this.ids.spanId = c.spanId;
    const parent =
      c.parentSpanId === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { traceId: c.traceId, spanId: c.parentSpanId, traceFlags: TraceFlags.SAMPLED });
    const span = this.tracer.startSpan(`chat ${c.model}`, { kind: SpanKind.CLIENT, startTime: hrTime(c.startMs), attributes }, parent);
    if (c.errorType !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: ERROR_MESSAGES[c.errorType] ?? c.errorType });
    span.end(hrTime(c.endMs));
    this.emitted++;
  }

  attempt(a: AttemptRecord): void {
    this.ids.traceId = a.traceId;
    this.ids.spanId = a.spanId;
    const span = this.tracer.startSpan(
      `invoke_agent ${a.workflowName}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: hrTime(a.startMs),
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': a.workflowName,
          'workflow.id': a.workflowId,
          'workflow.name': a.workflowName,
          'workflow.outcome': a.outcome,
          'workflow.attempt': a.attempt,
          'tenant.id': a.tenant,
        },
      },
      ROOT_CONTEXT,
    );
    span.setStatus(a.outcome === 'success' ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: a.outcome === 'failure' ? 'the result failed its check' : 'a model call failed after retries' });
    span.end(hrTime(a.endMs));
    this.emitted++;
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

const ERROR_MESSAGES: Record<string, string> = {
  '503': 'upstream 503: the inference server is unavailable',
  '502': 'upstream connection reset while streaming',
  timeout: 'client timeout',
};
