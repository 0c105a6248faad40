export { decodeOtlp, type DecodeOtlpOptions, type OtlpSignal } from './decode-otlp.js';
export { decodeOtlpFile } from './decode-file.js';
export {
  decodeMetricsJson,
  decodeMetricsJsonDocument,
  decodeTracesJson,
  decodeTracesJsonDocument,
  detectOtlpJsonSignal,
  parseOtlpJson,
  type JsonDocumentOptions,
  type OtlpJsonSignal,
} from './decode-json.js';
export { decodeMetricsProtobuf, decodeTracesProtobuf } from './decode-protobuf.js';
export { metricsToRows, type MetricRows } from './metrics-to-rows.js';
export { tracesToRows } from './traces-to-rows.js';
export type { ExportMetricsServiceRequest, ExportTraceServiceRequest } from './otlp-proto.js';
