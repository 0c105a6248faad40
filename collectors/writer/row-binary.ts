/**
 * A growable buffer writing ClickHouse's `RowBinary` format
 * (https://clickhouse.com/docs/interfaces/formats/RowBinary): rows one after another, each
 * column's value in the table's column order, no header. The encodings used here:
 * - String (and LowCardinality(String)): length as an unsigned LEB128 varint, then the bytes;
 * - Int64 / UInt64: 8 bytes little-endian (two's complement); UInt32: 4 bytes;
 * - Array(T): element count as a varint, then the elements;
 * - Map(K, V): pair count as a varint, then key, value, key, value, ….
 * The engine reads it without parsing text (bench/README.md: the cheapest way to hand it rows).
 */
export class RowBinaryWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  /** Bytes held (written or not). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint (`n` a safe integer ≥ 0: lengths and counts). */
  varint(n: number): void {
    this.ensure(10);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** A String from a JS string (UTF-8; a lone surrogate becomes U+FFFD, as `Buffer.from` writes it). */
  string(s: string): void {
    if (s.length <= SHORT) {
      // ASCII (numbers, names) byte by byte; else as UTF-8 below
      this.ensure(1 + s.length);
      const buf = this.buf;
      const at = this.pos;
      let high = 0;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        high |= c;
        buf[at + 1 + i] = c;
      }
      if (high < 0x80) {
        buf[at] = s.length;
        this.pos = at + 1 + s.length;
        return;
      }
    }
    if (s.length < 43) {
      // at most 3 bytes per UTF-16 unit: fewer than 128 bytes, so the length is one byte
      this.ensure(1 + s.length * 3);
      const n = this.buf.write(s, this.pos + 1, 'utf8');
      this.buf[this.pos] = n;
      this.pos += 1 + n;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A String holding `src[start, end)` as is. */
  bytesString(src: Uint8Array, start: number, end: number): void {
    this.varint(end - start);
    this.raw(src, start, end);
  }

  /**
   * A String holding `src[start, end)` as is; false when a byte of it is ≥ 0x80 (not
   * ASCII: the caller may want to check it is UTF-8). One pass for the short strings
   * telemetry is made of.
   */
  asciiString(src: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    if (n > SHORT) {
      this.bytesString(src, start, end);
      for (let i = start; i < end; i++) if (src[i]! >= 0x80) return false;
      return true;
    }
    this.ensure(1 + n);
    const buf = this.buf;
    buf[this.pos++] = n; // n ≤ SHORT < 128: a one-byte varint
    let high = 0;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      high |= b;
      buf[this.pos++] = b;
    }
    return high < 0x80;
  }

  /** `src[start, end)` as is (bytes already in RowBinary). */
  raw(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.ensure(n);
    if (n <= SHORT) {
      const buf = this.buf;
      for (let i = start; i < end; i++) buf[this.pos++] = src[i]!;
      return;
    }
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** A String of the lowercase hex of `src[start, end)`. */
  hexString(src: Uint8Array, start: number, end: number): void {
    const n = (end - start) * 2;
    this.varint(n);
    this.ensure(n);
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      this.buf[this.pos++] = HEX[b >> 4]!;
      this.buf[this.pos++] = HEX[b & 15]!;
    }
  }

  u32(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  /** 64 bits given as two 32-bit halves (Int64 and UInt64 alike). */
  u64Halves(low: number, high: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** 64 bits of a decimal integer string, modulo 2^64 (Int64 and UInt64 alike). */
  u64Decimal(s: string): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(s)), this.pos);
    this.pos += 8;
  }

  /** A Map(String, String) from an object (its own enumerable keys, in their order). */
  stringMap(m: Readonly<Record<string, string>>): void {
    const keys = Object.keys(m);
    this.varint(keys.length);
    for (const k of keys) {
      this.string(k);
      this.string(m[k]!);
    }
  }

  /** What was written (a copy: the writer may be reused). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** What was written, not copied: valid until the next write. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Bytes written since `from`, copied. */
  slice(from: number): Buffer {
    return Buffer.from(this.buf.subarray(from, this.pos));
  }

  /** Forgets what was written after `to` (a row given up half-way). */
  truncate(to: number): void {
    this.pos = to;
  }
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Copies up to this many bytes byte by byte (cheaper than a native call and a view for short runs). */
const SHORT = 64;
