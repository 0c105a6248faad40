/**
 * Workflows: cost per successful workflow, success rate and wasted cost per workflow
 * name; drill-down from a name to its workflows, and from one workflow to its requests
 * ("why did this cost so much": retries, errored attempts, the costly calls). KPIS.md
 * "Workflows". The drill-down lives in the URL (`workflow`, `workflow_id`).
 */
import React from 'react';
import { locationService } from '@grafana/runtime';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { column } from '../api/frames';
import { KpiTable } from '../components/KpiTable';
import { pageHref, PageShell, Section } from '../components/PageShell';
import { KpiView } from '../components/States';
import { Stats } from '../components/Stats';
import { testIds } from '../components/testIds';
import { useKpi } from '../hooks/useKpi';
import { useLocation } from '../hooks/useLocation';
import { useTimeRange } from '../hooks/useTimeRange';

/** A link inside the app: a plain anchor (works with or without Grafana's router) pushed to locationService. */
function DrillLink({ href, testId, children }: { href: string; testId: string; children: React.ReactNode }) {
  const s = useStyles2(getLinkStyles);
  return (
    <a
      href={href}
      data-testid={testId}
      className={s.link}
      onClick={(e) => {
        e.preventDefault();
        locationService.push(href);
      }}
    >
      {children}
    </a>
  );
}

const getLinkStyles = (theme: GrafanaTheme2) => ({
  link: css({ color: theme.colors.text.link, '&:hover': { textDecoration: 'underline' } }),
});

export function WorkflowsPage() {
  const { from, to } = useTimeRange();
  const { search } = useLocation();
  const workflow = search.workflow;
  const workflowId = search.workflow_id;
  const byName = useKpi('workflows', { from, to, by: 'workflow' });
  const instances = useKpi('workflows/list', { from, to, workflow }, workflow === undefined);
  const requests = useKpi('workflows/requests', { from, to, workflow_id: workflowId }, workflowId === undefined);

  return (
    <PageShell page="workflows" subTitle="What a successful workflow costs, failed and retried work included">
      <Section
        title="By workflow"
        note="cost per successful workflow = cost of all workflows (failed ones too) / successful ones; wasted cost = cost of failed workflows. Pick a workflow to see its runs."
      >
        <KpiView state={byName} what="workflow costs" empty="No workflows in this window: a workflow is a trace (or spans sharing workflow.id) with LLM requests in it.">
          {({ frame }) => (
            <KpiTable
              id="workflows"
              frame={frame}
              keys={['workflow']}
              columns={[
                {
                  name: 'workflow',
                  render: (v) => (
                    <DrillLink href={pageHref('workflows', { workflow: String(v) })} testId={testIds.workflows.workflowLink(String(v))}>
                      {String(v)}
                    </DrillLink>
                  ),
                },
                { name: 'workflows' },
                { name: 'successful_workflows', label: 'successful' },
                { name: 'success_rate', label: 'success rate' },
                { name: 'workflow_cost_usd', label: 'cost' },
                { name: 'cost_per_successful_workflow_usd', label: 'cost / successful workflow' },
                { name: 'wasted_cost_usd', label: 'wasted cost' },
                { name: 'requests' },
                { name: 'tokens' },
                { name: 'tokens_per_workflow_p50', label: 'tokens / workflow p50' },
                { name: 'tokens_per_workflow_p95', label: 'tokens / workflow p95' },
              ]}
            />
          )}
        </KpiView>
      </Section>
      {workflow !== undefined ? (
        <Section title={`Runs of “${workflow}”`} note="Most expensive first is how the API orders them; pick one to see its requests.">
          <KpiView state={instances} what={`the runs of ${workflow}`} empty={`No run of “${workflow}” in this window.`}>
            {({ frame }) => (
              <KpiTable
                id="workflow-runs"
                frame={frame}
                keys={['workflow_id']}
                columns={[
                  {
                    name: 'workflow_id',
                    render: (v) => (
                      <DrillLink href={pageHref('workflows', { workflow, workflow_id: String(v) })} testId={testIds.workflows.instanceLink(String(v))}>
                        {String(v)}
                      </DrillLink>
                    ),
                  },
                  { name: 'tenant' },
                  { name: 'outcome' },
                  { name: 'success' },
                  { name: 'attempts' },
                  { name: 'requests' },
                  { name: 'errors' },
                  { name: 'tokens' },
                  { name: 'workflow_cost_usd', label: 'cost' },
                  { name: 'started_at', label: 'started' },
                  { name: 'ended_at', label: 'ended' },
                ]}
              />
            )}
          </KpiView>
        </Section>
      ) : null}
      {workflowId !== undefined ? (
        <Section title={`Requests of workflow ${workflowId}`}>
          <KpiView state={requests} what={`the requests of workflow ${workflowId}`} empty="This workflow has no LLM requests in the window.">
            {({ frame }) => (
              <div data-testid={testIds.workflows.requests}>
                <WhyItCost frame={frame} />
                <KpiTable
                  id="workflow-requests"
                  frame={frame}
                  keys={['span_id']}
                  columns={[
                    { name: 'ts', label: 'start' },
                    { name: 'trace_id' },
                    { name: 'span_id' },
                    { name: 'model' },
                    { name: 'deployment' },
                    { name: 'gpu_type' },
                    { name: 'input_tokens' },
                    { name: 'output_tokens' },
                    { name: 'cost_usd', label: 'cost' },
                    { name: 'e2e_ms' },
                    { name: 'ttft_ms' },
                    { name: 'is_error', label: 'error' },
                    { name: 'error_type' },
                  ]}
                />
              </div>
            )}
          </KpiView>
        </Section>
      ) : null}
    </PageShell>
  );
}

/** Where the money of one workflow went: its requests (a handful) summed here. */
function WhyItCost({ frame }: { frame: import('@grafana/data').DataFrame }) {
  const cost = column<number>(frame, 'cost_usd') ?? [];
  const err = column<boolean>(frame, 'is_error') ?? [];
  const traces = new Set(column<string>(frame, 'trace_id') ?? []);
  const micro = (v: number) => Math.round(v * 1e6);
  const total = cost.reduce((a, c) => a + micro(c), 0) / 1e6;
  const errored = cost.reduce((a, c, i) => a + (err[i] ? micro(c) : 0), 0) / 1e6;
  const top = cost.reduce((m, c) => Math.max(m, micro(c)), 0) / 1e6;
  return (
    <Stats
      items={[
        { name: 'workflow_cost_usd', label: 'Cost of this workflow', value: total },
        { name: 'requests', label: 'Requests', value: frame.length },
        { name: 'attempts', label: 'Attempts (traces)', value: traces.size },
        { name: 'wasted_cost_usd', label: 'Spent on errored requests', value: errored },
        { name: 'cost_usd', label: 'Most expensive request', value: top },
      ]}
    />
  );
}

export default WorkflowsPage;
