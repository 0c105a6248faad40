/**
 * `token-factory reconciliation`: tokens the gateway metered vs tokens the inference
 * servers counted, and the metering drift, by deployment and hour
 * (pipelines/kpi/reconciliation.ts, KPIS.md "Revenue and margin" → Reconciliation).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { meteringReconciliation, RECONCILIATION_DIMENSIONS, type ReconciliationRow } from '../../pipelines/kpi/reconciliation.js';
import { config } from '../context.js';
import { render, type Column } from '../output.js';
import { apiParams, byOption, formatOption, isoTime, parseOptions, runKpi } from './kpi-options.js';

export const reconciliationOptionsSchema = z
  .object({
    config: z.string().optional(),
    by: byOption(RECONCILIATION_DIMENSIONS, 'deployment,hour'),
    from: isoTime.optional(),
    to: isoTime.optional(),
    format: formatOption,
  })
  .strict();

const TABLE_COLUMNS: Column[] = [
  { key: 'gateway_requests', header: 'requests', kind: 'int' },
  { key: 'gateway_tokens', header: 'gateway tokens', kind: 'int' },
  { key: 'server_prompt_tokens', header: 'server prompt', kind: 'int' },
  { key: 'server_generation_tokens', header: 'server generation', kind: 'int' },
  { key: 'server_tokens', header: 'server tokens', kind: 'int' },
  { key: 'metering_drift', header: 'drift', kind: 'ratio' },
];

export function registerReconciliation(program: Command): void {
  program
    .command('reconciliation')
    .description('metering drift: tokens the gateway metered vs tokens the inference servers counted')
    .option('-c, --config <file>', 'config file')
    .option('--by <dims>', `comma-separated dimensions: ${RECONCILIATION_DIMENSIONS.join(', ')} ('' for the whole window)`, 'deployment,hour')
    .option('--from <iso>', "window start (inclusive; default: the data's first hour)")
    .option('--to <iso>', "window end (exclusive; default: after the data's last hour)")
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(reconciliationOptionsSchema, raw);
      const loaded = config(opts);
      const window = { ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) };
      const result = await runKpi<ReconciliationRow>(
        loaded,
        'reconciliation',
        { path: '/api/v1/reconciliation', params: apiParams({ ...window, by: opts.by }) },
        (store) => meteringReconciliation(store, loaded.config, { ...window, by: opts.by }),
      );
      const columns: Column[] =
        opts.format === 'table' ? [...opts.by.map((d) => ({ key: d })), ...TABLE_COLUMNS] : Object.keys(result.rows[0] ?? {}).map((key) => ({ key }));
      process.stdout.write(render(result.rows, columns, opts.format, result.window));
    });
}
