export { stageTracesProtobuf, stageTracesProtobufBatch, type EngineStageResult, type ProtobufPayload } from './stage-traces.js';
export { withEngineFiles, type EnginePayload } from './engine-files.js';
export { traceRequestSchema, protoRoot, PROTO_PACKAGE, type ProtoSchema } from './proto-schema.js';
export { TRACE_REQUEST_STRUCTURE, traceRowsSelect, SPAN_COLUMNS, ENGINE_CHECKS, UNSUPPORTED_CODE, valuesAsStrings } from './trace-sql.js';
export { classifyEngineError, engineReason, type EngineErrorClass } from './engine-errors.js';
