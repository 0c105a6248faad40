/**
 * `npm run bench:collect`: the live collector end to end — OTLP/protobuf trace exports
 * POSTed over loopback to `token-factory collect` (a child process, as in production:
 * its RSS is the collector's alone) until every span is a row in ClickHouse, once per
 * `--decoder` in BENCH_DECODERS — next to, from the same run on the same machine and the
 * same spans:
 * - file ingest (`ingestFiles`, engine decoder, 10 k-span files): `token-factory ingest`;
 * - the writer alone over the same spans already spooled, as the receiver spools them
 *   with decoder `receiver` (`traces-rb`: RowBinary rows) and with `engine` (`traces-pb`:
 *   the senders' protobuf, which ClickHouse decodes): no HTTP;
 * - what rendering a request costs the receiver on one core: its fast path, the
 *   reference decoder, and the check decoder `engine` does at the door.
 *
 * The sender keeps `BENCH_CONCURRENCY` requests in flight (keep-alive), each an SDK-sized
 * batch of `BENCH_SPANS_PER_REQUEST` spans. End to end = first request sent → the
 * collector's `token_factory_collector_written_rows_total{table="otel_traces"}` reaches
 * the span count; the rows are then counted in the store (exactly once: count = distinct
 * (TraceId, SpanId) = spans sent).
 *
 * Environment: BENCH_SPANS (default 1000000), BENCH_SPANS_PER_REQUEST (512),
 * BENCH_CONCURRENCY (8), BENCH_DECODERS (receiver,engine), BENCH_COLLECTOR_NODE_ARGS (node flags
 * for the collector, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes). Progress to stderr, the table to stdout. Generation is not measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { migrate } from '../core/schema/migrate.js';
import { openStore, type Store } from '../core/store/open-store.js';
import { COLLECTOR_DECODERS, type CollectorDecoder } from '../core/config/schema.js';
import { ingestFiles } from '../collectors/ingest/ingest-files.js';
import { decodeTracesProtobuf } from '../collectors/otlp/decode-protobuf.js';
import { checkTraceRequest } from '../collectors/otlp/receiver-intake.js';
import { tracesProtobufToRowBinary } from '../collectors/otlp/traces-to-row-binary.js';
import { tracesToRows } from '../collectors/otlp/traces-to-rows.js';
import { createCollectorMetrics } from '../collectors/observability/collector-metrics.js';
import { BatchWriter } from '../collectors/writer/batch-writer.js';
import { spanRowsToRowBinary } from '../collectors/writer/span-row-binary.js';
import type { Lane } from '../collectors/writer/spool-record.js';
import { Spool } from '../collectors/writer/spool.js';
import { encodeProtobuf, genAiTraceRequest } from './genai-spans.js';

const SPANS = Number(process.env.BENCH_SPANS ?? 1_000_000);
const PER_REQUEST = Number(process.env.BENCH_SPANS_PER_REQUEST ?? 512);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const REQUESTS = Math.ceil(SPANS / PER_REQUEST);
const TOTAL = REQUESTS * PER_REQUEST;
const FILE_SPANS = 10_000;
const DECODERS = (process.env.BENCH_DECODERS ?? 'receiver,engine').split(',').map((d) => {
  const decoder = d.trim();
  if (!(COLLECTOR_DECODERS as readonly string[]).includes(decoder)) throw new Error(`BENCH_DECODERS: ${decoder} is not one of ${COLLECTOR_DECODERS.join(', ')}`);
  return decoder as CollectorDecoder;
});

const root = fileURLToPath(new URL('../..', import.meta.url));
const progress = (text: string): void => void process.stderr.write(`\r\x1b[K${text}`);

interface Row {
  method: string;
  spans: number;
  seconds: number;
  peakRssMib: number | undefined;
  note: string;
}

/** Peak and current RSS of a process, from /proc (VmHWM is the kernel's high-water mark). */
function rssOf(pid: number): { peakMib: number; nowMib: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { peakMib: kb('VmHWM') / 1024, nowMib: kb('VmRSS') / 1024 };
}

