/**
 * An OTLP trace export to `otel_traces` rows, column for column as the OpenTelemetry
 * Collector contrib clickhouseexporter writes them (`exporter_traces.go`, `pushTraceData`):
 * - Timestamp: span start (ns); Duration: end − start in ns, uint64 arithmetic as in Go;
 * - TraceId/SpanId/ParentSpanId and link ids: lowercase hex, "" for an absent id;
 * - SpanKind / StatusCode: pdata's `SpanKind.String()` / `StatusCode.String()`;
 * - ServiceName: resource attribute `service.name`; attributes rendered by `AsString()`;
 * - ScopeName/ScopeVersion from the instrumentation scope; events and links as the
 *   `Events.*` / `Links.*` Nested columns.
 * Pure: the request in, rows out. Rows never share objects with each other.
 */
import { DecodeError } from '../../core/errors.js';
import type { SpanRow } from '../../core/schema/otel-rows.js';
import { attributesToMap, serviceNameOf } from './attributes.js';
import { checkIdLength, idToHexOrEmpty, SPAN_ID_BYTES, TRACE_ID_BYTES } from './ids.js';
import { u64DifferenceToDecimal, u64ToDecimal } from './int64.js';
import type { ExportTraceServiceRequest, Span } from './otlp-proto.js';

/** pdata `ptrace.SpanKind.String()`, by OTLP enum value. */
const SPAN_KIND_NAMES: readonly string[] = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];

/** pdata `ptrace.StatusCode.String()`, by OTLP enum value. */
const STATUS_CODE_NAMES: readonly SpanRow['StatusCode'][] = ['Unset', 'Ok', 'Error'];

export function tracesToRows(request: ExportTraceServiceRequest): SpanRow[] {
  const rows: SpanRow[] = [];
  request.resourceSpans.forEach((resourceSpans, i) => {
    const resourceAttributes = resourceSpans.resource?.attributes ?? [];
    const serviceName = serviceNameOf(resourceAttributes);
    resourceSpans.scopeSpans.forEach((scopeSpans, j) => {
      const scopeName = scopeSpans.scope?.name ?? '';
      const scopeVersion = scopeSpans.scope?.version ?? '';
      scopeSpans.spans.forEach((span, k) => {
        const path = `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
        rows.push({
          ...spanColumns(span, path),
          ServiceName: serviceName,
          ResourceAttributes: attributesToMap(resourceAttributes),
          ScopeName: scopeName,
          ScopeVersion: scopeVersion,
        });
      });
    });
  });
  return rows;
}

type SpanOwnColumns = Omit<SpanRow, 'ServiceName' | 'ResourceAttributes' | 'ScopeName' | 'ScopeVersion'>;

function spanColumns(span: Span, path: string): SpanOwnColumns {
  const kind = span.kind ?? 0;
  const spanKind = SPAN_KIND_NAMES[kind];
  if (spanKind === undefined) throw new DecodeError(`unknown span kind ${kind}`, { path: `${path}.kind` });
  const code = span.status?.code ?? 0;
  const statusCode = STATUS_CODE_NAMES[code];
  if (statusCode === undefined) throw new DecodeError(`unknown status code ${code}`, { path: `${path}.status.code` });

  const row: SpanOwnColumns = {
    Timestamp: u64ToDecimal(span.startTimeUnixNano),
    TraceId: checkedId(span.traceId, TRACE_ID_BYTES, `${path}.traceId`),
    SpanId: checkedId(span.spanId, SPAN_ID_BYTES, `${path}.spanId`),
    ParentSpanId: checkedId(span.parentSpanId, SPAN_ID_BYTES, `${path}.parentSpanId`),
    TraceState: span.traceState ?? '',
    SpanName: span.name ?? '',
    SpanKind: spanKind,
    SpanAttributes: attributesToMap(span.attributes),
    Duration: u64DifferenceToDecimal(span.endTimeUnixNano, span.startTimeUnixNano),
    StatusCode: statusCode,
    StatusMessage: span.status?.message ?? '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
  for (const event of span.events) {
    row['Events.Timestamp'].push(u64ToDecimal(event.timeUnixNano));
    row['Events.Name'].push(event.name ?? '');
    row['Events.Attributes'].push(attributesToMap(event.attributes));
  }
  span.links.forEach((link, l) => {
    row['Links.TraceId'].push(checkedId(link.traceId, TRACE_ID_BYTES, `${path}.links[${l}].traceId`));
    row['Links.SpanId'].push(checkedId(link.spanId, SPAN_ID_BYTES, `${path}.links[${l}].spanId`));
    row['Links.TraceState'].push(link.traceState ?? '');
    row['Links.Attributes'].push(attributesToMap(link.attributes));
  });
  return row;
}

function checkedId(id: Uint8Array | null, size: number, path: string): string {
  return idToHexOrEmpty(checkIdLength(id, size, path));
}
