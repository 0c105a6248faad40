/**
 * Trace and span ids: bytes on the OTLP wire, hex in OTLP/JSON and in the rows.
 */
import { DecodeError } from '../../core/errors.js';

/** Bytes of a trace id and of a span id (OTLP: 16 and 8, or empty for "no id"). */
export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

/** Lowercase hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('hex');
}

/**
 * The id as the clickhouseexporter writes span, parent and link ids
 * (`traceutil.TraceIDToHexOrEmptyString`): lowercase hex, or "" when the id is absent or
 * all zeros (pdata's "empty" id).
 */
export function idToHexOrEmpty(id: Uint8Array | null): string {
  if (id === null) return '';
  let nonZero = false;
  for (let i = 0; i < id.length && !nonZero; i++) nonZero = id[i] !== 0;
  return nonZero ? bytesToHex(id) : '';
}

/**
 * The id as the clickhouseexporter writes exemplar ids (`hex.EncodeToString(id[:])` of a
 * fixed-size pdata id): always `size` bytes of hex, zeros when absent.
 */
export function idToFixedHex(id: Uint8Array | null, size: number): string {
  if (id === null || id.length === 0) return '00'.repeat(size);
  return bytesToHex(id);
}

/**
 * Whether `id` is absent, empty or exactly `size` bytes. pdata refuses other lengths when
 * it unmarshals a request (the collector answers 400): see {@link idLengthError}.
 */
export function hasIdLength(id: Uint8Array | null, size: number): boolean {
  return id === null || id.length === 0 || id.length === size;
}

export function idLengthError(id: Uint8Array | null, size: number, path: string): DecodeError {
  return new DecodeError(`expected an id of ${size} bytes, got ${id?.length ?? 0}`, { path });
}

const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/** The bytes of an even-length hex string (either case), or `undefined` if it is not hex. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !HEX_DIGITS.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}
