/**
 * SLOs: TTFT and end-to-end latency quantiles per model against the targets of the
 * config's `slos`; per SLO its indicator, error budget left and burn rates over
 * 5m/30m/1h/6h ending at the window's end (KPIS.md "Latency and reliability",
 * "Governance"); the inference servers' own histogram quantiles beside the gateway's.
 */
import React from 'react';
import { column } from '../api/frames';
import { KpiTimeSeries } from '../components/Charts';
import { KpiTable } from '../components/KpiTable';
import { PageShell, Section } from '../components/PageShell';
import { KpiView } from '../components/States';
import { formatKpi, NULL_TEXT } from '../format/format';
import { useKpi, type KpiState } from '../hooks/useKpi';
import { useTimeRange } from '../hooks/useTimeRange';
import { timeGrain } from './grain';

/** model → target of one SLO kind, from the /slo rows (entries without an endpoint). */
function targets(state: KpiState, kind: string): Map<string, number> {
  const out = new Map<string, number>();
  if (state.status !== 'done') {
    return out;
  }
  const f = state.result.frame;
  const models = column<string>(f, 'model') ?? [];
  const kinds = column<string>(f, 'kind') ?? [];
  const endpoints = column<string | null>(f, 'endpoint') ?? [];
  const t = column<number>(f, 'target') ?? [];
  models.forEach((m, i) => {
    if (kinds[i] === kind && (endpoints[i] === null || endpoints[i] === '') && !out.has(m)) {
      out.set(m, t[i]!);
    }
  });
  return out;
}

export function SlosPage() {
  const { from, to, timeRange } = useTimeRange();
  const grain = timeGrain(from, to);
  const slos = useKpi('slo', { from, to });
  const quantiles = useKpi('unit-economics', { from, to, by: 'model' });
  const overTime = useKpi('unit-economics', { from, to, by: `model,${grain}` });
  const server = useKpi('server-latency', { from, to, by: 'model' });
  const ttftTarget = targets(slos, 'ttft_p95_ms');
  const e2eTarget = targets(slos, 'e2e_p99_ms');

  return (
    <PageShell page="slos" subTitle="How fast and how reliably tokens are served, against the SLOs">
      <Section
        title="Service level objectives"
        note="error budget remaining: 1 = untouched, 0 = spent, below 0 = overspent. Burn rate 1 spends the budget exactly over the SLO period; the windows end at the window's end."
      >
        <KpiView state={slos} what="SLOs" empty="No SLO has events in this window (or none is configured: config `slos`).">
          {({ frame }) => (
            <KpiTable
              id="slo"
              frame={frame}
              keys={['slo']}
              columns={[
                { name: 'slo' },
                { name: 'target', render: (v, i) => formatKpi(String(column(frame, 'kind')?.[i] === 'error_rate' ? 'error_rate' : 'ttft_ms'), v) },
                { name: 'sli', label: 'SLI', render: (v, i) => formatKpi(String(column(frame, 'kind')?.[i] === 'error_rate' ? 'error_rate' : 'ttft_ms'), v) },
                { name: 'slo_met', label: 'met' },
                { name: 'events' },
                { name: 'bad_events', label: 'bad events' },
                { name: 'error_budget_remaining', label: 'error budget left' },
                { name: 'slo_burn_rate_5m', label: 'burn 5m' },
                { name: 'slo_burn_rate_30m', label: 'burn 30m' },
                { name: 'slo_burn_rate_1h', label: 'burn 1h' },
                { name: 'slo_burn_rate_6h', label: 'burn 6h' },
                { name: 'slo_attainment', label: 'SLO attainment' },
                { name: 'goodput_tokens_per_gpu_hour', label: 'goodput tokens / GPU-hour' },
              ]}
            />
          )}
        </KpiView>
      </Section>
      <Section title="Latency quantiles by model (gateway spans)" note="Exact quantiles over the window's requests; targets from the config's slos (— : no target).">
        <KpiView state={quantiles} what="latency quantiles" empty="No requests in this window: latency comes from gateway spans.">
          {({ frame }) => (
            <KpiTable
              id="latency"
              frame={frame}
              keys={['model']}
              columns={[
                { name: 'model' },
                { name: 'requests' },
                { name: 'ttft_ms_p50', label: 'TTFT p50' },
                { name: 'ttft_ms_p90', label: 'TTFT p90' },
                { name: 'ttft_ms_p95', label: 'TTFT p95' },
                { name: 'ttft_ms_p99', label: 'TTFT p99' },
                { name: 'ttft_p95_target', label: 'TTFT p95 target', render: (_v, i) => target(ttftTarget, column<string>(frame, 'model')?.[i]) },
                { name: 'e2e_ms_p50', label: 'e2e p50' },
                { name: 'e2e_ms_p90', label: 'e2e p90' },
                { name: 'e2e_ms_p95', label: 'e2e p95' },
                { name: 'e2e_ms_p99', label: 'e2e p99' },
                { name: 'e2e_p99_target', label: 'e2e p99 target', render: (_v, i) => target(e2eTarget, column<string>(frame, 'model')?.[i]) },
                { name: 'tpot_ms_p95', label: 'TPOT p95' },
                { name: 'error_rate', label: 'error rate' },
              ]}
            />
          )}
        </KpiView>
        <KpiView state={overTime} what="latency over time" empty="No requests in this window.">
          {({ frame }) => (
            <>
              <KpiTimeSeries title="TTFT p95 by model (ms)" frame={frame} time={grain} spec={{ by: 'model', value: 'ttft_ms_p95' }} timeRange={timeRange} />
              <KpiTimeSeries title="End-to-end p99 by model (ms)" frame={frame} time={grain} spec={{ by: 'model', value: 'e2e_ms_p99' }} timeRange={timeRange} />
            </>
          )}
        </KpiView>
      </Section>
      <Section title="Inference-server histograms" note="PromQL histogram_quantile over the bucket increases in the window (vLLM, SGLang, NIM, Triton, TGI metrics).">
        <KpiView state={server} what="inference-server latency" empty="No inference-server latency histograms in this window (no scrape of vllm:time_to_first_token_seconds or the like).">
          {({ frame }) => (
            <KpiTable
              id="server-latency"
              frame={frame}
              keys={['model']}
              columns={[
                { name: 'model' },
                { name: 'requests' },
                { name: 'ttft_ms_p50', label: 'TTFT p50' },
                { name: 'ttft_ms_p95', label: 'TTFT p95' },
                { name: 'ttft_ms_p99', label: 'TTFT p99' },
                { name: 'e2e_ms_p50', label: 'e2e p50' },
                { name: 'e2e_ms_p95', label: 'e2e p95' },
                { name: 'e2e_ms_p99', label: 'e2e p99' },
              ]}
            />
          )}
        </KpiView>
      </Section>
    </PageShell>
  );
}

function target(map: Map<string, number>, model: string | undefined): string {
  const t = model === undefined ? undefined : map.get(model);
  return t === undefined ? NULL_TEXT : formatKpi('ttft_ms', t);
}

export default SlosPage;
