import type { Command } from 'commander';
import { REQUEST_DIMENSION_NAMES, type KpiResult, type RequestDimension, type UnitEconomicsRow } from '../../pipelines/kpi/unit-economics.js';
import { GPU_DIMENSION_NAMES, gpuUsage, type GpuDimension } from '../../pipelines/kpi/gpu-usage.js';
import { unitEconomicsAuto } from '../../pipelines/rollups/index.js';
import { BadRequestError } from '../../core/errors.js';
import { config, format, getFromApi, holderApi, parseTime, withStore, type CommonOptions } from '../context.js';
import { render, type Column } from '../output.js';

interface ReportOptions extends CommonOptions {
  by: string;
  from?: string;
  to?: string;
}

/** What the table shows; JSON and CSV carry every KPI of the row. */
const REQUEST_COLUMNS: Column[] = [
  { key: 'requests', kind: 'int' },
  { key: 'tokens', kind: 'int' },
  { key: 'errors', kind: 'int' },
  { key: 'cost_usd', header: 'cost', kind: 'usd' },
  { key: 'gpu_hours', header: 'GPU-hours', kind: 'float' },
  { key: 'tokens_per_gpu_hour', header: 'tokens/GPU-h', kind: 'int' },
  { key: 'cost_per_mtok_usd', header: 'cost/M tokens', kind: 'usd' },
  { key: 'ttft_ms_p95', header: 'TTFT p95 ms', kind: 'float' },
  { key: 'e2e_ms_p95', header: 'e2e p95 ms', kind: 'float' },
];
const GPU_COLUMNS: Column[] = [
  { key: 'gpus', kind: 'int' },
  { key: 'gpu_hours', header: 'GPU-hours', kind: 'float' },
  { key: 'busy_ratio', header: 'busy', kind: 'ratio' },
  { key: 'energy_kwh', header: 'kWh', kind: 'float' },
  { key: 'cost_usd', header: 'cost', kind: 'usd' },
  { key: 'tokens', kind: 'int' },
  { key: 'tokens_per_gpu_hour', header: 'tokens/GPU-h', kind: 'int' },
];

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('tokens, cost, unit economics and latency per dimension (KPIS.md)')
    .option('-c, --config <file>', 'config file')
    .option(
      '--by <dims>',
      `comma-separated dimensions: ${REQUEST_DIMENSION_NAMES.join(', ')}; or GPU dimensions ${GPU_DIMENSION_NAMES.join(', ')} (a GPU report)`,
      'model',
    )
    .option('--from <iso>', "window start (inclusive; default: the data's first hour)")
    .option('--to <iso>', "window end (exclusive; default: after the data's last hour)")
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (opts: ReportOptions) => {
      const fmt = format(opts);
      const by = opts.by.split(',').map((s) => s.trim()).filter(Boolean);
      const requestSide = by.every((d) => (REQUEST_DIMENSION_NAMES as string[]).includes(d));
      const gpuSide = by.every((d) => (GPU_DIMENSION_NAMES as string[]).includes(d));
      if (!requestSide && !gpuSide) {
        throw new BadRequestError(
          `--by ${opts.by}: use request dimensions (${REQUEST_DIMENSION_NAMES.join(', ')}) or GPU dimensions (${GPU_DIMENSION_NAMES.join(', ')}), not a mix`,
        );
      }
      const from = parseTime('--from', opts.from);
      const to = parseTime('--to', opts.to);
      const window = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
      const loaded = config(opts);
      const api = holderApi(loaded);
      let result: KpiResult<UnitEconomicsRow>;
      if (requestSide) {
        result = api
          ? await getFromApi(api, '/api/v1/unit-economics', { by: by.join(','), from: from?.toISOString(), to: to?.toISOString() })
          : // from the rollups where they hold the window and dimensions, else from the facts
            await withStore(loaded, 'report', (store) => unitEconomicsAuto(store, loaded.config, { by: by as RequestDimension[], ...window }));
      } else {
        result = api
          ? await getFromApi(api, '/api/v1/gpu-usage', { by: by.join(','), from: from?.toISOString(), to: to?.toISOString() })
          : await withStore(loaded, 'report', (store) => gpuUsage(store, loaded.config, { by: by as GpuDimension[], ...window }));
      }
      const shown = requestSide ? REQUEST_COLUMNS : GPU_COLUMNS;
      const columns: Column[] =
        fmt === 'table' ? [...by.map((d) => ({ key: d })), ...shown] : Object.keys(result.rows[0] ?? {}).map((key) => ({ key }));
      process.stdout.write(render(result.rows, columns, fmt, result.window));
    });
}
