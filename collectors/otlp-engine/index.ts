export { stageTracesProtobuf, stageTracesProtobufBatch, payloadTempDir, type EngineStageResult, type ProtobufPayload } from './stage-traces.js';
export { traceRequestSchema, protoRoot, PROTO_PACKAGE, type ProtoSchema } from './proto-schema.js';
export { TRACE_REQUEST_STRUCTURE, traceRowsSelect, SPAN_COLUMNS, ENGINE_CHECKS, UNSUPPORTED_CODE, valuesAsStrings } from './trace-sql.js';
export { classifyEngineError, engineReason, type EngineErrorClass } from './engine-errors.js';
