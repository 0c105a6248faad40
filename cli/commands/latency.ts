/**
 * `token-factory latency`: TTFT, inter-token and end-to-end latency quantiles.
 * - `--source server` (default): from the inference servers' own histograms
 *   (pipelines/kpi/server-latency.ts: PromQL histogram_quantile over the window's bucket
 *   increases), by model, server_kind, service, instance, hour.
 * - `--source gateway`: exact quantiles over the gateway's request spans
 *   (pipelines/kpi/unit-economics.ts), by any request dimension.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { SERVER_LATENCY_DIMENSION_NAMES, serverLatency, type ServerLatencyRow } from '../../pipelines/kpi/server-latency.js';
import { REQUEST_DIMENSION_NAMES, type UnitEconomicsRow } from '../../pipelines/kpi/unit-economics.js';
import { unitEconomicsAuto } from '../../pipelines/rollups/index.js';
import { config } from '../context.js';
import { render, type Column, type Row } from '../output.js';
import { apiParams, byOption, formatOption, isoTime, parseOptions, runKpi } from './kpi-options.js';

export const LATENCY_SOURCES = ['server', 'gateway'] as const;

export const latencyOptionsSchema = z
  .object({
    config: z.string().optional(),
    source: z.enum(LATENCY_SOURCES).default('server'),
    by: z.string().default('model'),
    from: isoTime.optional(),
    to: isoTime.optional(),
    format: formatOption,
  })
  .strict();

const ms = (key: string, header: string): Column => ({ key, header, kind: 'float' });
const QUANTILES = ['p50', 'p90', 'p95', 'p99'] as const;

/** Server histograms: requests the servers finished, TTFT / ITL / e2e quantiles (ms). */
const SERVER_COLUMNS: Column[] = [
  { key: 'requests', kind: 'int' },
  ...(['ttft', 'itl', 'e2e'] as const).flatMap((f) => QUANTILES.map((q) => ms(`${f}_ms_${q}`, `${f.toUpperCase()} ${q} ms`))),
];
/** Gateway spans: requests, TTFT / TPOT / e2e quantiles (ms); these columns only, in every format. */
const GATEWAY_COLUMNS: Column[] = [
  { key: 'requests', kind: 'int' },
  ...(['ttft', 'tpot', 'e2e'] as const).flatMap((f) => QUANTILES.map((q) => ms(`${f}_ms_${q}`, `${f.toUpperCase()} ${q} ms`))),
];

export function registerLatency(program: Command): void {
  program
    .command('latency')
    .description("latency quantiles (ms): from the inference servers' histograms (--source server) or the gateway's spans (--source gateway)")
    .option('-c, --config <file>', 'config file')
    .option('--source <source>', 'server (histograms of vLLM, SGLang, NIM) or gateway (request spans)', 'server')
    .option(
      '--by <dims>',
      `comma-separated dimensions: server ${SERVER_LATENCY_DIMENSION_NAMES.join(', ')}; gateway ${REQUEST_DIMENSION_NAMES.join(', ')}`,
      'model',
    )
    .option('--from <iso>', "window start (inclusive; default: the data's first hour)")
    .option('--to <iso>', "window end (exclusive; default: after the data's last hour)")
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(latencyOptionsSchema, raw);
      const loaded = config(opts);
      const window = { ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) };
      let rows: Row[];
      let resultWindow: { from: string; to: string };
      let columns: Column[];
      if (opts.source === 'server') {
        const { by } = parseOptions(z.object({ by: byOption(SERVER_LATENCY_DIMENSION_NAMES, 'model') }), { by: opts.by });
        const r = await runKpi<ServerLatencyRow>(loaded, 'latency', { path: '/api/v1/server-latency', params: apiParams({ ...window, by }) }, (store) =>
          serverLatency(store, loaded.config, { ...window, by }),
        );
        rows = r.rows;
        resultWindow = r.window;
        columns = [...by.map((key) => ({ key })), ...SERVER_COLUMNS];
      } else {
        const { by } = parseOptions(z.object({ by: byOption(REQUEST_DIMENSION_NAMES, 'model') }), { by: opts.by });
        const r = await runKpi<UnitEconomicsRow>(loaded, 'latency', { path: '/api/v1/unit-economics', params: apiParams({ ...window, by }) }, (store) =>
          // as the API and `report` answer: from the rollups where settled (quantiles within 1 %)
          unitEconomicsAuto(store, loaded.config, { ...window, by }),
        );
        columns = [...by.map((key) => ({ key })), ...GATEWAY_COLUMNS];
        rows = r.rows.map((x) => Object.fromEntries(columns.map((c) => [c.key, (x as Row)[c.key] ?? null])));
        resultWindow = r.window;
      }
      if (opts.format !== 'table' && opts.source === 'server') columns = Object.keys(rows[0] ?? {}).map((key) => ({ key }));
      process.stdout.write(render(rows, columns, opts.format, resultWindow));
    });
}
