/**
 * `token-factory simulate`: the simulated factory against any OTLP/HTTP endpoint (this
 * project's collector, or otelcol-contrib).
 *
 * - Load mode, `--rate R --duration D`: R gateway spans per second for D to `--target`,
 *   in batches; prints what the endpoint acknowledged and how fast (simulator/load.ts).
 *   For benchmarking a collector.
 * - Factory mode (no `--rate`): the factory backfills `--backfill` of history through the
 *   target, then runs live at `--speed` for `--duration` (default: until Ctrl-C). At speed
 *   1 its dcgm-exporter and vLLM endpoints are listed for a scraper to scrape; faster, the
 *   samples are pushed as OTLP with their simulated timestamps. At the end it prints its
 *   ground truth: the tokens it produced per tenant and model.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { sampleIntervalFlag, seedFlag, speedFlag } from './simulation-flags.js';
import { BadRequestError } from '../../core/errors.js';
import { runLoad } from '../../simulator/load.js';
import { startSimulator } from '../../simulator/simulator-host.js';
import { DEMO_TOPOLOGY } from '../../simulator/topology.js';
import { render, type Column, type Row } from '../output.js';
import { parseDuration } from './demo.js';

const simulateFlagsSchema = z
  .object({
    target: z.url().default('http://127.0.0.1:4318'),
    rate: z.coerce.number().positive().optional(),
    duration: z.string().optional(),
    batch: z.coerce.number().int().min(1).max(100_000).default(1000),
    concurrency: z.coerce.number().int().min(1).max(64).default(4),
    backfill: z.string().default('0'),
    speed: speedFlag,
    seed: seedFlag,
    sampleInterval: sampleIntervalFlag(60),
    format: z.enum(['table', 'json']).default('table'),
  })
  .strict();

interface SimulateCliOptions {
  target?: string;
  rate?: string;
  duration?: string;
  batch?: string;
  concurrency?: string;
  backfill?: string;
  speed?: string;
  seed?: string;
  sampleInterval?: string;
  format?: string;
}

const FLAG_NAMES: Record<string, string> = { sampleInterval: '--sample-interval' };

function parseFlags(opts: SimulateCliOptions): z.output<typeof simulateFlagsSchema> {
  const parsed = simulateFlagsSchema.safeParse(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    throw new BadRequestError(parsed.error.issues.map((i) => `${FLAG_NAMES[String(i.path[0])] ?? `--${String(i.path[0])}`}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

function print(rows: Row[], columns: Column[], format: 'table' | 'json', extra: Record<string, unknown> = {}): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify({ ...extra, rows }, null, 2)}\n` : render(rows, columns, 'table'));
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run the simulated AI factory against an OTLP/HTTP endpoint: load mode (--rate) or a factory with history and live traffic')
    .option('--target <url>', 'OTLP/HTTP base URL', 'http://127.0.0.1:4318')
    .option('--rate <spans/s>', 'load mode: gateway spans per second')
    .option('--duration <duration>', 'how long: load mode (default 60s), or live traffic (default: until Ctrl-C)')
    .option('--batch <n>', 'load mode: spans per export request', '1000')
    .option('--concurrency <n>', 'load mode: export requests outstanding', '4')
    .option('--backfill <duration>', 'factory mode: history to send first, e.g. 1d (default 0)', '0')
    .option('--speed <n>', 'factory mode: simulated seconds per real second', '1')
    .option('--seed <n>', 'seed of the simulated factory', '42')
    .option('--sample-interval <s>', 'factory mode: seconds between exporter samples sent as OTLP', '60')
    .option('-f, --format <format>', 'table or json', 'table')
    .action(async (raw: SimulateCliOptions) => {
      const f = parseFlags(raw);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      if (f.rate !== undefined) {
        const durationS = parseDuration(f.duration ?? '60s') / 1000;
        log(`load: ${f.rate} spans/s for ${durationS} s to ${f.target} (batches of ${f.batch}, ${f.concurrency} in flight)`);
        const r = await runLoad({
          url: f.target,
          ratePerS: f.rate,
          durationS,
          batch: f.batch,
          maxInFlight: f.concurrency,
          seed: f.seed,
          onProgress: (p) => log(`  ${Math.round(p.elapsedS)} s: ${p.sent} sent, ${p.acked} acknowledged, ${p.failed} failed`),
        });
        print([r as unknown as Row], Object.keys(r).map((key) => ({ key, kind: key === 'seconds' || key.includes('_ms_') ? 'float' : 'int' })), f.format);
        if (r.failed > 0) process.exitCode = 1;
        return;
      }
      const backfillMs = parseDuration(f.backfill);
      const liveMs = f.duration !== undefined ? parseDuration(f.duration) : undefined;
      const now = Math.floor(Date.now() / 5000) * 5000;
      const startMs = now - backfillMs;
      const sim = await startSimulator({ topology: DEMO_TOPOLOGY, seed: f.seed, startMs, otlpUrl: f.target, sampleIntervalS: f.sampleInterval });
      try {
        if (backfillMs > 0) {
          let lastStep = -1;
          const r = await sim.backfill(now, {
            onProgress: (p) => {
              const step = Math.floor((10 * p.doneMs) / Math.max(1, p.totalMs));
              if (step !== lastStep) log(`backfill ${(lastStep = step) * 10}%: ${p.spans} spans, ${p.points} samples`);
            },
          });
          log(`backfill done: ${r.spans} spans, ${r.points} samples in ${r.seconds.toFixed(1)} s`);
        }
        await sim.startLive({ speed: f.speed });
        if (f.speed === 1) {
          log('exporters to scrape (dcgm-exporter per node, vLLM per replica):');
          for (const e of sim.endpoints) log(`  ${e.kind.padEnd(4)} job=${e.job.padEnd(16)} ${e.url}`);
        }
        log(`live at ${f.speed}× ${liveMs !== undefined ? `for ${liveMs / 1000} s` : 'until Ctrl-C'}`);
        await new Promise<void>((resolvePromise) => {
          const done = () => {
            process.off('SIGINT', done);
            process.off('SIGTERM', done);
            clearTimeout(timer);
            resolvePromise();
          };
          const timer = liveMs !== undefined ? setTimeout(done, liveMs) : undefined;
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
        await sim.stopLive();
        const truth = await sim.truth();
        const rows = truth.tokens({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }, ['tenant', 'model']) as unknown as Row[];
        log('ground truth: what the factory produced');
        print(rows, ['tenant', 'model', 'requests', 'errors', 'input_tokens', 'output_tokens', 'tokens'].map((key) => ({ key, kind: key === 'tenant' || key === 'model' ? 'text' : 'int' })), f.format, {
          window: { from: new Date(startMs).toISOString(), to: new Date().toISOString() },
        });
      } finally {
        await sim.close();
      }
    });
}
