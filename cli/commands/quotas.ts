/**
 * `token-factory quotas`: per tenant, tokens and spend of the calendar month against its
 * monthly quotas, what is left and when it runs out at the last 24 hours' rate
 * (pipelines/kpi/quotas.ts, KPIS.md "Governance").
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { tenantQuotas, type QuotaRow } from '../../pipelines/kpi/quotas.js';
import { config } from '../context.js';
import { render, type Column } from '../output.js';
import { apiParams, formatOption, isoTime, parseOptions, runKpi } from './kpi-options.js';

export const quotasOptionsSchema = z
  .object({
    config: z.string().optional(),
    to: isoTime.optional(),
    format: formatOption,
  })
  .strict();

const TABLE_COLUMNS: Column[] = [
  { key: 'tenant' },
  { key: 'period' },
  { key: 'tokens_used', header: 'tokens', kind: 'int' },
  { key: 'monthly_token_quota', header: 'token quota', kind: 'int' },
  { key: 'token_quota_used_ratio', header: 'tokens used', kind: 'ratio' },
  { key: 'spend_usd', header: 'spend', kind: 'usd' },
  { key: 'monthly_budget_usd', header: 'budget', kind: 'usd' },
  { key: 'budget_used_ratio', header: 'budget used', kind: 'ratio' },
  { key: 'quota_remaining', header: 'tokens left', kind: 'int' },
  { key: 'budget_remaining_usd', header: 'budget left', kind: 'usd' },
  { key: 'quota_exhaustion_eta', header: 'runs out at' },
];

export function registerQuotas(program: Command): void {
  program
    .command('quotas')
    .description("tenants' monthly token and spend quotas: used, left, and when they run out at the last 24 h's rate")
    .option('-c, --config <file>', 'config file')
    .option('--to <iso>', "evaluation time; its calendar month (UTC) is the period (default: after the data's last hour)")
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(quotasOptionsSchema, raw);
      const loaded = config(opts);
      const q = opts.to ? { to: opts.to } : {};
      const result = await runKpi<QuotaRow>(loaded, 'quotas', { path: '/api/v1/quotas', params: apiParams(q) }, (store) => tenantQuotas(store, loaded.config, q));
      const columns: Column[] = opts.format === 'table' ? TABLE_COLUMNS : Object.keys(result.rows[0] ?? {}).map((key) => ({ key }));
      process.stdout.write(render(result.rows, columns, opts.format, result.window));
    });
}
