/**
 * The record framing of spool files: each record is its length as a protobuf varint,
 * then its bytes — exactly ClickHouse's length-delimited `Protobuf` input format, so a
 * file of OTLP trace requests framed this way is read by the engine as is
 * (`file(path, 'Protobuf', …)`: one row per request).
 *
 * A file cut short by a crash ends in a torn record (a length without all its bytes, or
 * half a varint): {@link scanFrames} says where the last whole record ends, so recovery
 * truncates there. Only whole records were ever acknowledged (the sender's 200 waits for
 * the fsync after the whole record was written).
 */

/** Bytes of `n` as a varint (n < 2^53). */
export function varint(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cannot frame a record of ${n} bytes`);
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

export interface FrameScan {
  /** [start, end) of each whole record's bytes (after its length) */
  records: [number, number][];
  /** bytes of whole records: where a torn tail starts (= length of a clean file) */
  validBytes: number;
}

/** The whole records of `buf`; stops at a torn record at the end. */
export function scanFrames(buf: Uint8Array): FrameScan {
  const records: [number, number][] = [];
  let pos = 0;
  while (pos < buf.length) {
    let len = 0;
    let mul = 1;
    let p = pos;
    let done = false;
    while (p < buf.length && p - pos < 8) {
      const b = buf[p++]!;
      len += (b & 0x7f) * mul;
      mul *= 0x80;
      if ((b & 0x80) === 0) {
        done = true;
        break;
      }
    }
    if (!done || p + len > buf.length) break;
    records.push([p, p + len]);
    pos = p + len;
  }
  return { records, validBytes: pos };
}
