/**
 * Unit economics: tokens per GPU-hour, cost per million tokens (input and output), energy
 * per million tokens, by model and GPU type and over time; the GPU cost no request
 * carries (idle deployment-hours, unassigned GPUs). KPIS.md "Tokens and unit economics".
 */
import React from 'react';
import { column } from '../api/frames';
import { KpiTimeSeries } from '../components/Charts';
import { KpiTable } from '../components/KpiTable';
import { PageShell, Section } from '../components/PageShell';
import { KpiView } from '../components/States';
import { Stats } from '../components/Stats';
import { useKpi } from '../hooks/useKpi';
import { useTimeRange } from '../hooks/useTimeRange';
import { timeGrain } from './grain';

const NO_REQUESTS = 'No requests in this window: unit economics need gateway spans with token counts (gen_ai.usage.*). Pick a window with traffic.';

export function UnitEconomicsPage() {
  const { from, to, timeRange } = useTimeRange();
  const grain = timeGrain(from, to);
  const byModel = useKpi('unit-economics', { from, to, by: 'model,gpu_type' });
  const overTime = useKpi('unit-economics', { from, to, by: `model,${grain}` });
  const totals = useKpi('cost-totals', { from, to, by: '' });
  const costOverTime = useKpi('cost-totals', { from, to, by: grain });

  return (
    <PageShell page="unitEconomics" subTitle="What a token costs us to make, fully loaded (capex, energy, idle time)">
      <Section title="GPU cost in the window" note="Σ request cost + idle cost + unassigned cost = GPU cost, to the micro-dollar.">
        <KpiView
          state={totals}
          what="GPU cost totals"
          empty="No GPU telemetry in this window (DCGM samples): no GPU cost to show."
          isEmpty={({ frame }) => !column<number>(frame, 'gpu_hours')?.[0]}
        >
          {({ frame }) => {
            const v = (n: string) => column(frame, n)?.[0] ?? null;
            return (
              <Stats
                items={[
                  { name: 'gpu_cost_usd', label: 'GPU cost', value: v('gpu_cost_usd') },
                  { name: 'request_cost_usd', label: 'Attributed to requests', value: v('request_cost_usd') },
                  { name: 'idle_cost_usd', label: 'Idle (deployments without tokens)', value: v('idle_cost_usd') },
                  { name: 'unassigned_cost_usd', label: 'Unassigned GPUs', value: v('unassigned_cost_usd') },
                  { name: 'gpu_hours', label: 'GPU-hours', value: v('gpu_hours') },
                ]}
              />
            );
          }}
        </KpiView>
      </Section>
      <Section title="By model and GPU type">
        <KpiView state={byModel} what="unit economics by model and GPU type" empty={NO_REQUESTS}>
          {({ frame }) => (
            <KpiTable
              id="unit-economics"
              frame={frame}
              keys={['model', 'gpu_type']}
              columns={[
                { name: 'model' },
                { name: 'gpu_type' },
                { name: 'requests' },
                { name: 'tokens' },
                { name: 'gpu_hours', label: 'GPU-hours' },
                { name: 'tokens_per_gpu_hour', label: 'tokens / GPU-hour' },
                { name: 'cost_usd', label: 'cost' },
                { name: 'cost_per_mtok_usd', label: 'cost / M tokens' },
                { name: 'cost_per_mtok_input_usd', label: 'cost / M input tokens' },
                { name: 'cost_per_mtok_output_usd', label: 'cost / M output tokens' },
                { name: 'energy_kwh_per_mtok', label: 'energy / M tokens' },
                { name: 'tokens_per_kwh', label: 'tokens / kWh' },
              ]}
            />
          )}
        </KpiView>
      </Section>
      <Section title={`Over time (per ${grain})`}>
        <KpiView state={overTime} what="unit economics over time" empty={NO_REQUESTS}>
          {({ frame }) => (
            <>
              <KpiTimeSeries title="Tokens per GPU-hour by model" frame={frame} time={grain} spec={{ by: 'model', value: 'tokens_per_gpu_hour' }} timeRange={timeRange} />
              <KpiTimeSeries title="Cost per M tokens by model (USD)" frame={frame} time={grain} spec={{ by: 'model', value: 'cost_per_mtok_usd' }} timeRange={timeRange} />
              <KpiTimeSeries title="Energy per M tokens by model (kWh)" frame={frame} time={grain} spec={{ by: 'model', value: 'energy_kwh_per_mtok' }} timeRange={timeRange} />
            </>
          )}
        </KpiView>
        <KpiView state={costOverTime} what="GPU cost over time" empty="No GPU telemetry in this window.">
          {({ frame }) => (
            <KpiTimeSeries
              title="GPU cost: attributed, idle, unassigned (USD)"
              frame={frame}
              time={grain}
              spec={{
                values: [
                  { name: 'request_cost_usd', label: 'requests' },
                  { name: 'idle_cost_usd', label: 'idle' },
                  { name: 'unassigned_cost_usd', label: 'unassigned' },
                ],
              }}
              timeRange={timeRange}
            />
          )}
        </KpiView>
      </Section>
    </PageShell>
  );
}

export default UnitEconomicsPage;
