/**
 * `token-factory revenue` (cli/commands/revenue.ts) in process, on an empty embedded store
 * in a temp directory: the configured scenario needs no telemetry, so KPIS.md's worked
 * check comes out of the command as is (H100: 3 USD/h × 8760 × 0.7 = 18 396; 30 M tokens/h ×
 * 1 USD/M × 0.6 × 8760 = 157 680; twice the throughput: 315 360).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerRevenue } from '../../cli/commands/revenue.js';

let dir: string;
let cfg: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-revenue-'));
  cfg = join(dir, 'token-factory.yaml');
  writeFileSync(
    cfg,
    `store: { path: ${join(dir, 'data')} }\n` +
      'gpu_types: { H100: { hourly_usd: 2 } }\n' +
      'revenue: { taas: { peak_tokens_per_gpu_hour: { H100: 3.0e7 } }, compute_tokens: { tiers: [{ name: starter, unit_price_usd: 0.5, valid_days: 30 }] } }\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string> {
  const program = new Command('token-factory').exitOverride();
  registerRevenue(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'token-factory', 'revenue', '--config', cfg, ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('token-factory revenue', () => {
  it('json: the worked check, and the scenario flags', async () => {
    const base = JSON.parse(await run('--format', 'json'));
    expect(base.rows).toHaveLength(1);
    expect(base.rows[0]).toMatchObject({
      gpu_type: 'H100', annual_revenue_gpu_hour_usd: 18396, annual_revenue_taas_usd: 157680,
      annual_revenue_compute_tokens_usd: 3066, // 1 unit × 0.5 × 8760 × 0.7
      annual_cost_usd: 17520, // 2 × 8760, no energy price
      annual_margin_taas_usd: 140160,
      annual_revenue_taas_measured_usd: null, // no telemetry
    });
    const next = JSON.parse(await run('--format', 'json', '--throughput-multiplier', '2', '--rental-utilization', '0.5'));
    expect(next.rows[0]).toMatchObject({ annual_revenue_taas_usd: 315360, annual_revenue_gpu_hour_usd: 13140 }); // 3 × 8760 × 0.5
  });

  it('csv has every column with KPIS.md names; the table states its assumptions', async () => {
    const csv = (await run('--format', 'csv')).split('\n');
    expect(csv[0]).toBe(
      'gpu_type,gpus,gpu_hours,tokens,tokens_per_gpu_hour,peak_tokens_per_gpu_hour,peak_source,token_active_utilization,avg_power_kw,' +
        'rate_usd_per_hour,rental_utilization,price_usd_per_mtok,scenario_token_active_utilization,throughput_multiplier,compute_tokens_tier,' +
        'compute_tokens_unit_price_usd,units_per_gpu_hour,hourly_usd,kwh_usd,pue,annual_revenue_gpu_hour_usd,annual_revenue_taas_usd,' +
        'annual_revenue_taas_measured_usd,annual_revenue_compute_tokens_usd,annual_cost_usd,annual_margin_gpu_hour_usd,annual_margin_taas_usd,' +
        'annual_margin_taas_measured_usd,annual_margin_compute_tokens_usd,break_even_usd_per_mtok',
    );
    expect(csv[1]).toMatch(/^H100,0,0,0,,30000000,config,,,3,0.7,1,0.6,1,starter,0.5,1,2,0,1,18396,157680,,3066,17520,876,140160,,-14454,0.11666/);
    const table = await run('--price-usd-per-mtok', '2');
    expect(table.split('\n')[0]).toBe('assumptions: rental $3.00/h × 70.00 % rented; TaaS $2.00/M tokens × 60.00 % token-active × 1 throughput; compute tokens starter at $0.50/unit');
    expect(table).toContain('$315,360.00'); // 30 × 2 × 0.6 × 8760
  });

  it('rejects a bad scenario flag, naming it', async () => {
    await expect(run('--rental-utilization', '70')).rejects.toThrow('--rental-utilization "70": Too big: expected number to be <=1');
    await expect(run('--price-usd-per-mtok', 'abc')).rejects.toThrow('--price-usd-per-mtok "abc": expected a number');
    await expect(run('--tier', 'gold')).rejects.toThrow('compute_tokens_tier: unknown tier "gold"');
  });
});
