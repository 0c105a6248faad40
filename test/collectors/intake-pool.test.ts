/**
 * What the receiver's intake pool moves between threads instead of copying (intake-pool.ts):
 * only buffers that are the whole of their memory, each once — never a pooled small Buffer,
 * whose ArrayBuffer other Buffers share. Moved through a real MessageChannel.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ownsMemory, transferable } from '../../collectors/otlp/intake-pool.js';
import { tracesProtobufToRowBinary } from '../../collectors/otlp/traces-to-row-binary.js';
import { encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';

describe('what may move to another thread', () => {
  it('a buffer that is its whole ArrayBuffer, not a pooled or cut one', () => {
    const own = Buffer.allocUnsafe(64 * 1024);
    expect(ownsMemory(own)).toBe(true);
    // small Buffers share Node's 8 KiB pool
    const pooled = Buffer.from('abc');
    expect(pooled.buffer.byteLength).toBeGreaterThan(3);
    expect(ownsMemory(pooled)).toBe(false);
    expect(ownsMemory(own.subarray(1))).toBe(false);
    expect(ownsMemory(own.subarray(0, 100))).toBe(false);
    // two parts of one buffer are not whole, so neither moves; the same whole buffer twice moves once
    expect(transferable([own.subarray(0, 10), own.subarray(10)])).toEqual([]);
    expect(transferable([own, own, pooled])).toEqual([own.buffer]);
  });

  it("the receiver's rendered rows move whole: the sender's copy is gone, the receiver has every byte", () => {
    const body = Buffer.from(encodeProtobuf(genAiTraceRequest(1, 64, 64)));
    const rows = tracesProtobufToRowBinary(body)!;
    expect(rows.spans).toBe(64);
    expect(ownsMemory(rows.bytes)).toBe(true);
    const expected = Buffer.from(rows.bytes);
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage({ parts: [rows.bytes] }, transferable([rows.bytes]));
      expect(rows.bytes.byteLength).toBe(0); // detached: moved, not copied
      const got = receiveMessageOnPort(port2)?.message as { parts: Uint8Array[] };
      expect(Buffer.from(got.parts[0]!).equals(expected)).toBe(true);
    } finally {
      port1.close();
    }
  });
});
