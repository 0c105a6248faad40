/**
 * `npm run bench:kpi`: the main reports over a month of data, from the hourly rollups and
 * from the raw facts, in the same run on the same store, with their ratio.
 *
 * Data, generated in the engine (INSERT … SELECT … FROM numbers()) on a fresh embedded
 * store in a temporary directory:
 * - `--spans` LLM requests (default 100 M) over `--days` days (default 30), written
 *   straight into the `llm_requests` facts — through `otel_traces` they would add about
 *   12 GB and most of an hour of the fact view's work, which is ingest, not reporting;
 *   the marking view of the rollups runs as in production;
 * - DCGM samples of 64 GPUs (8 nodes × 8; nodes 0–3 H100, 4–7 B200) every 30 s, four
 *   metrics each (power, GPU util, engine active, energy counter): 22 M rows over 30
 *   days, straight into `gpu_samples`;
 * - a config whose inventory matches: five deployments on seven nodes, node-7 unassigned.
 *
 * Then: settle the rollups (timed), and time each report `--runs` times from the rollups
 * and `--raw-runs` times from the facts (medians), check that both agree (sums equal,
 * quantiles within 2 %), print a table (stdout; progress on stderr) and, with `--record`,
 * write it into bench/README.md between this benchmark's markers.
 *
 *   node --max-old-space-size=8192 dist/bench/kpi.js [--spans 100e6] [--days 30] [--runs 5]
 *        [--raw-runs 1] [--record] [--keep] [--dir DIR]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { z } from 'zod';
import { configSchema, type Config } from '../core/config/schema.js';
import { migrate } from '../core/schema/migrate.js';
import { openStore, type Store } from '../core/store/open-store.js';
import { costTotals, unitEconomics, type KpiResult } from '../pipelines/kpi/unit-economics.js';
import { costTotalsFromRollups, planRollupRead, settleRollups, unitEconomicsFromRollups } from '../pipelines/rollups/index.js';

const flagsSchema = z
  .object({
    spans: z.coerce.number().int().min(1000).default(100e6),
    days: z.coerce.number().int().min(2).max(62).default(30),
    runs: z.coerce.number().int().min(1).default(5),
    'raw-runs': z.coerce.number().int().min(0).default(1),
    record: z.boolean().default(false),
    keep: z.boolean().default(false),
    dir: z.string().min(1).optional(),
  })
  .strict();
type Flags = z.output<typeof flagsSchema>;

function parseFlags(argv: string[]): Flags {
  const raw: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const [, key, value] = m;
    if (key === 'record' || key === 'keep') raw[key] = true;
    else raw[key!] = value ?? argv[++i] ?? '';
  }
  const parsed = flagsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

const START = '2026-01-01 00:00:00';
const H100 = 'NVIDIA H100 80GB HBM3';
const B200 = 'NVIDIA B200';
const MODELS = ['meta/llama-3.1-70b-instruct', 'meta/llama-3.1-8b-instruct', 'qwen/qwen2.5-72b-instruct', 'mistralai/mixtral-8x22b-instruct', 'deepseek-ai/deepseek-r1'];
/** model of request n by n % 10: 70b ×3, 8b ×3, qwen ×1, mixtral ×2, deepseek ×1 */
const MODEL_OF = [0, 0, 0, 1, 1, 1, 2, 3, 3, 4].map((i) => MODELS[i]!);
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell'];

