import type { Command } from 'commander';
import { z } from 'zod';
import { BadRequestError } from '../../core/errors.js';
import {
  WORKFLOW_DIMENSION_NAMES,
  workflowKpis,
  workflowList,
  workflowRequests,
  type WorkflowDimension,
} from '../../pipelines/kpi/workflows.js';
import { config, withStore } from '../context.js';
import { FORMATS, render, type Column, type Row } from '../output.js';

const isoTime = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time such as 2026-11-25T00:00:00Z' }).transform((s) => new Date(s));

/** The command's options, as commander hands them over: validated here, once. */
export const workflowsOptionsSchema = z
  .object({
    config: z.string().optional(),
    by: z
      .string()
      .default('workflow')
      .transform((s) => s.split(',').map((d) => d.trim()).filter(Boolean))
      .pipe(z.array(z.enum(WORKFLOW_DIMENSION_NAMES as [WorkflowDimension, ...WorkflowDimension[]]))),
    list: z.boolean().default(false),
    id: z.string().min(1).optional(),
    tenant: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    limit: z.coerce.number().int().positive().max(1_000_000).default(50),
    from: isoTime.optional(),
    to: isoTime.optional(),
    format: z.enum(FORMATS).default('table'),
  })
  .strict();

/** zod issues → one BadRequestError naming the flags. */
export function optionsError(error: z.ZodError): BadRequestError {
  return new BadRequestError(error.issues.map((i) => `--${String(i.path[0] ?? 'option')}: ${i.message}`).join('; '));
}

const KPI_COLUMNS: Column[] = [
  { key: 'workflows', kind: 'int' },
  { key: 'successful_workflows', header: 'successful', kind: 'int' },
  { key: 'success_rate', header: 'success rate', kind: 'ratio' },
  { key: 'workflow_cost_usd', header: 'cost', kind: 'usd' },
  { key: 'cost_per_successful_workflow_usd', header: 'cost / successful', kind: 'usd' },
  { key: 'wasted_cost_usd', header: 'wasted', kind: 'usd' },
  { key: 'tokens_per_workflow_p50', header: 'tokens p50', kind: 'int' },
  { key: 'tokens_per_workflow_p95', header: 'tokens p95', kind: 'int' },
  { key: 'requests', kind: 'int' },
  { key: 'tokens', kind: 'int' },
];

const LIST_COLUMNS: Column[] = [
  { key: 'workflow_id', header: 'workflow id' },
  { key: 'workflow' },
  { key: 'tenant' },
  { key: 'outcome' },
  { key: 'success' },
  { key: 'attempts', kind: 'int' },
  { key: 'requests', kind: 'int' },
  { key: 'tokens', kind: 'int' },
  { key: 'errors', kind: 'int' },
  { key: 'workflow_cost_usd', header: 'cost', kind: 'usd' },
  { key: 'started_at', header: 'started' },
  { key: 'ended_at', header: 'ended' },
];

const REQUEST_COLUMNS: Column[] = [
  { key: 'ts' },
  { key: 'trace_id', header: 'trace' },
  { key: 'span_id', header: 'span' },
  { key: 'model' },
  { key: 'deployment' },
  { key: 'gpu_type', header: 'gpu type' },
  { key: 'input_tokens', header: 'input', kind: 'int' },
  { key: 'output_tokens', header: 'output', kind: 'int' },
  { key: 'cost_usd', header: 'cost', kind: 'usd' },
  { key: 'e2e_ms', header: 'e2e ms', kind: 'int' },
  { key: 'ttft_ms', header: 'ttft ms', kind: 'int' },
  { key: 'is_error', header: 'error' },
  { key: 'error_type', header: 'error type' },
];

export function registerWorkflows(program: Command): void {
  program
    .command('workflows')
    .description('workflow KPIs: success rate, cost per successful workflow (failed and retried work included), wasted cost; --list the workflows, --id one workflow\'s requests')
    .option('-c, --config <file>', 'config file')
    .option('--by <dims>', `comma-separated dimensions: ${WORKFLOW_DIMENSION_NAMES.join(', ')}`, 'workflow')
    .option('--list', 'one row per workflow, the most expensive first')
    .option('--id <workflow_id>', 'one workflow (its workflow.id, or its trace id): its attempts and requests with their cost')
    .option('--tenant <tenant>', 'only this tenant\'s workflows')
    .option('--name <workflow>', 'with --list: only workflows of this name')
    .option('--limit <n>', 'with --list: at most this many rows', '50')
    .option('--from <iso>', 'window start (inclusive; default: the data\'s first hour)')
    .option('--to <iso>', 'window end (exclusive; default: after the data\'s last hour)')
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = workflowsOptionsSchema.safeParse(raw);
      if (!parsed.success) throw optionsError(parsed.error);
      const opts = parsed.data;
      const window = { ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) };
      const loaded = config(opts);
      const out = await withStore(loaded, 'workflows', async (store) => {
        if (opts.id !== undefined) {
          const summary = await workflowList(store, loaded.config, { ...window, workflow_id: opts.id, tenant: opts.tenant, limit: 1 });
          const workflow = summary.rows[0];
          if (!workflow) throw new BadRequestError(`no workflow ${JSON.stringify(opts.id)} in the window [${summary.window.from}, ${summary.window.to})`);
          const requests = await workflowRequests(store, loaded.config, { ...window, workflow_id: opts.id, tenant: opts.tenant });
          switch (opts.format) {
            case 'json':
              return JSON.stringify({ window: requests.window, workflow, rows: requests.rows }, null, 2) + '\n';
            case 'csv':
              return render(requests.rows as Row[], REQUEST_COLUMNS, 'csv');
            case 'table':
              return render([workflow as Row], LIST_COLUMNS, 'table', summary.window) + render(requests.rows as Row[], REQUEST_COLUMNS, 'table');
          }
        }
        if (opts.list) {
          const r = await workflowList(store, loaded.config, { ...window, tenant: opts.tenant, workflow: opts.name, limit: opts.limit });
          return render(r.rows as Row[], LIST_COLUMNS, opts.format, r.window);
        }
        if (opts.name !== undefined) throw new BadRequestError('--name goes with --list');
        const r = await workflowKpis(store, loaded.config, { ...window, by: opts.by, tenant: opts.tenant });
        return render(r.rows, [...opts.by.map((d) => ({ key: d })), ...KPI_COLUMNS], opts.format, r.window);
      });
      process.stdout.write(out);
    });
}
