/**
 * `npm run bench:collect`: the live collector end to end — OTLP/protobuf trace exports
 * POSTed over loopback to `token-factory collect` (a child process, as in production:
 * its RSS is the collector's alone) until every span is a row in ClickHouse — next to,
 * from the same run on the same machine and the same spans:
 * - file ingest (`ingestFiles`, engine decoder, 10 k-span files): `token-factory ingest`;
 * - the engine alone: the collector's own writer over the same batches already spooled
 *   (ClickHouse decodes, flattens, deduplicates and inserts; no HTTP, no JS decode).
 *
 * The sender keeps `BENCH_CONCURRENCY` requests in flight (keep-alive), each an SDK-sized
 * batch of `BENCH_SPANS_PER_REQUEST` spans. End to end = first request sent → the
 * collector's `token_factory_collector_written_rows_total{table="otel_traces"}` reaches
 * the span count; the rows are then counted in the store (exactly once: count = distinct
 * (TraceId, SpanId) = spans sent).
 *
 * Environment: BENCH_SPANS (default 1000000), BENCH_SPANS_PER_REQUEST (512),
 * BENCH_CONCURRENCY (8). Progress to stderr, the table to stdout. Generation is not measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { migrate } from '../core/schema/migrate.js';
import { openStore, type Store } from '../core/store/open-store.js';
import { ingestFiles } from '../collectors/ingest/ingest-files.js';
import { createCollectorMetrics } from '../collectors/observability/collector-metrics.js';
import { BatchWriter } from '../collectors/writer/batch-writer.js';
import { Spool } from '../collectors/writer/spool.js';
import { encodeProtobuf, genAiTraceRequest } from './genai-spans.js';

const SPANS = Number(process.env.BENCH_SPANS ?? 1_000_000);
const PER_REQUEST = Number(process.env.BENCH_SPANS_PER_REQUEST ?? 512);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const REQUESTS = Math.ceil(SPANS / PER_REQUEST);
const TOTAL = REQUESTS * PER_REQUEST;
const FILE_SPANS = 10_000;

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
async function startCollector(dir: string): Promise<{ child: ChildProcess; otlp: URL; metrics: string }> {
  const cfg = join(dir, 'collect.yaml');
  writeFileSync(cfg, `store: { path: ${join(dir, 'collect-store')} }\napi: { port: 0 }\n`);
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'collect', '--config', cfg, '--otlp-port', '0', '--metrics-port', '0'], {
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-bench-collect-'));
  try {
    const bodies: Uint8Array[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      if (i % 100 === 0) progress(`generating ${REQUESTS} requests of ${PER_REQUEST} spans: ${i}`);
      const body = encodeProtobuf(genAiTraceRequest(i, PER_REQUEST, TOTAL));
      bodies.push(body);
      bytes += body.length;
    }
    progress(`generated ${(bytes / 2 ** 20).toFixed(0)} MiB of OTLP/protobuf\n`);
    const rows: Row[] = [];

    // 1. the collector end to end
    const { child, otlp, metrics } = await startCollector(dir);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let next = 0;
    let retried = 0;
    let peakSampledMib = 0;
    const sampler = setInterval(() => (peakSampledMib = Math.max(peakSampledMib, rssOf(child.pid!).nowMib)), 100);
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
          if (i % 200 === 0) progress(`collect: ${i}/${bodies.length} requests acknowledged`);
        }
      }),
    );
    const ackSeconds = (performance.now() - started) / 1000;
    let shown = -1;
    await waitFor(
      'every span to be written',
      async () => {
        const n = await writtenSpans(metrics);
        if (n !== shown) progress(`collect: ${n.toLocaleString('en')} / ${TOTAL.toLocaleString('en')} spans written`);
        shown = n;
        return n >= TOTAL ? n : undefined;
      },
      600_000,
    );
    const e2eSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const rss = rssOf(child.pid!);
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    progress('');
    rows.push({ method: 'collect: OTLP/protobuf over loopback → rows (end to end)', spans: TOTAL, seconds: e2eSeconds, peakRssMib: rss.peakMib, note: `all acknowledged after ${ackSeconds.toFixed(1)} s; ${retried} retries (429/503)` });

    const store = await openStore({ kind: 'embedded', path: join(dir, 'collect-store') }, { command: 'bench' });
    let stored: { rows: number; distinct: number };
    try {
      stored = await count(store);
    } finally {
      await store.close();
    }
    const rowsCheck = stored.rows === TOTAL && stored.distinct === TOTAL ? 'exactly once' : `MISMATCH: ${stored.rows} rows, ${stored.distinct} distinct`;
    rows[0]!.note += `; stored ${rowsCheck}`;

    // 2. file ingest and 3. the engine alone, on a fresh store in this process
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
      let t = performance.now();
      let peak = process.memoryUsage.rss();
      const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
      await ingestFiles(bench, paths, { signal: 'traces', decoder: 'engine' });
      clearInterval(sample);
      const ingested = await count(bench);
      rows.push({ method: `file ingest: ${paths.length} OTLP/protobuf files (engine decoder)`, spans: ingested.rows, seconds: (performance.now() - t) / 1000, peakRssMib: peak / 2 ** 20, note: 'bench process (chDB in it)' });

      await bench.client.command({ query: 'TRUNCATE TABLE otel_traces' });
      progress('spooling the requests for the engine-only run …');
      const spool = Spool.open(join(dir, 'bench-spool'), { maxBatchAgeMs: 60_000 });
      for (let i = 0; i < bodies.length; i++) await spool.append('traces-pb', [Buffer.from(bodies[i]!)], { traces: PER_REQUEST });
      await spool.sealAll();
      const batches = spool.sealed.length;
      progress('engine alone …');
      const writer = new BatchWriter(bench, spool, createCollectorMetrics({ processMetrics: false }));
      t = performance.now();
      peak = process.memoryUsage.rss();
      const sample2 = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
      writer.start();
      await writer.drain(600_000);
      clearInterval(sample2);
      const engineSeconds = (performance.now() - t) / 1000;
      const engine = await count(bench);
      rows.push({ method: `engine alone: the writer over the same ${batches} spooled batches`, spans: engine.rows, seconds: engineSeconds, peakRssMib: peak / 2 ** 20, note: 'no HTTP, no JS decode' });
    } finally {
      await bench.close();
    }
    progress('');

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
