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
import { hasIdLength, idLengthError, idToHexOrEmpty, SPAN_ID_BYTES, TRACE_ID_BYTES } from './ids.js';
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
    const resource: ResourceColumns = {
      ServiceName: serviceNameOf(resourceAttributes),
      ResourceAttributes: attributesToMap(resourceAttributes),
    };
    resourceSpans.scopeSpans.forEach((scopeSpans, j) => {
      const scope: ScopeColumns = {
        ...resource,
        ScopeName: scopeSpans.scope?.name ?? '',
        ScopeVersion: scopeSpans.scope?.version ?? '',
        path: `resourceSpans[${i}].scopeSpans[${j}]`,
      };
      const spans = scopeSpans.spans;
      for (let k = 0; k < spans.length; k++) rows.push(spanToRow(spans[k]!, scope, k));
    });
  });
  return rows;
}

type ResourceColumns = Pick<SpanRow, 'ServiceName' | 'ResourceAttributes'>;

/** What every span of one ScopeSpans shares, and where they are (for errors). */
interface ScopeColumns extends ResourceColumns, Pick<SpanRow, 'ScopeName' | 'ScopeVersion'> {
  path: string;
}

/** Where a field of span `k` is; built only for an error. */
function spanPath(scope: ScopeColumns, k: number, field: string): string {
  return `${scope.path}.spans[${k}].${field}`;
}

function checkIdLength(id: Uint8Array | null, size: number, scope: ScopeColumns, k: number, field: string): void {
  if (!hasIdLength(id, size)) throw idLengthError(id, size, spanPath(scope, k, field));
}

function spanToRow(span: Span, scope: ScopeColumns, k: number): SpanRow {
  const kind = span.kind ?? 0;
  const spanKind = SPAN_KIND_NAMES[kind];
  if (spanKind === undefined) throw new DecodeError(`unknown span kind ${kind}`, { path: spanPath(scope, k, 'kind') });
  const code = span.status?.code ?? 0;
  const statusCode = STATUS_CODE_NAMES[code];
  if (statusCode === undefined) throw new DecodeError(`unknown status code ${code}`, { path: spanPath(scope, k, 'status.code') });
  checkIdLength(span.traceId, TRACE_ID_BYTES, scope, k, 'traceId');
  checkIdLength(span.spanId, SPAN_ID_BYTES, scope, k, 'spanId');
  checkIdLength(span.parentSpanId, SPAN_ID_BYTES, scope, k, 'parentSpanId');

  const row: SpanRow = {
    Timestamp: u64ToDecimal(span.startTimeUnixNano),
    TraceId: idToHexOrEmpty(span.traceId),
    SpanId: idToHexOrEmpty(span.spanId),
    ParentSpanId: idToHexOrEmpty(span.parentSpanId),
    TraceState: span.traceState ?? '',
    SpanName: span.name ?? '',
    SpanKind: spanKind,
    ServiceName: scope.ServiceName,
    ResourceAttributes: { ...scope.ResourceAttributes },
    ScopeName: scope.ScopeName,
    ScopeVersion: scope.ScopeVersion,
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
    checkIdLength(link.traceId, TRACE_ID_BYTES, scope, k, `links[${l}].traceId`);
    checkIdLength(link.spanId, SPAN_ID_BYTES, scope, k, `links[${l}].spanId`);
    row['Links.TraceId'].push(idToHexOrEmpty(link.traceId));
    row['Links.SpanId'].push(idToHexOrEmpty(link.spanId));
    row['Links.TraceState'].push(link.traceState ?? '');
    row['Links.Attributes'].push(attributesToMap(link.attributes));
  });
  return row;
}