/** CPU seconds (user + system) of a /proc `stat` line: utime and stime are fields 14 and 15 (clock ticks, 100 Hz on Linux). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' '); // after the command name, field 3 on
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds a process's threads use while it runs, in three groups: ClickHouse's own
 * threads (chDB names them: ThreadPool, MergeMutate, …), the event loop (the main thread),
 * and the other Node threads (the intake worker, libuv's pool — where chDB's calls run and
 * files are written — and V8's garbage-collector and compiler threads). Sampled every
 * 250 ms, so a thread that ends counts what it had used at its last sample.
 */
class ThreadCpu {
  private readonly first = new Map<string, number>();
  private readonly last = new Map<string, { name: string; cpu: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 250);
  }

  private sample(baseline: boolean): void {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return; // the process is gone
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8');
        const sample = { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpu: statCpuSeconds(stat) };
        if (baseline) this.first.set(tid, sample.cpu);
        this.last.set(tid, sample);
      } catch {
        // the thread ended between listing and reading
      }
    }
  }

  /** CPU seconds per group since construction. */
  stop(): { engine: number; loop: number; otherNode: number } {
    this.sample(false);
    clearInterval(this.timer);
    const used = { engine: 0, loop: 0, otherNode: 0 };
    for (const [tid, { name, cpu }] of this.last) {
      const d = cpu - (this.first.get(tid) ?? 0);
      if (tid === String(this.pid)) used.loop += d;
      else if (name === 'node') used.otherNode += d;
      else used.engine += d;
    }
    return used;
  }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts the collector; resolves with its URLs once it listens. */
async function startCollector(dir: string, decoder: CollectorDecoder): Promise<{ child: ChildProcess; otlp: URL; metrics: string }> {
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'collect.yaml');
  writeFileSync(cfg, `store: { path: ${join(dir, 'store')} }\napi: { port: 0 }\n`);
  const nodeArgs = (process.env.BENCH_COLLECTOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist/cli/main.js'), 'collect', '--config', cfg, '--otlp-port', '0', '--metrics-port', '0', '--decoder', decoder], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const urls = await waitFor(
    'the collector to listen',
    async () => {
      if (child.exitCode !== null) throw new Error(`the collector exited (${child.exitCode})`);
      const otlp = /OTLP\/HTTP\s+(http:\/\/\S+)\/v1\/traces/.exec(out)?.[1];
      const metrics = /metrics\s+(http:\/\/\S+\/metrics)/.exec(out)?.[1];
      return otlp && metrics ? { otlp: new URL(otlp), metrics } : undefined;
    },
    60_000,
  );
  return { child, ...urls };
}

async function writtenSpans(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^token_factory_collector_written_rows_total\{signal="traces",table="otel_traces"\} (\S+)$/m.exec(text)?.[1] ?? 0);
}

