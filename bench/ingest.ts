/**
 * `npm run bench:ingest`: file ingest of 1 M GenAI gateway spans, as OTLP/protobuf and as
 * OTLP/JSON (100 files of 10 k spans each), next to two ceilings measured in the same run
 * on the same machine:
 * - ceiling 1: the engine loading the same rows already flattened, from a file
 *   (`INSERT INTO otel_traces SELECT … FROM file(…, 'JSONEachRow' | 'RowBinary')`; the
 *   faster of the two is the ceiling);
 * - ceiling 2: the engine generating equivalent rows (`INSERT … SELECT … FROM numbers()`).
 * Every method starts from an empty `otel_traces` on one fresh embedded store; the rows
 * each method stores are checked against the engine ingest's (a checksum over all columns).
 *
 * Environment: BENCH_SPANS (default 1000000, a multiple of 10000), BENCH_RUNS (runs of the
 * fast methods, default 3: the median is shown), BENCH_JS_RUNS (runs of the JS decoders,
 * default 1). Progress goes to stderr, the table to stdout. Generation is not measured.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { openStore, type Store } from '../core/store/open-store.js';
import { migrate } from '../core/schema/migrate.js';
import { ingestFiles, type IngestOptions } from '../collectors/ingest/ingest-files.js';
import { encodeJson, encodeProtobuf, genAiTraceRequest } from './genai-spans.js';

const SPANS = Number(process.env.BENCH_SPANS ?? 1_000_000);
const SPANS_PER_FILE = 10_000;
const FILES = Math.max(1, Math.round(SPANS / SPANS_PER_FILE));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const JS_RUNS = Number(process.env.BENCH_JS_RUNS ?? 1);

interface Measure {
  method: string;
  spans: number;
  seconds: number[];
  peakRssMb: number;
  /** same rows as the engine ingest stored (checksum), when checked */
  same?: boolean;
}

const progress = (text: string): void => {
  process.stderr.write(`\r\x1b[K${text}`);
};

/** Samples this process's RSS (chDB runs in it) while `fn` runs. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<[T, number]> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
  try {
    const result = await fn();
    return [result, Math.max(peak, process.memoryUsage.rss())];
  } finally {
    clearInterval(timer);
  }
}

async function scalar(store: Store, query: string): Promise<string> {
  const rs = await store.client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
  const [row] = await rs.json<Record<string, string>>();
  return String(Object.values(row ?? {})[0] ?? '');
}

/** Order-independent checksum of every stored span row. */
const CHECKSUM = "SELECT toString(groupBitXor(cityHash64(*))) FROM otel_traces";