function benchConfig(): Config {
  const nodes = (...ns: number[]) => ({ nodes: ns.map((n) => ({ node: `node-${n}`, gpus: [0, 1, 2, 3, 4, 5, 6, 7] })) });
  return configSchema.parse({
    gpu_types: { H100: { hourly_usd: 2.5, kwh_usd: 0.1, pue: 1.25 }, B200: { hourly_usd: 4.2, kwh_usd: 0.1, pue: 1.25 } },
    deployments: [
      { name: 'llama-70b', model: MODELS[0], gpus: nodes(0, 1) },
      { name: 'llama-8b', model: MODELS[1], gpus: nodes(2) },
      { name: 'qwen-72b', model: MODELS[2], gpus: nodes(3) },
      { name: 'mixtral', model: MODELS[3], gpus: nodes(4, 5) },
      { name: 'deepseek-r1', model: MODELS[4], gpus: nodes(6) },
    ],
    prices: Object.fromEntries(MODELS.map((m, i) => [m, { input_usd_per_mtok: 0.1 * (i + 1), output_usd_per_mtok: 0.4 * (i + 1) }])),
  });
}

const progress = (text: string): void => {
  process.stderr.write(`${text}\n`);
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Wall time and CPU time (this process's user + system: chDB runs in it) of `fn`, in seconds. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const r = await fn();
  const u = process.cpuUsage(c);
  return [r, Number(process.hrtime.bigint() - t) / 1e9, (u.user + u.system) / 1e6];
}

async function scalar(store: Store, query: string): Promise<number> {
  const rs = await store.client.query({ query, format: 'JSONEachRow' });
  const [row] = await rs.json<Record<string, number | string>>();
  return Number(Object.values(row ?? {})[0] ?? 0);
}

/** 64 GPUs × one sample every 30 s × 4 metrics, straight into gpu_samples. */
async function generateGpuSamples(store: Store, days: number): Promise<number> {
  const instants = days * 2880 * 64;
  const chunk = 2880 * 64; // one day per INSERT
  for (let done = 0; done < instants; done += chunk) {
    await store.client.command({
      query: `
        INSERT INTO gpu_samples (ts, uuid, gpu_index, node, model_name, gpu_type, pod, namespace, metric, value)
        SELECT ts, uuid, idx, node, model_name, gpu_type, '', '', metric, value FROM (
          SELECT number AS i, intDiv(i, 64) AS step, i % 64 AS g, intDiv(g, 8) AS node_no,
            toDateTime({start:String}, 'UTC') + toIntervalSecond(step * 30) AS ts,
            concat('GPU-', leftPad(toString(g), 2, '0')) AS uuid, toUInt16(g % 8) AS idx, concat('node-', toString(node_no)) AS node,
            if(node_no < 4, {h100:String}, {b200:String}) AS model_name, if(node_no < 4, 'H100', 'B200') AS gpu_type,
            50 + 40 * sin(step / 120 + g) AS util,
            if(node_no < 4, 300 + 4 * util, 500 + 6 * util) AS power,
            -- energy counter, mJ: nominal 600 / 900 W since the start
            toFloat64(step) * 30 * if(node_no < 4, 600, 900) * 1000 AS energy
          FROM numbers({from:UInt64}, {count:UInt64})
        )
        ARRAY JOIN ['DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'DCGM_FI_DEV_POWER_USAGE', 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION'] AS metric,
                   [util, util / 100, power, energy] AS value`,
      query_params: { start: START, h100: H100, b200: B200, from: done, count: Math.min(chunk, instants - done) },
      clickhouse_settings: { max_insert_threads: "2" },
    });
    progress(`  GPU samples: day ${Math.round((done + chunk) / chunk)}/${days}`);
  }
  return instants * 4;
}

/** `spans` requests spread evenly over the days, straight into llm_requests. */
async function generateRequests(store: Store, spans: number, days: number): Promise<void> {
  const stepNs = Math.floor((days * 86_400e9) / spans);
  const chunk = 10_000_000;
  for (let done = 0; done < spans; done += chunk) {
    await store.client.command({
      query: `
        INSERT INTO llm_requests (ts, hour, end_ts, trace_id, span_id, parent_span_id, service, span_name, tenant, model, request_model,
                                  endpoint, server_address, input_tokens, output_tokens, e2e_ms, ttft_ms, is_error, error_type, workflow_id)
        SELECT ts, toStartOfHour(ts), ts + toIntervalMicrosecond(toUInt64(e2e * 1000)),
          lower(hex(sipHash128(n))), lower(hex(sipHash64(n, 1))), '',
          ['gateway-eu', 'gateway-us'][n % 2 + 1], 'chat', tenant, model, model,
          ['/v1/chat/completions', '/v1/completions'][intDiv(n, 3) % 2 + 1], '',
          input_tokens, output_tokens, e2e, ttft, is_error, if(is_error, 'timeout', ''), ''
        FROM (
          SELECT number AS n,
            toDateTime64({start:String}, 9, 'UTC') + toIntervalNanosecond(n * {step:UInt64}) AS ts,
            {models:Array(String)}[n % 10 + 1] AS model,
            -- skewed tenants: acme 30 %, globex 20 %, initech 15 %, … tyrell 2 %
            {tenants:Array(String)}[arrayFirstIndex(c -> sipHash64(n, 2) % 100 < c, [30, 50, 65, 77, 86, 93, 98, 100])] AS tenant,
            toUInt64(50 + sipHash64(n, 3) % 2000) AS input_tokens,
            toUInt64(20 + sipHash64(n, 4) % 600) AS output_tokens,
            exp(6 + 1.8 * (sipHash64(n, 5) % 1000003) / 1000003) AS e2e,
            if(sipHash64(n, 6) % 20 = 0, NULL, e2e * (0.05 + 0.25 * (sipHash64(n, 7) % 1000003) / 1000003)) AS ttft,
            toUInt8(sipHash64(n, 8) % 200 = 0) AS is_error
          FROM numbers({from:UInt64}, {count:UInt64})
        )`,
      query_params: { start: START, step: stepNs, models: MODEL_OF, tenants: TENANTS, from: done, count: Math.min(chunk, spans - done) },
      clickhouse_settings: { max_insert_threads: "2" },
    });
    progress(`  requests: ${Math.min(done + chunk, spans) / 1e6} M / ${spans / 1e6} M`);
  }
}

type Rows = Record<string, unknown>[];

/** Sums equal (floats to 1e-9 relative), quantiles within 2 %. */
function agree(raw: Rows, rolled: Rows): boolean {
  if (raw.length !== rolled.length) return false;
  return raw.every((r, i) =>
    Object.entries(r).every(([k, v]) => {
      const o = rolled[i]![k];
      if (typeof v !== 'number' || typeof o !== 'number') return v === o;
      const tol = /_p\d\d$/.test(k) ? 0.02 : Number.isInteger(v) && Number.isInteger(o) ? 0 : 1e-9;
      return Math.abs(o - v) <= tol * Math.max(Math.abs(v), 1e-12);
    }),
  );
}

interface Report {
  name: string;
  rollups: () => Promise<KpiResult<Record<string, unknown>>>;
  raw: () => Promise<KpiResult<Record<string, unknown>>>;
}

interface Result {
  name: string;
  rows: number;
  rollups: number[];
  rollupsCpu: number[];
  raw: number[];
  rawCpu: number[];
  agree: boolean | null;
  /** why the raw computation did not finish (e.g. ClickHouse's memory limit) */
  rawError: string | null;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const dir = flags.dir ?? mkdtempSync(join(tmpdir(), 'tf-bench-kpi-'));
  const config = benchConfig();
  progress(`bench:kpi — ${flags.spans / 1e6} M requests, ${flags.days} days, 64 GPUs; store ${dir}`);
  const store = await openStore({ kind: 'embedded', path: dir }, { command: 'bench:kpi' });
  const timings: Record<string, number> = {};
  try {
    await migrate(store, { views: config.attribution });
    // month-long raw reports sort and group ~100 M rows: let them spill to disk rather than fail
    await store.client.command({ query: 'SET max_bytes_before_external_sort = 1000000000, max_bytes_before_external_group_by = 1000000000' });
    progress('generating DCGM samples');
    const [samples, tSamples] = await timed(() => generateGpuSamples(store, flags.days));
    timings.generate_gpu_samples_s = tSamples;
    progress('generating requests');
    const [, tRequests] = await timed(() => generateRequests(store, flags.spans, flags.days));
    timings.generate_requests_s = tRequests;
    const diskGb = (await scalar(store, "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND table IN ('llm_requests', 'gpu_samples')")) / 1e9;

    progress('settling the rollups');
    const [settled, tSettle, cSettle] = await timed(() => settleRollups(store, config, { marginS: 0, onProgress: (d, t) => progress(`  settled ${d}/${t} hours`) }));
    timings.settle_s = tSettle;
    const rollupRows = await scalar(store, 'SELECT count() FROM rollup_requests_hourly');
    const rollupGb = (await scalar(store, "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND startsWith(table, 'rollup_')")) / 1e9;

    const month = { from: new Date(`${START.replace(' ', 'T')}Z`), to: new Date(Date.parse(`${START.replace(' ', 'T')}Z`) + flags.days * 86_400_000) };
    const day = { from: new Date(month.from.getTime() + Math.floor(flags.days / 2) * 86_400_000), to: new Date(month.from.getTime() + (Math.floor(flags.days / 2) + 1) * 86_400_000) };
    const plan = await planRollupRead(store, config, month);
    progress(`read plan for the month: ${plan.source} (${plan.reason})`);
    const reports: Report[] = [
      { name: 'unit economics by model (month)', rollups: () => unitEconomicsFromRollups(store, config, { ...month, by: ['model'] }), raw: () => unitEconomics(store, config, { ...month, by: ['model'] }) },
      { name: 'unit economics by tenant (month)', rollups: () => unitEconomicsFromRollups(store, config, { ...month, by: ['tenant'] }), raw: () => unitEconomics(store, config, { ...month, by: ['tenant'] }) },
      { name: 'unit economics by deployment × hour (one day)', rollups: () => unitEconomicsFromRollups(store, config, { ...day, by: ['deployment', 'hour'] }), raw: () => unitEconomics(store, config, { ...day, by: ['deployment', 'hour'] }) },
      { name: 'cost totals by deployment (month)', rollups: () => costTotalsFromRollups(store, config, { ...month, by: ['deployment'] }), raw: () => costTotals(store, config, { ...month, by: ['deployment'] }) },
      { name: 'latency p50–p99 by model × day (month)', rollups: () => unitEconomicsFromRollups(store, config, { ...month, by: ['model', 'day'] }), raw: () => unitEconomics(store, config, { ...month, by: ['model', 'day'] }) },
    ];
    const results: Result[] = [];
    const facts = (): string[] => [
      `${(flags.spans / 1e6).toLocaleString('en-US')} M requests and ${(samples / 1e6).toFixed(1)} M DCGM rows (64 GPUs, 30 s, 4 metrics) over ${flags.days} days: ${diskGb.toFixed(1)} GB on disk`,
      `generated in ${(timings.generate_requests_s! + timings.generate_gpu_samples_s!).toFixed(0)} s (requests ${timings.generate_requests_s!.toFixed(0)} s, samples ${timings.generate_gpu_samples_s!.toFixed(0)} s)`,
      `settle (first, every hour): ${settled.hours} hours in ${settled.batches} batches and ${settled.days} days, ${tSettle.toFixed(0)} s (cpu ${cSettle.toFixed(0)} s) → ${rollupRows.toLocaleString('en-US')} hourly request rollup rows, ${(rollupGb * 1000).toFixed(0)} MB`,
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work shares the machine: the CPU columns are this process's own time)`,
      `medians of ${flags.runs} runs from the rollups and ${flags['raw-runs']} from the facts; rollup times include planning (which hours are current)`,
    ];
    for (const r of reports) {
      const res: Result = { name: r.name, rows: 0, rollups: [], rollupsCpu: [], raw: [], rawCpu: [], agree: null, rawError: null };
      let rolledRows: Rows = [];
      for (let i = 0; i < flags.runs; i++) {
        const [out, s, c] = await timed(r.rollups);
        res.rollups.push(s);
        res.rollupsCpu.push(c);
        rolledRows = out.rows;
      }
      res.rows = rolledRows.length;
      progress(`${r.name}: rollups ${median(res.rollups).toFixed(3)} s`);
      results.push(res);
    }
    if (flags.record) record(summary(results, facts()), flags);
    // raw after every rollup timing, so that a long raw run can be cut short with the rollup side recorded
    for (const [i, r] of reports.entries()) {
      const res = results[i]!;
      const rolledRows = (await r.rollups()).rows;
      for (let run = 0; run < flags['raw-runs'] && res.rawError === null; run++) {
        try {
          const [out, s, c] = await timed(r.raw);
          res.raw.push(s);
          res.rawCpu.push(c);
          res.agree = agree(out.rows, rolledRows);
          progress(`${r.name}: raw ${s.toFixed(2)} s (cpu ${c.toFixed(1)} s), agree ${res.agree}`);
        } catch (e) {
          res.rawError = ((e as Error).message ?? String(e)).split('\n')[0]!.replace(/\.?\s*$/, '');
          progress(`${r.name}: raw failed: ${res.rawError}`);
        }
      }
      if (flags.record) record(summary(results, facts()), flags);
    }

    const text = summary(results, facts());
    process.stdout.write(`\n${text}`);
    if (flags.record) record(text, flags);
  } finally {
    await store.close();
    if (!flags.keep && flags.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

function summary(results: Result[], facts: string[]): string {
  const table = new Table({
    head: ['report', 'rows', 'rollups s', 'rollups cpu s', 'raw s', 'raw cpu s', 'raw / rollups', 'agree'],
    style: { head: [], border: [] },
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const r of results) {
    const rr = median(r.rollups);
    const raw = median(r.raw);
    const has = r.raw.length > 0;
    const failed = r.rawError !== null && !has;
    table.push([r.name, String(r.rows), rr.toFixed(3), median(r.rollupsCpu).toFixed(3), has ? raw.toFixed(1) : failed ? 'failed *' : '—', has ? median(r.rawCpu).toFixed(1) : '—', has ? `${Math.round(raw / rr)}×` : '—', r.agree === null ? '—' : r.agree ? 'yes' : 'NO']);
  }
  const errors = [...new Set(results.flatMap((r) => (r.rawError ? [r.rawError] : [])))].map((e) => `* raw computation failed: ${e}`);
  return `${table.toString()}\n${[...facts, ...errors].map((f) => `- ${f}`).join('\n')}\n`;
}

const START_MARK = '<!-- bench:kpi:start -->';
const END_MARK = '<!-- bench:kpi:end -->';

/** Writes the result between this benchmark's markers in bench/README.md, leaving the rest as it is. */
function record(text: string, flags: Flags): void {
  const readme = fileURLToPath(new URL('../../bench/README.md', import.meta.url));
  const section = `${START_MARK}\nLast run (${new Date().toISOString().slice(0, 10)}, \`node --max-old-space-size=8192 dist/bench/kpi.js --spans ${flags.spans} --days ${flags.days} --runs ${flags.runs} --raw-runs ${flags['raw-runs']}\`):\n\n\`\`\`\n${text.trimEnd()}\n\`\`\`\n${END_MARK}`;
  const current = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmarks\n';
  const next = current.includes(START_MARK) && current.includes(END_MARK)
    ? current.slice(0, current.indexOf(START_MARK)) + section + current.slice(current.indexOf(END_MARK) + END_MARK.length)
    : `${current.trimEnd()}\n\n## KPI reports: rollups vs raw (\`npm run bench:kpi\`)\n\n${section}\n`;
  writeFileSync(readme, next);
  progress(`recorded in ${readme}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:kpi failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