function post(agent: Agent, url: URL, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, path: '/v1/traces', method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function count(store: Store): Promise<{ rows: number; distinct: number }> {
  const rs = await store.client.query({ query: 'SELECT count() AS rows, uniqExact(TraceId, SpanId) AS distinct FROM otel_traces', format: 'JSONEachRow' });
  const [r] = await rs.json<{ rows: number | string; distinct: number | string }>();
  return { rows: Number(r?.rows ?? 0), distinct: Number(r?.distinct ?? 0) };
}

/** The collector (a child process) end to end: every request POSTed and acknowledged, then every span written. */
async function collectEndToEnd(dir: string, bodies: readonly Uint8Array[], decoder: CollectorDecoder): Promise<Row> {
  const { child, otlp, metrics } = await startCollector(join(dir, `collect-${decoder}`), decoder);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  let retried = 0;
  const threadCpu = new ThreadCpu(child.pid!);
  const senderCpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const i = next++;
        for (;;) {
          const status = await post(agent, otlp, bodies[i]!);
          if (status === 200) break;
          if (status !== 429 && status !== 503) throw new Error(`request ${i}: HTTP ${status}`);
          retried++;
          await new Promise((r) => setTimeout(r, 200));
        }
        if (i % 200 === 0) progress(`collect (decoder ${decoder}): ${i}/${bodies.length} requests acknowledged`);
      }
    }),
  );
  const ackSeconds = (performance.now() - started) / 1000;
  let shown = -1;
  await waitFor(
    'every span to be written',
    async () => {
      const n = await writtenSpans(metrics);
      if (n !== shown) progress(`collect (decoder ${decoder}): ${n.toLocaleString('en')} / ${TOTAL.toLocaleString('en')} spans written`);
      shown = n;
      return n >= TOTAL ? n : undefined;
    },
    600_000,
  );
  const e2eSeconds = (performance.now() - started) / 1000;
  const rss = rssOf(child.pid!);
  const cpu = threadCpu.stop();
  const perSpanUs = (seconds: number) => ((seconds * 1e6) / TOTAL).toFixed(1);
  const sender = process.cpuUsage(senderCpu0);
  const senderCpuUs = (sender.user + sender.system) / TOTAL;
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  progress('');
  const store = await openStore({ kind: 'embedded', path: join(dir, `collect-${decoder}`, 'store') }, { command: 'bench' });
  let stored: { rows: number; distinct: number };
  try {
    stored = await count(store);
  } finally {
    await store.close();
  }
  const rowsCheck = stored.rows === TOTAL && stored.distinct === TOTAL ? 'exactly once' : `MISMATCH: ${stored.rows} rows, ${stored.distinct} distinct`;
  return {
    method: `collect --decoder ${decoder}: OTLP/protobuf over loopback → rows (end to end)`,
    spans: TOTAL,
    seconds: e2eSeconds,
    peakRssMib: rss.peakMib,
    note: `all acknowledged after ${ackSeconds.toFixed(1)} s; ${retried} retries (429/503); stored ${rowsCheck}; CPU µs per span: collector ${perSpanUs(cpu.engine + cpu.loop + cpu.otherNode)} (ClickHouse threads ${perSpanUs(cpu.engine)}, event loop ${perSpanUs(cpu.loop)}, other Node threads ${perSpanUs(cpu.otherNode)}), sender ${senderCpuUs.toFixed(1)}`,
  };
}

/** The collector's writer alone (in this process) over spooled batches of `lane`: no HTTP. */
async function writerAlone(store: Store, dir: string, lane: Lane, records: readonly Buffer[], items: number, note: string): Promise<Row> {
  await store.client.command({ query: 'TRUNCATE TABLE otel_traces' });
  progress(`spooling ${lane} batches for the writer-only run …`);
  const spool = Spool.open(join(dir, `bench-spool-${lane}`), { maxBatchAgeMs: 60_000 });
  for (const r of records) await spool.append(lane, [r], { traces: items });
  await spool.sealAll();
  const batches = spool.sealed.length;
  progress(`writer alone (${lane}) …`);
  const writer = new BatchWriter(store, spool, createCollectorMetrics({ processMetrics: false }));
  const t = performance.now();
  let peak = process.memoryUsage.rss();
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  writer.start();
  await writer.drain(600_000);
  clearInterval(sample);
  const seconds = (performance.now() - t) / 1000;
  const written = await count(store);
  return { method: `writer alone: ${batches} spooled ${lane} batches → rows`, spans: written.rows, seconds, peakRssMib: peak / 2 ** 20, note };
}

