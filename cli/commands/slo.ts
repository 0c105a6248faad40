/**
 * `token-factory slo`: per configured SLO (config `slos`) its SLI over the window, whether
 * it is met, bad events, the error budget left, the 5 min – 6 h burn rates, attainment and
 * goodput (pipelines/kpi/slo.ts, KPIS.md "Latency and reliability").
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { slo, type SloRow } from '../../pipelines/kpi/slo.js';
import { config } from '../context.js';
import { formatCell, render, type Column, type Row } from '../output.js';
import { apiParams, formatOption, isoTime, parseOptions, runKpi } from './kpi-options.js';

export const sloOptionsSchema = z
  .object({
    config: z.string().optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    format: formatOption,
  })
  .strict();

/** The table: target and SLI in the SLO's unit (ms, or % for error_rate). JSON and CSV carry every field. */
const TABLE_COLUMNS: Column[] = [
  { key: 'slo', header: 'SLO' },
  { key: 'target_shown', header: 'target', kind: 'text' },
  { key: 'sli_shown', header: 'SLI', kind: 'text' },
  { key: 'met_shown', header: 'met' },
  { key: 'events', kind: 'int' },
  { key: 'bad_events', header: 'bad', kind: 'int' },
  { key: 'bad_ratio', header: 'bad %', kind: 'ratio' },
  { key: 'error_budget_remaining', header: 'budget left', kind: 'ratio' },
  { key: 'slo_burn_rate_1h', header: 'burn 1h', kind: 'float' },
  { key: 'slo_burn_rate_6h', header: 'burn 6h', kind: 'float' },
  { key: 'slo_attainment', header: 'attainment', kind: 'ratio' },
  { key: 'goodput_tokens_per_gpu_hour', header: 'goodput tokens/GPU-h', kind: 'int' },
];

/** A target or SLI in its unit: error rates as %, latencies in ms. */
function inUnit(kind: unknown, v: unknown): string {
  if (typeof v !== 'number') return '—';
  return kind === 'error_rate' ? formatCell(v, 'ratio') : `${formatCell(v, 'float')} ms`;
}

export function registerSlo(program: Command): void {
  program
    .command('slo')
    .description('SLOs of the config: SLI, met or not, bad events, error budget left, burn rates, attainment, goodput')
    .option('-c, --config <file>', 'config file')
    .option('--from <iso>', "window start (inclusive; default: the data's first hour)")
    .option('--to <iso>', "window end (exclusive; default: after the data's last hour); burn rates end here")
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(sloOptionsSchema, raw);
      const loaded = config(opts);
      const window = { ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) };
      const result = await runKpi<SloRow>(loaded, 'slo', { path: '/api/v1/slo', params: apiParams(window) }, (store) => slo(store, loaded.config, window));
      if (opts.format !== 'table') {
        const columns = Object.keys(result.rows[0] ?? {}).map((key) => ({ key }));
        process.stdout.write(render(result.rows, columns, opts.format, result.window));
        return;
      }
      const shown: Row[] = result.rows.map((r) => ({
        ...r,
        target_shown: inUnit(r.kind, r.target),
        sli_shown: inUnit(r.kind, r.sli),
        met_shown: r.slo_met === null ? null : r.slo_met ? 'yes' : 'NO',
      }));
      const note = result.rows.length === 0 ? 'no SLOs in the config (slos: [...])\n' : '';
      process.stdout.write(render(shown, TABLE_COLUMNS, 'table', result.window) + note);
    });
}
