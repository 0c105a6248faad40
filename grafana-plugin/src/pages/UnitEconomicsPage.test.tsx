/**
 * Unit economics against the recorded API answers on the factory fixture. GPU cost per
 * hour (token-factory.yaml: H100 2 USD/h, B200 4 USD/h, 0.10 USD/kWh × PUE 1.5; GPUs
 * sampled every 15 min 10:00–12:00): 10:00 and 11:00 each 12.315 USD, 12:00 (the closing
 * samples) 3.07875 → 27.70875 USD over 9 GPU-hours.
 */
import { screen } from '@testing-library/react';
import { testIds } from '../components/testIds';
import { EMPTY_RANGE, FIXTURE_RANGE, renderApp } from '../test/render';

const cell = (row: string, kpi: string) => screen.getByTestId(testIds.kpi('unit-economics', row, kpi));
const H100_70B = 'meta/llama-3.1-70b-instruct/H100';
const B200_8B = 'meta/llama-3.1-8b-instruct/B200';

describe('Unit economics page', () => {
  it('shows GPU cost split into requests, idle and unassigned, and unit economics by model and GPU type', async () => {
    const { backend } = renderApp('unit-economics', FIXTURE_RANGE);
    await screen.findByTestId(testIds.stat('gpu_cost_usd'));
    // 12.315 + 12.315 + 3.07875 = 27.70875 → $27.71; = 12.36 requests + 6.18 idle + 9.16875 unassigned
    expect(screen.getByTestId(testIds.stat('gpu_cost_usd'))).toHaveTextContent('$27.71');
    // GPU-hour incl. energy: H100 2 + 0.4 kW × 0.15 = 2.06; B200 at 800 W 4 + 0.8 × 0.15 = 4.12
    // requests: 70b 2 GPUs × 2 h (10:00, 11:00) × 2.06 = 8.24 + 8b 1 GPU × 1 h (10:00) × 4.12 = 12.36
    expect(screen.getByTestId(testIds.stat('request_cost_usd'))).toHaveTextContent('$12.36');
    // idle: deployment-hours without tokens: 8b at 11:00 (4.12) and both deployments' 12:00 closing
    // quarter hour (70b 2 × 0.25 × 2.06 = 1.03, 8b 0.25 × 4.12 = 1.03) = 6.18
    expect(screen.getByTestId(testIds.stat('idle_cost_usd'))).toHaveTextContent('$6.18');
    // unassigned: the B200 without a pod, 500 W: 2 h × (4 + 0.5 kW × 0.15) + 0.25 h × 4.075 = 9.16875
    expect(screen.getByTestId(testIds.stat('unassigned_cost_usd'))).toHaveTextContent('$9.17');
    expect(screen.getByTestId(testIds.stat('gpu_hours'))).toHaveTextContent('9');

    await screen.findByTestId(testIds.kpi('unit-economics', H100_70B, 'tokens'));
    // llama-70b on H100: requests a, b, c, d, e = 1500 + 4000 + 2000 + 1000 + 2000 = 10,500 tokens
    expect(cell(H100_70B, 'tokens')).toHaveTextContent('10,500');
    // 10,500 tokens / 4 GPU-hours = 2,625 tokens per GPU-hour
    expect(cell(H100_70B, 'tokens_per_gpu_hour')).toHaveTextContent('2,625');
    // 8.24 USD / 10,500 tokens × 1e6 = 784.76 USD per M tokens
    expect(cell(H100_70B, 'cost_per_mtok_usd')).toHaveTextContent('$784.76');
    // input share (weights 1:3, per deployment-hour) 3.000435 USD / 7,000 input tokens × 1e6 = 428.63
    expect(cell(H100_70B, 'cost_per_mtok_input_usd')).toHaveTextContent('$428.63');
    // output share 5.239565 / 3,500 × 1e6 = 1,497.02
    expect(cell(H100_70B, 'cost_per_mtok_output_usd')).toHaveTextContent('$1,497.02');
    // energy 4 GPU-hours × 0.4 kW = 1.6 kWh / 10,500 × 1e6 = 152.38 kWh per M tokens
    expect(cell(H100_70B, 'energy_kwh_per_mtok')).toHaveTextContent('152 kWh');
    // llama-8b on B200: f + g = 3,000 + 1,000 = 4,000 tokens in 1 GPU-hour; 4.12 / 4,000 × 1e6 = 1,030
    expect(cell(B200_8B, 'tokens_per_gpu_hour')).toHaveTextContent('4,000');
    expect(cell(B200_8B, 'cost_per_mtok_usd')).toHaveTextContent('$1,030.00');
    // 1 GPU-hour × 0.8 kW = 0.8 kWh / 4,000 × 1e6 = 200 kWh per M tokens
    expect(cell(B200_8B, 'energy_kwh_per_mtok')).toHaveTextContent('200 kWh');

    // unit-economics and cost-totals answer Arrow: no JSON call was needed
    const ue = backend.calls.filter((c) => /unit-economics|cost-totals/.test(c.url));
    expect(ue.length).toBe(4);
    expect(ue.every((c) => c.accept === 'application/vnd.apache.arrow.stream')).toBe(true);
    // the page's window, from the time picker
    expect(screen.getByTestId(testIds.page.window)).toHaveTextContent('window [2026-11-23T10:00:00Z, 2026-11-23T13:00:00Z) UTC');
  });

  it('says there is no data when the window has none', async () => {
    renderApp('unit-economics', EMPTY_RANGE);
    expect(await screen.findByText(/No GPU telemetry in this window \(DCGM samples\)/)).toBeInTheDocument();
    // by model and GPU type, and over time
    expect((await screen.findAllByText(/No requests in this window: unit economics need gateway spans/)).length).toBe(2);
    expect(screen.queryByTestId(testIds.stat('gpu_cost_usd'))).not.toBeInTheDocument();
  });

  it('says what failed when the API refuses the key', async () => {
    const { recordedBackend } = await import('../test/recorded-backend');
    renderApp('unit-economics', FIXTURE_RANGE, recordedBackend({ mode: 'unauthorized' }));
    const errors = await screen.findAllByTestId(testIds.state.error);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toHaveTextContent(/Could not load GPU cost totals/);
    expect(errors[0]).toHaveTextContent(/refused the request \(401\): missing or unknown API key .* Check the API key on the plugin's configuration page/);
  });

  it('shows what is loading while it loads', async () => {
    renderApp('unit-economics', FIXTURE_RANGE);
    expect((await screen.findAllByText('Loading unit economics by model and GPU type…')).length).toBe(1);
    await screen.findByTestId(testIds.stat('gpu_cost_usd'));
  });
});
