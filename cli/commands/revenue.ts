/**
 * `token-factory revenue`: annual revenue, cost and margin per GPU and gpu_type under the
 * three business models (pipelines/kpi/revenue-per-gpu.ts), with scenario flags.
 */
import type { Command } from 'commander';
import { BadRequestError } from '../../core/errors.js';
import { resolveScenario, REVENUE_PER_GPU_DIMENSIONS, revenuePerGpu, revenueScenarioSchema, type RevenuePerGpuDimension, type RevenuePerGpuRow, type RevenueScenarioInput } from '../../pipelines/kpi/revenue-per-gpu.js';
import { config, format, getFromApi, holderApi, parseTime, withStore, type CommonOptions } from '../context.js';
import type { KpiResult } from '../../pipelines/kpi/unit-economics.js';
import { formatCell, render, type Column } from '../output.js';

interface RevenueOptions extends CommonOptions {
  from?: string;
  to?: string;
  by?: string;
  gpuType?: string;
  rateUsdPerHour?: string;
  rentalUtilization?: string;
  priceUsdPerMtok?: string;
  tokenActiveUtilization?: string;
  throughputMultiplier?: string;
  tier?: string;
}

/** Scenario field → the flag that sets it, for error messages. */
const FLAGS: Record<keyof RevenueScenarioInput, string> = {
  rate_usd_per_hour: '--rate-usd-per-hour',
  rental_utilization: '--rental-utilization',
  price_usd_per_mtok: '--price-usd-per-mtok',
  token_active_utilization: '--token-active-utilization',
  throughput_multiplier: '--throughput-multiplier',
  compute_tokens_tier: '--tier',
};

/** Every column, in the order of CSV headers; the table shows the ones marked. */
const COLUMNS: (Column & { table?: boolean })[] = [
  { key: 'gpus', kind: 'int', table: true },
  { key: 'gpu_hours', kind: 'float' },
  { key: 'tokens', kind: 'int' },
  { key: 'tokens_per_gpu_hour', header: 'tokens/GPU-h', kind: 'int', table: true },
  { key: 'peak_tokens_per_gpu_hour', header: 'peak tokens/GPU-h', kind: 'int', table: true },
  { key: 'peak_source', header: 'peak from', table: true },
  { key: 'token_active_utilization', header: 'token-active', kind: 'ratio', table: true },
  { key: 'avg_power_kw', kind: 'float' },
  { key: 'rate_usd_per_hour', kind: 'usd' },
  { key: 'rental_utilization', kind: 'ratio' },
  { key: 'price_usd_per_mtok', kind: 'usd' },
  { key: 'scenario_token_active_utilization', kind: 'ratio' },
  { key: 'throughput_multiplier', kind: 'float' },
  { key: 'compute_tokens_tier' },
  { key: 'compute_tokens_unit_price_usd', kind: 'usd' },
  { key: 'units_per_gpu_hour', kind: 'float' },
  { key: 'hourly_usd', kind: 'usd' },
  { key: 'kwh_usd', kind: 'usd' },
  { key: 'pue', kind: 'float' },
  { key: 'annual_revenue_gpu_hour_usd', header: 'rental /yr', kind: 'usd', table: true },
  { key: 'annual_revenue_taas_usd', header: 'TaaS /yr', kind: 'usd', table: true },
  { key: 'annual_revenue_taas_measured_usd', header: 'TaaS measured /yr', kind: 'usd', table: true },
  { key: 'annual_revenue_compute_tokens_usd', header: 'compute tokens /yr', kind: 'usd', table: true },
  { key: 'annual_cost_usd', header: 'cost /yr', kind: 'usd', table: true },
  { key: 'annual_margin_gpu_hour_usd', header: 'margin rental', kind: 'usd', table: true },
  { key: 'annual_margin_taas_usd', header: 'margin TaaS', kind: 'usd', table: true },
  { key: 'annual_margin_taas_measured_usd', header: 'margin TaaS measured', kind: 'usd', table: true },
  { key: 'annual_margin_compute_tokens_usd', header: 'margin compute tokens', kind: 'usd', table: true },
  { key: 'break_even_usd_per_mtok', header: 'break-even $/M', kind: 'usd', table: true },
];