/** One core rendering requests to rows in JS (what the receiver does per request), best of three passes. */
function renderInJs(method: string, bodies: readonly Buffer[], render: (body: Buffer) => unknown, note: string): Row {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t = performance.now();
    for (const b of bodies) render(b);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return { method, spans: bodies.length * PER_REQUEST, seconds: best, peakRssMib: undefined, note };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-collect-'));
  try {
    const bodies: Buffer[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      if (i % 100 === 0) progress(`generating ${REQUESTS} requests of ${PER_REQUEST} spans: ${i}`);
      const body = Buffer.from(encodeProtobuf(genAiTraceRequest(i, PER_REQUEST, TOTAL)));
      bodies.push(body);
      bytes += body.length;
    }
    progress(`generated ${(bytes / 2 ** 20).toFixed(0)} MiB of OTLP/protobuf\n`);
    const rendering: Row[] = [];
    // what rendering costs the receiver, on one core: measured first, on a fresh heap
    // (measured last, after the stores' runs, it swung ±40 % from run to run)
    progress('rendering in JS …');
    const sample = bodies.slice(0, Math.min(bodies.length, 200));
    rendering.push(renderInJs('render in JS: receiver fast path (protobuf bytes → RowBinary)', sample, (b) => tracesProtobufToRowBinary(b), 'one core, no I/O (decoder receiver)'));
    rendering.push(renderInJs('render in JS: protobufjs decode → rows → RowBinary (reference)', sample, (b) => spanRowsToRowBinary(tracesToRows(decodeTracesProtobuf(b))), 'one core, no I/O (requests the fast path declines)'));
    rendering.push(renderInJs('render in JS: protobufjs decode + check (decoder engine at the door)', sample, (b) => checkTraceRequest(decodeTracesProtobuf(b)), 'one core, no I/O'));
    progress('');

    const rows: Row[] = [];

    // 1. the collector end to end, with each decoder asked for
    for (const decoder of DECODERS) rows.push(await collectEndToEnd(dir, bodies, decoder));

    // 2. file ingest and 3. the writer alone, on a fresh store in this process
    const files = join(dir, 'files');
    mkdirSync(files);
    const paths: string[] = [];
    for (let k = 0; k * FILE_SPANS < TOTAL; k++) {
      const p = join(files, `spans-${String(k).padStart(4, '0')}.binpb`);
      writeFileSync(p, encodeProtobuf(genAiTraceRequest(k, Math.min(FILE_SPANS, TOTAL - k * FILE_SPANS), TOTAL)));
      paths.push(p);
    }
    const bench = await openStore({ kind: 'embedded', path: join(dir, 'bench-store') }, { command: 'bench' });
    try {
      await migrate(bench);
      progress('file ingest …');
      const t = performance.now();
      let peak = process.memoryUsage.rss();
      const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
      await ingestFiles(bench, paths, { signal: 'traces', decoder: 'engine' });
      clearInterval(sample);
      const ingested = await count(bench);
      rows.push({ method: `file ingest: ${paths.length} OTLP/protobuf files (engine decoder)`, spans: ingested.rows, seconds: (performance.now() - t) / 1000, peakRssMib: peak / 2 ** 20, note: 'bench process (chDB in it)' });

      const rendered = bodies.map((b) => tracesProtobufToRowBinary(b)?.bytes ?? spanRowsToRowBinary(tracesToRows(decodeTracesProtobuf(b))));
      rows.push(await writerAlone(bench, dir, 'traces-rb', rendered, PER_REQUEST, 'RowBinary rows from the receiver: the engine loads them'));
      rows.push(await writerAlone(bench, dir, 'traces-pb', bodies, PER_REQUEST, 'the senders\' protobuf: the engine decodes it'));
    } finally {
      await bench.close();
    }

    rows.push(...rendering);
    const table = new Table({ style: { head: [], border: [] }, head: ['method', 'spans', 'seconds', 'spans/s', 'peak RSS MiB', 'note'] });
    for (const r of rows) {
      table.push([r.method, r.spans.toLocaleString('en'), r.seconds.toFixed(2), Math.round(r.spans / r.seconds).toLocaleString('en'), r.peakRssMib === undefined ? '' : r.peakRssMib.toFixed(0), r.note]);
    }
    process.stdout.write(
      `token-factory collect benchmark: ${TOTAL.toLocaleString('en')} spans in ${REQUESTS} OTLP/protobuf requests of ${PER_REQUEST} (${(bytes / 2 ** 20).toFixed(0)} MiB), ${CONCURRENCY} in flight\n` +
        `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n` +
        `${table.toString()}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`\nbench:collect failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
