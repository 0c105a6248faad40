import { formatKpi, kpiKind } from './format';

describe('formatKpi', () => {
  it('formats by the KPIS.md name', () => {
    expect(formatKpi('annual_revenue_gpu_hour_usd', 18396)).toBe('$18,396.00');
    expect(formatKpi('break_even_usd_per_mtok', 0.11666666666666664)).toBe('$0.116667'); // to the micro-dollar
    expect(formatKpi('revenue_usd', 0.00715)).toBe('$0.00715');
    expect(formatKpi('margin_usd', -12.35285)).toBe('-$12.35');
    expect(formatKpi('cost_per_mtok_input_usd', 428.63357142857143)).toBe('$428.63');
    expect(formatKpi('success_rate', 0.5)).toBe('50 %');
    expect(formatKpi('token_active_utilization', 0.0000875)).toBe('0.00875 %');
    expect(formatKpi('error_budget_remaining', -3)).toBe('-300 %');
    expect(formatKpi('ttft_ms_p95', 1000)).toBe('1,000 ms');
    expect(formatKpi('tpot_ms_p50', 4.509018036072145)).toBe('4.51 ms');
    expect(formatKpi('energy_kwh_per_mtok', 152.38095238095238)).toBe('152 kWh');
    expect(formatKpi('tokens', 14500)).toBe('14,500');
    expect(formatKpi('tokens_per_gpu_hour', 2625.0000000000005)).toBe('2,625');
    expect(formatKpi('slo_burn_rate_6h', 4)).toBe('4');
    expect(formatKpi('hour', Date.UTC(2026, 10, 23, 10))).toBe('2026-11-23 10:00 UTC');
    expect(formatKpi('slo_met', false)).toBe('no');
  });

  it('shows an undefined KPI as —, never 0', () => {
    expect(formatKpi('annual_revenue_taas_usd', null)).toBe('—');
    expect(formatKpi('quota_used_ratio', undefined)).toBe('—');
    expect(formatKpi('cost_per_mtok_usd', Number.NaN)).toBe('—');
  });

  it('classifies names', () => {
    expect(kpiKind('slo_burn_rate_5m')).toBe('number');
    expect(kpiKind('quota_exhaustion_eta')).toBe('time');
    expect(kpiKind('rental_utilization')).toBe('ratio');
    expect(kpiKind('rate_usd_per_hour')).toBe('usd');
  });
});