export function registerRevenue(program: Command): void {
  program
    .command('revenue')
    .description('annual revenue, cost and margin per GPU: GPU-hour rental vs token-as-a-service vs prepaid compute tokens')
    .option('-c, --config <file>', 'config file')
    .option('--from <iso>', "window start for the measured values (inclusive; default: the data's first hour)")
    .option('--to <iso>', "window end (exclusive; default: after the data's last hour)")
    .option('--by <dims>', `extra dimension: ${REVENUE_PER_GPU_DIMENSIONS.join(', ')} (rows are per gpu_type)`)
    .option('--gpu-type <type>', 'only this gpu_type')
    .option('--rate-usd-per-hour <x>', 'scenario: GPU-hour rental rate (default revenue.gpu_hour.rate_usd_per_hour)')
    .option('--rental-utilization <x>', 'scenario: share of hours rented, 0–1 (default revenue.gpu_hour.rental_utilization)')
    .option('--price-usd-per-mtok <x>', 'scenario: token price, USD per million (default revenue.taas.price_usd_per_mtok)')
    .option('--token-active-utilization <x>', 'scenario: share of peak throughput sold, 0–1 (default revenue.taas.token_active_utilization)')
    .option('--throughput-multiplier <x>', 'scenario: peak throughput × this, e.g. 2 for a next-generation GPU (default 1)')
    .option('--tier <name>', 'compute-token tier priced (default: the first of revenue.compute_tokens.tiers)')
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (opts: RevenueOptions) => {
      const fmt = format(opts);
      const from = parseTime('--from', opts.from);
      const to = parseTime('--to', opts.to);
      const by = (opts.by ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      for (const d of by) if (!(REVENUE_PER_GPU_DIMENSIONS as readonly string[]).includes(d)) throw new BadRequestError(`--by ${d}: expected ${REVENUE_PER_GPU_DIMENSIONS.join(', ')}`);
      const scenario = parseScenario(opts);
      const loaded = config(opts);
      resolveScenario(loaded.config, scenario); // an unknown tier fails before the store opens
      // another process holding the embedded store serves the same query on its API
      const api = holderApi(loaded);
      const result = api
        ? await getFromApi<KpiResult<RevenuePerGpuRow>>(api, '/api/v1/revenue-per-gpu', {
            ...scenario,
            by: by.length ? by.join(',') : undefined,
            gpu_type: opts.gpuType,
            from: from?.toISOString(),
            to: to?.toISOString(),
          })
        : await withStore(loaded, 'revenue', (store) =>
            revenuePerGpu(store, loaded.config, {
              by: by as RevenuePerGpuDimension[],
              scenario,
              ...(opts.gpuType !== undefined ? { gpu_type: opts.gpuType } : {}),
              ...(from ? { from } : {}),
              ...(to ? { to } : {}),
            }),
          );
      const keys: Column[] = [{ key: 'gpu_type' }, ...by.map((d) => ({ key: d }))];
      const columns = [...keys, ...COLUMNS.filter((c) => fmt !== 'table' || c.table).map(({ table: _t, ...c }) => c)];
      const first = result.rows[0];
      const assumptions =
        fmt === 'table' && first
          ? `assumptions: rental ${formatCell(first.rate_usd_per_hour, 'usd')}/h × ${formatCell(first.rental_utilization, 'ratio')} rented; ` +
            `TaaS ${formatCell(first.price_usd_per_mtok, 'usd')}/M tokens × ${formatCell(first.scenario_token_active_utilization, 'ratio')} token-active × ` +
            `${formatCell(first.throughput_multiplier, 'float')} throughput; compute tokens ${first.compute_tokens_tier ?? '(no tier)'}` +
            `${first.compute_tokens_unit_price_usd !== null ? ` at ${formatCell(first.compute_tokens_unit_price_usd, 'usd')}/unit` : ''}\n`
          : '';
      process.stdout.write(assumptions + render(result.rows, columns, fmt, result.window));
    });
}

/** The scenario flags, validated (zod) with errors naming the flag. */
function parseScenario(opts: RevenueOptions): Partial<Record<keyof RevenueScenarioInput, string>> {
  const raw: Partial<Record<keyof RevenueScenarioInput, string>> = {};
  const set = (k: keyof RevenueScenarioInput, v: string | undefined) => {
    if (v !== undefined) raw[k] = v;
  };
  set('rate_usd_per_hour', opts.rateUsdPerHour);
  set('rental_utilization', opts.rentalUtilization);
  set('price_usd_per_mtok', opts.priceUsdPerMtok);
  set('token_active_utilization', opts.tokenActiveUtilization);
  set('throughput_multiplier', opts.throughputMultiplier);
  set('compute_tokens_tier', opts.tier);
  const parsed = revenueScenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BadRequestError(
      parsed.error.issues
        .map((i) => {
          const field = String(i.path[0] ?? '') as keyof RevenueScenarioInput;
          return `${FLAGS[field] ?? field} ${JSON.stringify(raw[field])}: ${i.message}`;
        })
        .join('; '),
    );
  }
  return raw;
}
