/**
 * Executive report against the recorded API answers on the factory fixture (window
 * 10:00–13:00; the previous period 07:00–10:00 has no data).
 */
import { screen } from '@testing-library/react';
import { testIds } from '../components/testIds';
import { FIXTURE_RANGE, renderApp } from '../test/render';
import { trendText } from './ExecutivePage';

describe('Executive report', () => {
  it('shows revenue per GPU, margin and tokens served, with the trend against the previous period', async () => {
    const { backend } = renderApp('executive', FIXTURE_RANGE);
    await screen.findByTestId(testIds.stat('tokens'));
    // 7 requests, 9,500 input + 5,000 output = 14,500 tokens
    expect(screen.getByTestId(testIds.stat('tokens'))).toHaveTextContent('14,500');
    // revenue 0.0031 + 0.0024 + 0.00165 = 0.00715; cost 12.36; margin −12.35285
    expect(screen.getByTestId(testIds.stat('revenue_usd'))).toHaveTextContent('$0.00715');
    expect(screen.getByTestId(testIds.stat('margin_usd'))).toHaveTextContent('-$12.35');
    // 14,500 tokens / 5 GPU-hours attributed = 2,900 tokens per GPU-hour
    expect(screen.getByTestId(testIds.stat('tokens_per_gpu_hour'))).toHaveTextContent('2,900');
    expect(screen.getAllByText('no data in the previous period to compare').length).toBe(7);
    // the previous period asked for: the 3 hours before
    expect(backend.calls.some((c) => c.url.includes('from=2026-11-23T07%3A00%3A00.000Z&to=2026-11-23T10%3A00%3A00.000Z'))).toBe(true);

    await screen.findByTestId(testIds.kpi('executive-revenue-per-gpu', 'H100', 'annual_revenue_taas_usd'));
    expect(screen.getByTestId(testIds.kpi('executive-revenue-per-gpu', 'H100', 'annual_revenue_gpu_hour_usd'))).toHaveTextContent('$18,396.00');
    expect(screen.getByTestId(testIds.kpi('executive-revenue-per-gpu', 'H100', 'annual_revenue_taas_usd'))).toHaveTextContent('$157,680.00');
    expect(screen.getByTestId(testIds.executive.print)).toBeInTheDocument();
  });

  it('words the trend', () => {
    // (12 − 10) / 10 = +20 %; (8 − 10) / 10 = −20 %; a negative base keeps the sign of the change
    expect(trendText(12, 10)).toBe('▲ +20 % vs previous period');
    expect(trendText(8, 10)).toBe('▼ -20 % vs previous period');
    expect(trendText(-5, -10)).toBe('▲ +50 % vs previous period');
    expect(trendText(5, null)).toBe('no data in the previous period to compare');
    expect(trendText(0, 0)).toBe('unchanged vs previous period');
  });
});
