/**
 * Errors of an engine-side decode, classified by ClickHouse error code (never by message
 * text): a fault of the payload (→ `DecodeError`, answered 400), a payload the engine SQL
 * does not render (→ decode it with the JS decoder instead), or anything else (the store
 * failed or our SQL is wrong: rethrown as is).
 */
import { DecodeError } from '../../core/errors.js';
import { ENGINE_CHECKS, UNSUPPORTED_CODE } from './trace-sql.js';

/** ClickHouse error codes of the protobuf reader that mean "these bytes are not a valid request". */
const PROTOBUF_FAULT_CODES: ReadonlySet<number> = new Set([
  33, // CANNOT_READ_ALL_DATA: truncated (a field runs past the end)
  436, // PROTOBUF_BAD_CAST: a value does not fit its field
  444, // UNKNOWN_PROTOBUF_FORMAT: corrupted, or a wire type that does not match the schema
]);

/** The reasons of the engine SQL's own checks, by the code each raises. */
const CHECK_REASONS: ReadonlyMap<number, string> = new Map(Object.values(ENGINE_CHECKS).map((c) => [c.code, c.reason]));

export type EngineErrorClass = { kind: 'payload'; error: DecodeError } | { kind: 'unsupported'; reason: string } | { kind: 'other' };

/** The numeric ClickHouse error code of `e`, if it is a ClickHouse error. */
export function clickhouseErrorCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  return undefined;
}

export function classifyEngineError(e: unknown): EngineErrorClass {
  const code = clickhouseErrorCode(e);
  if (code === UNSUPPORTED_CODE) return { kind: 'unsupported', reason: 'attribute values the engine SQL does not render (see trace-sql.ts)' };
  if (code === undefined) return { kind: 'other' };
  const check = CHECK_REASONS.get(code);
  if (check !== undefined) return { kind: 'payload', error: new DecodeError(check, {}, { cause: e }) };
  if (PROTOBUF_FAULT_CODES.has(code)) return { kind: 'payload', error: new DecodeError(engineReason(e), {}, { cause: e }) };
  return { kind: 'other' };
}

/**
 * The reason in a ClickHouse message, without the engine's decorations: the first line,
 * without `Code: N. DB::Exception: `, the trailing `(ERROR_NAME)`, the file path of the
 * staged payload (`(in file/uri …)`), `While executing …` and `(at row N)`.
 */
export function engineReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const reason = message
    .replace(/^[\s\S]*?DB::Exception: /, '')
    .replace(/\s*\(in file\/uri [^)]*\)/g, '')
    .replace(/\s*\(at row \d+\)/g, '')
    .replace(/:?\s*While executing [\s\S]*$/, '')
    .replace(/\s*\([A-Z_]+\)\s*$/, '')
    .replace(/\s*\n\s*:?/g, ' ')
    .replace(/[:.\s]+$/, '')
    .trim();
  return reason === '' ? message.split('\n')[0]! : reason;
}