async function measure(store: Store, method: string, runs: number, fn: (run: number) => Promise<void>, reference?: string): Promise<Measure> {
  const seconds: number[] = [];
  let peakRssMb = 0;
  let spans = 0;
  let same: boolean | undefined;
  for (let run = 0; run < runs; run++) {
    await store.client.command({ query: 'TRUNCATE TABLE otel_traces' });
    progress(`${method}: run ${run + 1}/${runs}`);
    const started = process.hrtime.bigint();
    const [, rss] = await withPeakRss(() => fn(run));
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    peakRssMb = Math.max(peakRssMb, rss / 2 ** 20);
    spans = Number(await scalar(store, 'SELECT count() FROM otel_traces'));
    if (reference !== undefined) same = (same ?? true) && (await scalar(store, CHECKSUM)) === reference;
  }
  progress(`${method}: ${median(seconds).toFixed(2)} s\n`);
  return { method, spans, seconds, peakRssMb, ...(same === undefined ? {} : { same }) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function ingest(store: Store, paths: string[], opts: IngestOptions, label: string): Promise<void> {
  const summary = await ingestFiles(store, paths, {
    ...opts,
    onProgress: (e) => progress(`${label}: ${Math.round((100 * e.bytesDone) / Math.max(e.bytesTotal, 1))} %`),
  });
  const failed = summary.files.filter((f) => !f.ok);
  if (failed.length > 0) throw new Error(`${label}: ${failed.length} files failed, e.g. ${failed[0]!.file}: ${failed[0]!.error}`);
}

/** Columns of otel_traces with DateTime64(9) read/written as Int64 ns (the staged form). */
async function rowFileShape(store: Store): Promise<{ structure: string; out: string; back: string }> {
  const rs = await store.client.query({
    query: "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position",
    format: 'JSONEachRow',
  });
  const cols = await rs.json<{ name: string; type: string }>();
  const q = (n: string): string => `\`${n}\``;
  return {
    structure: cols.map((c) => `${q(c.name)} ${c.type.replace('DateTime64(9)', 'Int64')}`).join(', '),
    out: cols
      .map((c) => (c.type === 'DateTime64(9)' ? `toUnixTimestamp64Nano(${q(c.name)})` : c.type === 'Array(DateTime64(9))' ? `arrayMap(x -> toUnixTimestamp64Nano(x), ${q(c.name)})` : q(c.name)))
      .join(', '),
    back: cols
      .map((c) => (c.type === 'DateTime64(9)' ? `fromUnixTimestamp64Nano(${q(c.name)})` : c.type === 'Array(DateTime64(9))' ? `arrayMap(x -> fromUnixTimestamp64Nano(x), ${q(c.name)})` : q(c.name)))
      .join(', '),
  };
}

/** Rows like the generated spans (same columns, attribute counts and value shapes), made by the engine. */
function generatedRowsSql(spans: number): string {
  return `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage, \`Events.Timestamp\`, \`Events.Name\`, \`Events.Attributes\`, \`Links.TraceId\`, \`Links.SpanId\`, \`Links.TraceState\`, \`Links.Attributes\`)
SELECT
  fromUnixTimestamp64Nano(toInt64(1767225600000000000 + number * intDiv(86400000000000, ${spans}))) AS ts,
  lower(hex(concat(reinterpretAsString(cityHash64(number, 1)), reinterpretAsString(cityHash64(number, 2))))),
  lower(hex(reinterpretAsString(cityHash64(number, 3)))),
  if(number % 2 = 0, lower(hex(reinterpretAsString(cityHash64(number, 4)))), ''),
  '',
  concat('chat ', model), 'Client', 'ai-gateway',
  map('service.name', 'ai-gateway', 'service.version', '2.3.1', 'service.instance.id', concat('gateway-', toString(intDiv(number, 10000) % 4)), 'deployment.environment.name', 'prod', 'host.name', concat('gw-node-', toString(intDiv(number, 10000) % 4))),
  'gen-ai-gateway', '2.3.1',
  map('gen_ai.operation.name', 'chat', 'gen_ai.provider.name', 'vllm', 'gen_ai.request.model', model, 'gen_ai.response.model', model,
      'gen_ai.response.id', concat('chatcmpl-', lower(hex(number))), 'gen_ai.request.max_tokens', '1024', 'gen_ai.request.temperature', '0.7',
      'gen_ai.request.stream', if(number % 5 = 0, 'false', 'true'), 'gen_ai.usage.input_tokens', toString(50 + cityHash64(number, 5) % 4000),
      'gen_ai.usage.output_tokens', toString(1 + cityHash64(number, 6) % 1000), 'gen_ai.server.time_to_first_token', toString(0.02 + (cityHash64(number, 7) % 800000) / 1e6),
      'gen_ai.response.finish_reasons', '["stop"]', 'tenant.id', tenant, 'server.address', concat('vllm-', toString(number % 16), '.gpu.internal'), 'server.port', '8000'),
  toUInt64(20000000 + cityHash64(number, 8) % 30000000000),
  if(number % 50 = 0, 'Error', 'Unset'), if(number % 50 = 0, 'upstream error', ''),
  if(number % 10 = 0, [ts], []), if(number % 10 = 0, ['gen_ai.first_token'], []), if(number % 10 = 0, [map('gen_ai.token.index', '0')], []),
  if(number % 100 = 0, [lower(hex(concat(reinterpretAsString(cityHash64(number, 9)), reinterpretAsString(cityHash64(number, 10)))))], []),
  if(number % 100 = 0, [lower(hex(reinterpretAsString(cityHash64(number, 11))))], []),
  if(number % 100 = 0, [''], []), if(number % 100 = 0, [map('gen_ai.link.reason', 'retry')], [])
FROM (
  SELECT number,
    ['meta/llama-3.1-70b-instruct', 'meta/llama-3.1-8b-instruct', 'mistralai/mixtral-8x22b-instruct', 'qwen/qwen2.5-72b-instruct', 'deepseek-ai/deepseek-r1'][number % 5 + 1] AS model,
    ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'][number % 8 + 1] AS tenant
  FROM numbers(${spans})
)`;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'tf-bench-'));
  try {
    const pbDir = join(root, 'protobuf');
    const jsonDir = join(root, 'json');
    mkdirSync(pbDir);
    mkdirSync(jsonDir);
    const pbFiles: string[] = [];
    const jsonFiles: string[] = [];
    let pbBytes = 0;
    let jsonBytes = 0;
    for (let k = 0; k < FILES; k++) {
      progress(`generating ${FILES} + ${FILES} files of ${SPANS_PER_FILE} spans: ${k}`);
      const request = genAiTraceRequest(k, SPANS_PER_FILE, FILES * SPANS_PER_FILE);
      const name = `spans-${String(k).padStart(4, '0')}`;
      const pb = encodeProtobuf(request);
      const json = encodeJson(request);
      pbBytes += pb.length;
      jsonBytes += Buffer.byteLength(json);
      writeFileSync(join(pbDir, `${name}.binpb`), pb);
      writeFileSync(join(jsonDir, `${name}.json`), json);
      pbFiles.push(join(pbDir, `${name}.binpb`));
      jsonFiles.push(join(jsonDir, `${name}.json`));
    }
    progress(`generated ${(pbBytes / 2 ** 20).toFixed(0)} MiB of protobuf, ${(jsonBytes / 2 ** 20).toFixed(0)} MiB of JSON\n`);

    const store = await openStore({ kind: 'embedded', path: join(root, 'store') }, { command: 'bench' });
    try {
      await migrate(store);
      const results: Measure[] = [];
      const engine = await measure(store, 'file ingest, OTLP/protobuf, engine decoder', RUNS, () => ingest(store, pbFiles, { signal: 'traces', decoder: 'engine' }, 'protobuf (engine)'));
      results.push(engine);
      const reference = await scalar(store, CHECKSUM);

      // the rows just stored, as files the ceilings load
      const shape = await rowFileShape(store);
      for (const format of ['JSONEachRow', 'RowBinary']) {
        await store.client.command({
          query: `INSERT INTO FUNCTION file('${join(root, `rows.${format}`)}', '${format}', '${shape.structure}') SELECT ${shape.out} FROM otel_traces SETTINGS engine_file_truncate_on_insert = 1`,
        });
      }

      results.push(await measure(store, 'file ingest, OTLP/protobuf, JS decoder', JS_RUNS, () => ingest(store, pbFiles, { signal: 'traces', decoder: 'js' }, 'protobuf (JS)'), reference));
      results.push(await measure(store, 'file ingest, OTLP/JSON (JS decoder)', JS_RUNS, () => ingest(store, jsonFiles, {}, 'JSON'), reference));
      const ceilings: Measure[] = [];
      for (const format of ['JSONEachRow', 'RowBinary']) {
        ceilings.push(
          await measure(
            store,
            `ceiling 1: flattened rows, INSERT … FROM file(${format})`,
            RUNS,
            async () => {
              await store.client.command({ query: `INSERT INTO otel_traces SELECT ${shape.back} FROM file('${join(root, `rows.${format}`)}', '${format}', '${shape.structure}')` });
            },
            reference,
          ),
        );
      }
      results.push(...ceilings);
      const generated = await measure(store, 'ceiling 2: engine-generated rows, INSERT … SELECT FROM numbers()', RUNS, async () => {
        await store.client.command({ query: generatedRowsSql(FILES * SPANS_PER_FILE) });
      });
      results.push(generated);

      const rate = (m: Measure): number => m.spans / median(m.seconds);
      const ceiling1 = Math.max(...ceilings.map(rate));
      const ceiling2 = rate(generated);
      const table = new Table({ style: { head: [], border: [] }, head: ['method', 'spans', 'seconds (median)', 'spans/s', '÷ ceiling 1', '÷ ceiling 2', 'peak RSS MiB', 'same rows'] });
      for (const m of results.filter((r) => r.seconds.length > 0)) {
        table.push([
          m.method,
          m.spans.toLocaleString('en'),
          `${median(m.seconds).toFixed(2)}${m.seconds.length > 1 ? ` (${m.seconds.map((s) => s.toFixed(1)).join(', ')})` : ''}`,
          Math.round(rate(m)).toLocaleString('en'),
          `${((100 * rate(m)) / ceiling1).toFixed(0)} %`,
          `${((100 * rate(m)) / ceiling2).toFixed(0)} %`,
          m.peakRssMb.toFixed(0),
          m.same === undefined ? '' : m.same ? 'yes' : 'NO',
        ]);
      }
      const cpu = cpus()[0]?.model ?? 'unknown CPU';
      process.stdout.write(
        `token-factory ingest benchmark: ${(FILES * SPANS_PER_FILE).toLocaleString('en')} spans in ${FILES} files per format ` +
          `(${(pbBytes / 2 ** 20).toFixed(0)} MiB protobuf, ${(jsonBytes / 2 ** 20).toFixed(0)} MiB JSON)\n` +
          `machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' ')}\n` +
          `ceiling 1 = the faster flattened-rows load (${Math.round(ceiling1).toLocaleString('en')} spans/s); ceiling 2 = engine-generated rows\n` +
          `${table.toString()}\n`,
      );
    } finally {
      await store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`\nbench:ingest failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
