/**
 * Revenue per GPU against the API's recorded answers on the factory fixture
 * (test/fixtures/factory: H100 ×2 at 400 W serving llama-70b, B200 ×2 at 800 W and
 * 500 W, one serving llama-8b; token-factory.yaml: H100 2 USD/h, B200 4 USD/h, energy
 * 0.10 USD/kWh at PUE 1.5; rental 3 USD/h at 70 %; TaaS 1 USD per M tokens at 60 %
 * token-active, H100 peak 30 M tokens/h from config, none for B200; compute-token tier
 * "starter" at 0.50 USD per unit, H100 1 unit/GPU-hour, B200 2).
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { testIds } from '../components/testIds';
import { FIXTURE_RANGE, renderApp } from '../test/render';
import { parseScenario } from './RevenuePage';

const cell = (row: string, kpi: string) => screen.getByTestId(testIds.kpi('revenue-per-gpu', row, kpi));

describe('Revenue per GPU page', () => {
  it('shows rental, TaaS and compute-token revenue, cost, margins and break-even per gpu_type', async () => {
    const { backend } = renderApp('revenue', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_gpu_hour_usd'));

    // rental: 3 USD/h × 8760 h × 0.7 = 18,396 (KPIS.md worked check), for every gpu_type
    expect(cell('H100', 'annual_revenue_gpu_hour_usd')).toHaveTextContent('$18,396.00');
    expect(cell('B200', 'annual_revenue_gpu_hour_usd')).toHaveTextContent('$18,396.00');
    // TaaS scenario, H100: 30 M tokens/h × 1 USD/M × 0.6 × 8760 = 157,680 (KPIS.md worked check)
    expect(cell('H100', 'annual_revenue_taas_usd')).toHaveTextContent('$157,680.00');
    // B200: no configured peak and no measured one → undefined, shown as —
    expect(cell('B200', 'annual_revenue_taas_usd')).toHaveTextContent('—');
    // compute tokens: units/GPU-hour × 0.50 × 8760 × 0.7 → H100 1 × 3066 = 3,066; B200 2 × 3066 = 6,132
    expect(cell('H100', 'annual_revenue_compute_tokens_usd')).toHaveTextContent('$3,066.00');
    expect(cell('B200', 'annual_revenue_compute_tokens_usd')).toHaveTextContent('$6,132.00');
    // annual cost: hourly × 8760 + avg kW × 8760 × PUE × kWh price
    //   H100: 2 × 8760 = 17,520 + 0.4 × 8760 × 1.5 × 0.10 = 525.6 → 18,045.60
    //   B200: 4 × 8760 = 35,040 + 0.65 (800 W and 500 W) × 8760 × 0.15 = 854.1 → 35,894.10
    expect(cell('H100', 'annual_cost_usd')).toHaveTextContent('$18,045.60');
    expect(cell('B200', 'annual_cost_usd')).toHaveTextContent('$35,894.10');
    // margins: 18,396 − 18,045.6 = 350.40; 157,680 − 18,045.6 = 139,634.40; B200 rental 18,396 − 35,894.1 = −17,498.10
    expect(cell('H100', 'annual_margin_gpu_hour_usd')).toHaveTextContent('$350.40');
    expect(cell('H100', 'annual_margin_taas_usd')).toHaveTextContent('$139,634.40');
    expect(cell('B200', 'annual_margin_gpu_hour_usd')).toHaveTextContent('-$17,498.10');
    // break-even: 3 × 0.7 × 1e6 / (30e6 × 0.6) = 2.1e6 / 18e6 = 0.116667 USD per M tokens
    expect(cell('H100', 'break_even_usd_per_mtok')).toHaveTextContent('$0.116667');
    // measured: H100 served 10,500 tokens in 4 GPU-hours attributed to them → 2,625 tokens/GPU-hour;
    // token-active utilization 2,625 / 30e6 = 0.00875 %
    expect(cell('H100', 'tokens_per_gpu_hour')).toHaveTextContent('2,625');
    expect(cell('H100', 'token_active_utilization')).toHaveTextContent('0.00875 %');

    // the assumptions are labelled as such
    expect(screen.getByText(/Assumptions: rental at \$3\.00\/h, 70 % rented; TaaS at \$1\.00 per M tokens, 60 % token-active/)).toBeInTheDocument();

    // Arrow first; revenue-per-gpu answers JSON only (406), so JSON next, and JSON from then on
    const api = backend.calls.filter((c) => c.url.includes('revenue-per-gpu'));
    expect(api.map((c) => c.accept)).toEqual(['application/vnd.apache.arrow.stream', 'application/json']);
    expect(api[0]!.url).toBe(
      '/api/plugin-proxy/tokenfactory-economics-app/api/api/v1/revenue-per-gpu?from=2026-11-23T10%3A00%3A00.000Z&to=2026-11-23T13%3A00%3A00.000Z'
    );
  });

  it('recomputes with the scenario controls: a GPU twice as fast doubles TaaS revenue and halves break-even', async () => {
    renderApp('revenue', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_taas_usd'));
    // the inputs show the config's values as placeholders
    expect(screen.getByTestId(testIds.revenue.input('throughput_multiplier'))).toHaveAttribute('placeholder', '1');
    expect(screen.getByTestId(testIds.revenue.input('rental_utilization'))).toHaveAttribute('placeholder', '0.7');

    fireEvent.change(screen.getByTestId(testIds.revenue.input('throughput_multiplier')), { target: { value: '2' } });
    fireEvent.click(screen.getByTestId(testIds.revenue.apply));
    // 60 M tokens/h × 1 USD/M × 0.6 × 8760 = 315,360 (KPIS.md worked check)
    await waitFor(() => expect(cell('H100', 'annual_revenue_taas_usd')).toHaveTextContent('$315,360.00'));
    // 2.1e6 / (60e6 × 0.6) = 0.058333; rental does not change: 18,396
    expect(cell('H100', 'break_even_usd_per_mtok')).toHaveTextContent('$0.058333');
    expect(cell('H100', 'annual_revenue_gpu_hour_usd')).toHaveTextContent('$18,396.00');
  });

  it('applies price and rate together', async () => {
    renderApp('revenue', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_taas_usd'));
    fireEvent.change(screen.getByTestId(testIds.revenue.input('price_usd_per_mtok')), { target: { value: '0.5' } });
    fireEvent.change(screen.getByTestId(testIds.revenue.input('rate_usd_per_hour')), { target: { value: '2.5' } });
    fireEvent.click(screen.getByTestId(testIds.revenue.apply));
    // TaaS 30 × 0.5 × 0.6 × 8760 = 78,840; rental 2.5 × 8760 × 0.7 = 15,330; break-even 2.5 × 0.7 / 18 = 0.097222
    await waitFor(() => expect(cell('H100', 'annual_revenue_taas_usd')).toHaveTextContent('$78,840.00'));
    expect(cell('H100', 'annual_revenue_gpu_hour_usd')).toHaveTextContent('$15,330.00');
    expect(cell('H100', 'break_even_usd_per_mtok')).toHaveTextContent('$0.097222');
  });

  it('refuses a scenario out of bounds, saying why, and does not query', async () => {
    const { backend } = renderApp('revenue', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('revenue-per-gpu', 'H100', 'annual_revenue_taas_usd'));
    const before = backend.calls.length;
    fireEvent.change(screen.getByTestId(testIds.revenue.input('rental_utilization')), { target: { value: '1.5' } });
    const form = screen.getByTestId(testIds.revenue.scenario);
    expect(within(form).getByText(/<=1/)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.revenue.apply)).toBeDisabled();
    fireEvent.submit(form);
    expect(backend.calls.length).toBe(before);
  });

  it('parses scenario text: empty is the config value, numbers within bounds, else the reason', () => {
    expect(parseScenario({ rate_usd_per_hour: ' 2.5 ', rental_utilization: '' })).toEqual({ scenario: { rate_usd_per_hour: 2.5 }, errors: {} });
    const bad = parseScenario({ throughput_multiplier: '0', price_usd_per_mtok: 'abc' });
    expect(Object.keys(bad.errors).sort()).toEqual(['price_usd_per_mtok', 'throughput_multiplier']);
    expect(bad.scenario).toEqual({});
  });
});
