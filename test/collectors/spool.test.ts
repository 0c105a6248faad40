/**
 * The on-disk spool without a store: framing, batching by items / bytes / age, and what
 * a restart finds after a crash (a torn record cut off, open batches sealed, sequence
 * numbers and the spool id kept).
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanFrames, varint } from '../../collectors/writer/spool-frame.js';
import { decodeRowsRecord, encodeRowsRecord } from '../../collectors/writer/spool-record.js';
import { Spool } from '../../collectors/writer/spool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-spool-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('framing', () => {
  it('writes each record as a varint length and its bytes, and finds whole records only', () => {
    // 127 fits one varint byte (0x7f); 300 = 0b10_0101100 → 0xac 0x02
    expect([...varint(127)]).toEqual([0x7f]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    const file = Buffer.concat([varint(127), bytes(127, 1), varint(300), bytes(300, 2)]);
    expect(scanFrames(file)).toEqual({ records: [[1, 128], [130, 430]], validBytes: 430 });
    // a third record cut after its length and 10 of its 50 bytes: the scan stops before it
    const torn = Buffer.concat([file, varint(50), bytes(10, 3)]);
    expect(scanFrames(torn)).toEqual({ records: [[1, 128], [130, 430]], validBytes: 430 });
    // half a varint (a continuation byte and nothing after) is torn too
    expect(scanFrames(Buffer.concat([file, Buffer.from([0x80])])).validBytes).toBe(430);
  });

  it('rows records carry their tables, row counts and JSONEachRow text', () => {
    const gauge = { MetricName: 'up', Value: 1 };
    const record = encodeRowsRecord('metrics', { otel_metrics_gauge: [gauge, { ...gauge, Value: Number.NaN }] as never });
    const decoded = decodeRowsRecord(Buffer.concat(record.parts));
    expect(decoded.header).toEqual({ signal: 'metrics', items: 2, tables: [['otel_metrics_gauge', 2, decoded.texts[0]!.text.length]] });
    // NaN is written as ClickHouse's "nan", not JSON's null (which would read as 0)
    expect(decoded.texts[0]!.text.toString()).toBe('{"MetricName":"up","Value":1}\n{"MetricName":"up","Value":"nan"}\n');
  });
});

describe('batching', () => {
  it('seals a batch at maxBatchItems and starts the next one; every acknowledged record reads back', async () => {
    const spool = Spool.open(dir, { maxBatchItems: 3, maxBatchAgeMs: 60_000 });
    for (let i = 0; i < 4; i++) await spool.append('traces-pb', [bytes(10, i)], { traces: 1 });
    await waitFor(() => spool.sealed.length === 1);
    // records 0-2 (3 items) sealed as batch 1; record 3 waits in the open batch 2
    const [first] = spool.sealed;
    expect(first).toMatchObject({ seq: 1, lane: 'traces-pb', records: 3, items: { traces: 3, metrics: 0 }, bytes: 3 * 11 });
    expect((await spool.readRecords(first!)).map((r) => r[0])).toEqual([0, 1, 2]);
    expect(spool.bytes).toBe(4 * 11);
    await spool.close();
    expect(spool.sealed.map((b) => [b.seq, b.records])).toEqual([[1, 3], [2, 1]]);
    await spool.remove(first!);
    expect(spool.bytes).toBe(11);
    expect(spool.queuedItems).toEqual({ traces: 1, metrics: 0 });
  });

  it('seals at maxBatchBytes; after maxBatchAgeMs when nothing else waits, else when the writer asks (sealDue)', async () => {
    const spool = Spool.open(dir, { maxBatchBytes: 100, maxBatchAgeMs: 50 });
    await spool.append('rows', [bytes(99, 7)], { metrics: 1 }); // 1 + 99 = 100 bytes: full
    await waitFor(() => spool.sealed.length === 1);
    await spool.append('rows', [bytes(5, 8)], { metrics: 1 });
    // batch 1 waits for the writer: batch 2 keeps filling past its age
    await new Promise((r) => setTimeout(r, 120));
    expect(spool.sealed).toHaveLength(1);
    spool.sealDue();
    await waitFor(() => spool.sealed.length === 2);
    await spool.remove(spool.sealed[0]!);
    await spool.remove(spool.sealed[0]!);
    // nothing waits: an aged batch is sealed by its timer
    await spool.append('rows', [bytes(5, 9)], { metrics: 1 });
    await waitFor(() => spool.sealed.length === 1);
    expect(spool.sealed.map((b) => [b.seq, b.records])).toEqual([[3, 1]]);
    await spool.close();
  });

  it('keeps lanes apart: one open batch per lane, sequence numbers shared', async () => {
    const spool = Spool.open(dir, { maxBatchAgeMs: 60_000 });
    await spool.append('traces-pb', [bytes(3, 1)], { traces: 1 });
    await spool.append('rows', [bytes(3, 2)], { metrics: 2 });
    await spool.append('traces-pb', [bytes(3, 3)], { traces: 1 });
    await spool.close();
    expect(spool.sealed.map((b) => [b.seq, b.lane, b.records, b.items])).toEqual([
      [1, 'traces-pb', 2, { traces: 2, metrics: 0 }],
      [2, 'rows', 1, { traces: 0, metrics: 2 }],
    ]);
  });
});

describe('reading batches into a reused buffer', () => {
  it('reads the records readRecords reads, into the buffer given while it is large enough, else into a new one', async () => {
    const spool = Spool.open(dir, { maxBatchItems: 2, maxBatchAgeMs: 60_000 });
    // batch 1: two records of 10 bytes (2 × 11 framed); batch 2: two of 100 (2 × 101)
    for (const [n, fill] of [[10, 1], [10, 2], [100, 3], [100, 4]] as const) await spool.append('traces-rb', [bytes(n, fill)], { traces: 1 });
    await spool.close();
    const [small, large] = spool.sealed;
    const arena = Buffer.alloc(64);
    const first = await spool.readRecordsInto(small!, arena);
    expect(first.arena).toBe(arena);
    expect(first.records).toEqual(await spool.readRecords(small!));
    expect(first.records.every((r) => r.buffer === arena.buffer)).toBe(true);
    // 202 bytes do not fit 64: a new buffer, which the next read may reuse
    const second = await spool.readRecordsInto(large!, arena);
    expect(second.arena).not.toBe(arena);
    expect(second.arena.length).toBe(202);
    expect(second.records.map((r) => [r.length, r[0]])).toEqual([[100, 3], [100, 4]]);
    // read again into the grown buffer: the small batch's records are views of it now
    const again = await spool.readRecordsInto(small!, second.arena);
    expect(again.arena).toBe(second.arena);
    expect(again.records.map((r) => [r.length, r[0]])).toEqual([[10, 1], [10, 2]]);
  });

  it('stops at a torn record as readRecords does', async () => {
    const spool = Spool.open(dir, { maxBatchAgeMs: 60_000 });
    await spool.append('traces-rb', [bytes(20, 1)], { traces: 1 });
    await spool.close();
    const batch = spool.sealed[0]!;
    appendFileSync(batch.path, Buffer.concat([varint(20), bytes(5, 2)]));
    const read = await spool.readRecordsInto(batch, Buffer.alloc(0));
    expect(read.records.map((r) => [r.length, r[0]])).toEqual([[20, 1]]);
    expect(read.records).toEqual(await spool.readRecords(batch));
  });
});

describe('one process per spool', () => {
  it('refuses a spool locked by a live process and takes over one whose process is gone', () => {
    writeFileSync(join(dir, 'spool.lock'), String(process.ppid));
    expect(() => Spool.open(dir)).toThrow(`the spool ${dir} is in use by process ${process.ppid}`);
    // a pid above the kernel's pid_max (4194304) is never alive
    writeFileSync(join(dir, 'spool.lock'), '4194305');
    const spool = Spool.open(dir);
    expect(readFileSync(join(dir, 'spool.lock'), 'utf8')).toBe(String(process.pid));
    return spool.close();
  });
});

describe('after a crash', () => {
  it('cuts a torn record, seals open batches, keeps the id and goes on after the last sequence number', async () => {
    const before = Spool.open(dir, { maxBatchAgeMs: 60_000 });
    const id = before.id;
    await before.append('traces-pb', [bytes(20, 1)], { traces: 1 });
    await before.append('traces-pb', [bytes(20, 2)], { traces: 1 });
    // the process dies here: the batch is still open; a third record was half written
    const open = readdirSync(dir).find((n) => n.endsWith('.open'))!;
    expect(open).toBe('000000000001.traces-pb.open');
    appendFileSync(join(dir, open), Buffer.concat([varint(20), bytes(7, 3)]));
    expect(statSync(join(dir, open)).size).toBe(2 * 21 + 8);

    const after = Spool.open(dir, { maxBatchAgeMs: 60_000 });
    expect(after.id).toBe(id);
    expect(after.sealed.map((b) => [b.seq, b.lane, b.records, b.bytes, b.recovered])).toEqual([[1, 'traces-pb', 2, 42, true]]);
    expect(readFileSync(after.sealed[0]!.path)).toHaveLength(42);
    expect((await after.readRecords(after.sealed[0]!)).map((r) => r[0])).toEqual([1, 2]);
    await after.append('traces-pb', [bytes(1, 9)], { traces: 1 });
    await after.close();
    expect(after.sealed.map((b) => b.seq)).toEqual([1, 2]);
  });

  it('counts the items of recovered rows batches from their headers', async () => {
    const before = Spool.open(dir, { maxBatchAgeMs: 60_000 });
    const record = encodeRowsRecord('metrics', { otel_metrics_sum: [{ MetricName: 'a' }, { MetricName: 'b' }] as never });
    await before.append('rows', record.parts, { metrics: record.items });
    const after = Spool.open(dir);
    expect(after.sealed[0]!.items).toEqual({ traces: 0, metrics: 2 });
    expect(after.queuedItems).toEqual({ traces: 0, metrics: 2 });
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
