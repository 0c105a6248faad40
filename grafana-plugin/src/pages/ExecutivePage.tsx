/**
 * Executive report: one printable page — annual revenue per GPU by business model,
 * revenue, cost, margin and tokens served in the window, each with its trend against the
 * previous period of the same length.
 */
import React from 'react';
import { Button } from '@grafana/ui';
import { column } from '../api/frames';
import { KpiTable } from '../components/KpiTable';
import { PageShell, Section } from '../components/PageShell';
import { ErrorState, KpiView, Loading } from '../components/States';
import { Stats } from '../components/Stats';
import { testIds } from '../components/testIds';
import { formatRatio } from '../format/format';
import { useKpi, type KpiState } from '../hooks/useKpi';
import { useTimeRange } from '../hooks/useTimeRange';

function first(state: KpiState, name: string): number | null | undefined {
  if (state.status !== 'done') {
    return undefined;
  }
  if (state.result.frame.length === 0) {
    return null;
  }
  const v = column<number | null>(state.result.frame, name)?.[0];
  return v ?? null;
}

/** Change against the previous period, in words. */
export function trendText(current: number | null | undefined, previous: number | null | undefined): string {
  if (current === undefined || previous === undefined) {
    return '';
  }
  if (previous === null || current === null) {
    return 'no data in the previous period to compare';
  }
  if (previous === 0) {
    return current === 0 ? 'unchanged vs previous period' : 'previous period: 0';
  }
  const change = (current - previous) / Math.abs(previous);
  const arrow = change > 0 ? '▲' : change < 0 ? '▼' : '=';
  return `${arrow} ${change > 0 ? '+' : ''}${formatRatio(change)} vs previous period`;
}

export function ExecutivePage() {
  const { from, to, previous } = useTimeRange();
  const perGpu = useKpi('revenue-per-gpu', { from, to });
  const revenue = useKpi('revenue', { from, to, by: '' });
  const revenuePrev = useKpi('revenue', { ...previous, by: '' });
  const unit = useKpi('unit-economics', { from, to, by: '' });
  const unitPrev = useKpi('unit-economics', { ...previous, by: '' });

  const pending = [revenue, revenuePrev, unit, unitPrev].find((x) => x.status !== 'done');
  const stat = (state: KpiState, prev: KpiState, name: string, label: string) => ({
    name,
    label,
    value: first(state, name),
    note: trendText(first(state, name), first(prev, name)),
  });

  return (
    <PageShell
      page="executive"
      subTitle="Revenue per GPU, margin, tokens served, and the trend against the previous period"
      actions={
        <Button icon="file-alt" variant="secondary" data-testid={testIds.executive.print} onClick={() => window.print()}>
          Print
        </Button>
      }
    >
      <div>
        <Section title="The period">
          {pending && pending.status === 'loading' ? (
            <Loading what="revenue, cost and tokens of this and the previous period" />
          ) : pending && pending.status === 'error' ? (
            <ErrorState what="revenue, cost and tokens" error={pending.error} />
          ) : (
            <Stats
              items={[
                stat(unit, unitPrev, 'tokens', 'Tokens served'),
                stat(revenue, revenuePrev, 'revenue_usd', 'Revenue'),
                stat(revenue, revenuePrev, 'cost_usd', 'Cost of the requests'),
                stat(revenue, revenuePrev, 'margin_usd', 'Margin'),
                stat(revenue, revenuePrev, 'gross_margin', 'Gross margin'),
                stat(unit, unitPrev, 'tokens_per_gpu_hour', 'Tokens per GPU-hour'),
                stat(unit, unitPrev, 'cost_per_mtok_usd', 'Cost per M tokens'),
              ]}
            />
          )}
        </Section>
        <Section title="Annual revenue per GPU" note="One GPU for a year at this window's measured throughput and power, under the configured business-model assumptions.">
          <KpiView state={perGpu} what="revenue per GPU" empty="No GPU telemetry in this window.">
            {({ frame }) => (
              <KpiTable
                id="executive-revenue-per-gpu"
                frame={frame}
                keys={['gpu_type']}
                columns={[
                  { name: 'gpu_type' },
                  { name: 'annual_revenue_gpu_hour_usd', label: 'GPU-hour rental' },
                  { name: 'annual_revenue_taas_usd', label: 'token-as-a-service' },
                  { name: 'annual_revenue_taas_measured_usd', label: 'TaaS at measured throughput' },
                  { name: 'annual_revenue_compute_tokens_usd', label: 'compute tokens' },
                  { name: 'annual_cost_usd', label: 'annual cost' },
                  { name: 'annual_margin_gpu_hour_usd', label: 'margin rental' },
                  { name: 'annual_margin_taas_usd', label: 'margin TaaS' },
                  { name: 'break_even_usd_per_mtok', label: 'break-even / M tokens' },
                ]}
              />
            )}
          </KpiView>
        </Section>
      </div>
    </PageShell>
  );
}

export default ExecutivePage;
