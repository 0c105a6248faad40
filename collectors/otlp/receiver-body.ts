/**
 * Reads an OTLP/HTTP request body within limits: at most `maxBytes` on the wire and at
 * most `maxBytes` once decompressed (so a gzip bomb stops at the limit, with the memory
 * it had by then), and within the receiver's memory budget (bytes held by requests in
 * flight; over it, the request is refused with 429 rather than buffered).
 *
 * Faults are `BodyError`s carrying the outcome to answer: 413 too large, 400 bad gzip,
 * 415 an encoding we do not read, 429 over the memory budget, 400 a body cut short.
 */
import type { IncomingMessage } from 'node:http';
import { gunzip, inflate, type ZlibOptions } from 'node:zlib';
import type { ExportOutcome } from './receiver-response.js';

export class BodyError extends Error {
  constructor(readonly outcome: Extract<ExportOutcome, { kind: 'invalid' | 'retryable' }>) {
    super(outcome.reason);
  }
}

/** Bytes held by request bodies in flight, bounded; each request reserves what it holds. */
export class MemoryBudget {
  private used = 0;
  constructor(readonly limitBytes: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Reserves `n` bytes; false (nothing reserved) when that would pass the limit. */
  tryReserve(n: number): boolean {
    if (this.used + n > this.limitBytes) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

export interface ReadBodyOptions {
  maxBytes: number;
  budget: MemoryBudget;
}

export interface Body {
  bytes: Buffer;
  /** bytes reserved in the budget for this request: release them when done */
  reserved: number;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

/** Reads and decompresses the body; on failure nothing stays reserved. */
export async function readBody(req: IncomingMessage, opts: ReadBodyOptions): Promise<Body> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate') {
    throw new BodyError({ kind: 'invalid', status: 415, reason: `unsupported Content-Encoding "${encoding}": expected gzip or identity` });
  }
  const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (declared !== undefined && declared > opts.maxBytes) {
    throw new BodyError({ kind: 'invalid', status: 413, reason: `body of ${declared} bytes exceeds the limit of ${mib(opts.maxBytes)}` });
  }
  let reserved = 0;
  const reserve = (n: number): void => {
    if (!opts.budget.tryReserve(n)) {
      throw new BodyError({ kind: 'retryable', status: 429, retryAfterS: 1, reason: 'the receiver holds as many request bytes as it may: retry shortly' });
    }
    reserved += n;
  };
  try {
    if (declared !== undefined) reserve(declared);
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > opts.maxBytes) {
        throw new BodyError({ kind: 'invalid', status: 413, reason: `body exceeds the limit of ${mib(opts.maxBytes)}` });
      }
      if (received > reserved) reserve(received - reserved);
      chunks.push(chunk);
    }
    if (!req.complete) throw new BodyError({ kind: 'invalid', status: 400, reason: 'the request body was cut short' });
    const raw = Buffer.concat(chunks, received);
    if (encoding === 'identity') return { bytes: raw, reserved };
    // the output may grow to the limit: hold that much while it inflates, then what it took
    reserve(opts.maxBytes);
    const bytes = await decompress(raw, encoding, opts.maxBytes);
    opts.budget.release(opts.maxBytes - bytes.length);
    reserved -= opts.maxBytes - bytes.length;
    return { bytes, reserved };
  } catch (e) {
    opts.budget.release(reserved);
    if (e instanceof BodyError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error).message === 'aborted') {
      throw new BodyError({ kind: 'invalid', status: 400, reason: 'the request body was cut short' });
    }
    throw e;
  }
}

async function decompress(raw: Buffer, encoding: 'gzip' | 'deflate', maxBytes: number): Promise<Buffer> {
  const options: ZlibOptions & { maxOutputLength: number } = { maxOutputLength: maxBytes };
  let out: Buffer;
  try {
    out = await new Promise<Buffer>((resolve, reject) => (encoding === 'gzip' ? gunzip : inflate)(raw, options, (err, result) => (err ? reject(err) : resolve(result))));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new BodyError({ kind: 'invalid', status: 413, reason: `the body decompresses to more than the limit of ${mib(maxBytes)}` });
    }
    throw new BodyError({ kind: 'invalid', status: 400, reason: `invalid ${encoding} body: ${err.message}` });
  }
  return out;
}
