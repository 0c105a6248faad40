/**
 * Workflows against the recorded API answers on the factory fixture: "research" (acme,
 * 3 requests, succeeds), "chat" (globex, workflow.id wf-globex-1: a first attempt whose
 * call errors, a retry that succeeds), "summarize" ×2 (initech: one with
 * workflow.outcome=failure, one success).
 */
import { fireEvent, screen } from '@testing-library/react';
import { testIds } from '../components/testIds';
import { FIXTURE_RANGE, renderApp } from '../test/render';

const cell = (table: string, row: string, kpi: string) => screen.getByTestId(testIds.kpi(table, row, kpi));

describe('Workflows page', () => {
  it('shows cost per successful workflow, success rate and wasted cost, and drills down to the requests', async () => {
    renderApp('workflows', FIXTURE_RANGE);
    await screen.findByTestId(testIds.kpi('workflows', 'summarize', 'success_rate'));
    // summarize: 2 runs, 1 successful → 50 %; cost 1.177143 + 1.074783 = 2.251926 over 1 success → $2.25;
    // wasted = the failed run's 1.074783 → $1.07
    expect(cell('workflows', 'summarize', 'success_rate')).toHaveTextContent('50 %');
    expect(cell('workflows', 'summarize', 'cost_per_successful_workflow_usd')).toHaveTextContent('$2.25');
    expect(cell('workflows', 'summarize', 'wasted_cost_usd')).toHaveTextContent('$1.07');
    // chat: one workflow (two attempts) that succeeded in the end: all its cost, 4.896232, per success
    expect(cell('workflows', 'chat', 'cost_per_successful_workflow_usd')).toHaveTextContent('$4.90');
    expect(cell('workflows', 'chat', 'success_rate')).toHaveTextContent('100 %');

    fireEvent.click(screen.getByText('chat'));
    await screen.findByTestId(testIds.kpi('workflow-runs', 'wf-globex-1', 'attempts'));
    expect(cell('workflow-runs', 'wf-globex-1', 'attempts')).toHaveTextContent('2');
    expect(cell('workflow-runs', 'wf-globex-1', 'errors')).toHaveTextContent('1');

    fireEvent.click(screen.getByText('wf-globex-1'));
    await screen.findByTestId(testIds.workflows.requests);
    // why it cost so much: 2 requests in 2 traces; the errored first call (3000 + 1000 tokens at
    // 10:20) cost 2.149565, the retry 2.746667 → 4.896232 in all
    expect(screen.getByTestId(testIds.stat('workflow_cost_usd'))).toHaveTextContent('$4.90');
    expect(screen.getByTestId(testIds.stat('attempts'))).toHaveTextContent('2');
    expect(screen.getByTestId(testIds.stat('wasted_cost_usd'))).toHaveTextContent('$2.15');
    expect(screen.getByTestId(testIds.stat('cost_usd'))).toHaveTextContent('$2.75');
    expect(cell('workflow-requests', '2000000000000001', 'is_error')).toHaveTextContent('yes');
    expect(cell('workflow-requests', '2000000000000001', 'error_type')).toHaveTextContent('503');
    expect(cell('workflow-requests', '2000000000000001', 'cost_usd')).toHaveTextContent('$2.15');
    expect(cell('workflow-requests', '3000000000000001', 'ts')).toHaveTextContent('2026-11-23 11:30 UTC');
  });
});
