/**
 * Tenants against the recorded API answers on the factory fixture. Prices
 * (token-factory.yaml): llama-70b 0.6 / 1.8 USD per M input / output tokens, llama-8b
 * 0.1 / 0.2; initech's plan 0.5 / 1.5 for llama-70b; errored requests not billed. acme
 * has a monthly quota of 100,000 tokens and a 1 USD budget.
 */
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { testIds } from '../components/testIds';
import { FIXTURE_RANGE, renderApp } from '../test/render';

const cell = (table: string, row: string, kpi: string) => screen.getByTestId(testIds.kpi(table, row, kpi));

describe('Tenants page', () => {
  it('shows usage, cost, revenue, margin and quota burn-down per tenant', async () => {
    renderApp('tenants', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('tenants', 'acme', 'revenue_usd'));
    // acme: a (70b 1000 in, 500 out) 0.0006 + 0.0009; f (8b 2000, 1000) 0.0002 + 0.0002;
    // d (70b 500, 500) 0.0003 + 0.0009 → 0.0031 USD for 3,500 + 2,000 = 5,500 tokens
    expect(cell('tenants', 'acme', 'tokens')).toHaveTextContent('5,500');
    expect(cell('tenants', 'acme', 'revenue_usd')).toHaveTextContent('$0.0031');
    // cost: the research workflow's 5.211842 → margin 0.0031 − 5.211842 = −5.208742
    expect(cell('tenants', 'acme', 'cost_usd')).toHaveTextContent('$5.21');
    expect(cell('tenants', 'acme', 'margin_usd')).toHaveTextContent('-$5.21');
    // globex: b errored (not billed), e (70b 1000, 1000) 0.0006 + 0.0018 = 0.0024
    expect(cell('tenants', 'globex', 'revenue_usd')).toHaveTextContent('$0.0024');
    expect(cell('tenants', 'globex', 'billed_requests')).toHaveTextContent('1');
    // initech: c (70b on its plan, 1500 in, 500 out) 0.00075 + 0.00075; g (8b 500, 500) 0.00005 + 0.0001 → 0.00165
    expect(cell('tenants', 'initech', 'revenue_usd')).toHaveTextContent('$0.00165');

    await screen.findByTestId(testIds.kpi('quotas', 'acme', 'quota_used_ratio'));
    // acme used 5,500 of 100,000 tokens = 5.5 %, 94,500 left; spent 0.0031 of 1 USD
    expect(cell('quotas', 'acme', 'quota_used_ratio')).toHaveTextContent('5.5 %');
    expect(cell('quotas', 'acme', 'quota_remaining')).toHaveTextContent('94,500');
    expect(cell('quotas', 'acme', 'budget_remaining_usd')).toHaveTextContent('$0.9969');
    // globex has no quota: undefined, not 0
    expect(cell('quotas', 'globex', 'quota_used_ratio')).toHaveTextContent('—');
  });

  it('exports the tenant table as CSV with the KPIS.md names as headers and raw values', async () => {
    const blobs: Blob[] = [];
    const create = jest.fn((b: Blob) => {
      blobs.push(b);
      return 'blob:tenants';
    });
    Object.assign(URL, { createObjectURL: create, revokeObjectURL: jest.fn() });
    renderApp('tenants', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('tenants', 'acme', 'revenue_usd'));
    await waitFor(() => expect(screen.getByTestId(testIds.tenants.csv)).toBeEnabled());
    fireEvent.click(screen.getByTestId(testIds.tenants.csv));
    expect(blobs).toHaveLength(1);
    const text = await new Promise<string>((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.readAsText(blobs[0]!);
    });
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('tenant,requests,input_tokens,output_tokens,tokens,errors,billed_requests,cost_usd,revenue_usd,margin_usd,gross_margin,unpriced_tokens');
    // acme: the API's numbers as sent, gross margin −5.208742 / 0.0031
    expect(lines[1]).toBe('acme,3,3500,2000,5500,0,3,5.211842,0.0031,-5.208742,-1680.2393548387097,0');
    expect(lines).toHaveLength(5); // header, 3 tenants, trailing empty after the last CRLF
  });
});
