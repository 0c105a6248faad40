import type { Command } from 'commander';
import { tokenUsage, USAGE_DIMENSIONS, type UsageDimension } from '../../pipelines/kpi/token-usage.js';
import { BadRequestError } from '../../core/errors.js';
import { config, format, getFromApi, holderApi, parseTime, withStore, type CommonOptions } from '../context.js';
import type { UsageResult } from '../../pipelines/kpi/token-usage.js';
import { render, type Column } from '../output.js';

interface ReportOptions extends CommonOptions {
  by: string;
  from?: string;
  to?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('token usage per dimension: requests, input/output tokens, errors')
    .option('-c, --config <file>', 'config file')
    .option('--by <dims>', `comma-separated dimensions: ${USAGE_DIMENSIONS.join(', ')}`, 'model')
    .option('--from <iso>', 'window start (inclusive; default: the data\'s first hour)')
    .option('--to <iso>', 'window end (exclusive; default: after the data\'s last hour)')
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (opts: ReportOptions) => {
      const fmt = format(opts);
      const by = opts.by.split(',').map((s) => s.trim()).filter(Boolean);
      for (const d of by) if (!(USAGE_DIMENSIONS as string[]).includes(d)) throw new BadRequestError(`--by ${d}: expected one or more of ${USAGE_DIMENSIONS.join(', ')}`);
      const from = parseTime('--from', opts.from);
      const to = parseTime('--to', opts.to);
      const loaded = config(opts);
      const api = holderApi(loaded);
      const result = api
        ? await getFromApi<UsageResult>(api, '/api/v1/report', { by: by.join(','), from: from?.toISOString(), to: to?.toISOString() })
        : await withStore(loaded, 'report', (store) =>
            tokenUsage(store, loaded.config, { by: by as UsageDimension[], ...(from ? { from } : {}), ...(to ? { to } : {}) }),
          );
      const columns: Column[] = [
        ...by.map((d) => ({ key: d })),
        { key: 'requests', kind: 'int' as const },
        { key: 'input_tokens', header: 'input tokens', kind: 'int' as const },
        { key: 'output_tokens', header: 'output tokens', kind: 'int' as const },
        { key: 'tokens', kind: 'int' as const },
        { key: 'errors', kind: 'int' as const },
      ];
      process.stdout.write(render(result.rows, columns, fmt, result.window));
    });
}
