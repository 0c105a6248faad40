/**
 * SLOs against the recorded API answers on the factory fixture. The config has one
 * entry, llama-70b: TTFT p95 ≤ 600 ms, TPOT ≤ 10 ms, e2e p99 ≤ 5000 ms, error rate ≤ 1 %.
 * llama-70b's 5 requests (a–e) have TTFT 200, 1000, 250, 300, 500 ms and e2e 2, 6, 2.5,
 * 3, 5 s; b errored.
 */
import { screen } from '@testing-library/react';
import { testIds } from '../components/testIds';
import { FIXTURE_RANGE, renderApp } from '../test/render';

const cell = (table: string, row: string, kpi: string) => screen.getByTestId(testIds.kpi(table, row, kpi));
const M70 = 'meta/llama-3.1-70b-instruct';

describe('SLOs page', () => {
  it('shows SLIs against targets, error budgets and burn rates', async () => {
    renderApp('slos', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('slo', `${M70}:ttft_p95_ms`, 'sli'));
    // TTFT p95 over 5 values = the largest, 1000 ms > 600 ms: missed. Bad events: 1 of 5 (b) =
    // 0.2 against an allowed 0.05 → budget left 1 − 0.2 / 0.05 = −3 = −300 %; burn over the 6 h
    // before 13:00 (all 5 requests) 0.2 / 0.05 = 4; the last 5m/30m/1h have no request: —
    expect(cell('slo', `${M70}:ttft_p95_ms`, 'target')).toHaveTextContent('600 ms');
    expect(cell('slo', `${M70}:ttft_p95_ms`, 'sli')).toHaveTextContent('1,000 ms');
    expect(cell('slo', `${M70}:ttft_p95_ms`, 'slo_met')).toHaveTextContent('no');
    expect(cell('slo', `${M70}:ttft_p95_ms`, 'error_budget_remaining')).toHaveTextContent('-300 %');
    expect(cell('slo', `${M70}:ttft_p95_ms`, 'slo_burn_rate_6h')).toHaveTextContent('4');
    expect(cell('slo', `${M70}:ttft_p95_ms`, 'slo_burn_rate_1h')).toHaveTextContent('—');
    // error rate 1 / 5 = 20 % > 1 %: budget 1 − 0.2 / 0.01 = −19; burn 6h 20
    expect(cell('slo', `${M70}:error_rate`, 'sli')).toHaveTextContent('20 %');
    expect(cell('slo', `${M70}:error_rate`, 'target')).toHaveTextContent('1 %');
    expect(cell('slo', `${M70}:error_rate`, 'slo_burn_rate_6h')).toHaveTextContent('20');
    // TPOT: all within 10 ms → met, budget untouched
    expect(cell('slo', `${M70}:tpot_ms`, 'slo_met')).toHaveTextContent('yes');
    expect(cell('slo', `${M70}:tpot_ms`, 'error_budget_remaining')).toHaveTextContent('100 %');

    await screen.findByTestId(testIds.kpi('latency', M70, 'ttft_ms_p95'));
    // quantiles beside their targets; llama-8b has no SLO entry: —
    expect(cell('latency', M70, 'ttft_ms_p95')).toHaveTextContent('1,000 ms');
    expect(cell('latency', M70, 'ttft_p95_target')).toHaveTextContent('600 ms');
    // e2e p99 of 2, 2.5, 3, 5, 6 s = 6 s against 5 s
    expect(cell('latency', M70, 'e2e_ms_p99')).toHaveTextContent('6,000 ms');
    expect(cell('latency', M70, 'e2e_p99_target')).toHaveTextContent('5,000 ms');
    // median TTFT 300 ms
    expect(cell('latency', M70, 'ttft_ms_p50')).toHaveTextContent('300 ms');
    expect(cell('latency', 'meta/llama-3.1-8b-instruct', 'ttft_p95_target')).toHaveTextContent('—');

    // the fixture has no inference-server histograms: the page says so
    expect(await screen.findByText(/No inference-server latency histograms in this window/)).toBeInTheDocument();
  });
});
