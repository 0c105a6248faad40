/**
 * Revenue per GPU: per gpu_type, the annual revenue of one GPU as a GPU-hour rental, as
 * token-as-a-service (the configured scenario, and at the throughput measured in the
 * window) and as prepaid compute tokens, side by side with its annual cost, the margins
 * and the break-even price per M tokens (KPIS.md "Revenue and margin"; the API computes
 * every figure). Scenario controls override the config's assumptions for this page.
 */
import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, Field, Input, useStyles2 } from '@grafana/ui';
import { z } from 'zod';
import { column } from '../api/frames';
import { Bars } from '../components/Charts';
import { KpiTable } from '../components/KpiTable';
import { PageShell, Section } from '../components/PageShell';
import { KpiView } from '../components/States';
import { testIds } from '../components/testIds';
import { formatKpi } from '../format/format';
import { useKpi } from '../hooks/useKpi';
import { useTimeRange } from '../hooks/useTimeRange';

/** The scenario controls: KPIS.md / API parameter names, with their bounds. */
export const SCENARIO_FIELDS = [
  { name: 'rate_usd_per_hour', label: 'GPU-hour rate (USD/h)', schema: z.number().nonnegative() },
  { name: 'rental_utilization', label: 'Rental utilization (0–1)', schema: z.number().min(0).max(1) },
  { name: 'price_usd_per_mtok', label: 'Price per M tokens (USD)', schema: z.number().nonnegative() },
  { name: 'token_active_utilization', label: 'Token-active utilization (0–1)', schema: z.number().min(0).max(1) },
  { name: 'throughput_multiplier', label: 'Throughput multiplier (next-gen GPU)', schema: z.number().positive() },
] as const;
type ScenarioName = (typeof SCENARIO_FIELDS)[number]['name'];
type Scenario = Partial<Record<ScenarioName, number>>;

/** Text of the inputs → a scenario, or the reason per field. Empty = the config's value. */
export function parseScenario(text: Partial<Record<ScenarioName, string>>): { scenario: Scenario; errors: Partial<Record<ScenarioName, string>> } {
  const scenario: Scenario = {};
  const errors: Partial<Record<ScenarioName, string>> = {};
  for (const f of SCENARIO_FIELDS) {
    const raw = (text[f.name] ?? '').trim();
    if (raw === '') {
      continue;
    }
    const parsed = z.coerce.number().pipe(f.schema).safeParse(raw);
    if (parsed.success) {
      scenario[f.name] = parsed.data;
    } else {
      errors[f.name] = parsed.error.issues[0]?.message ?? 'invalid';
    }
  }
  return { scenario, errors };
}

const BUSINESS_MODELS = [
  { name: 'annual_revenue_gpu_hour_usd', label: 'GPU-hour rental' },
  { name: 'annual_revenue_taas_usd', label: 'Token-as-a-service (scenario)' },
  { name: 'annual_revenue_taas_measured_usd', label: 'Token-as-a-service (measured)' },
  { name: 'annual_revenue_compute_tokens_usd', label: 'Prepaid compute tokens' },
  { name: 'annual_cost_usd', label: 'Annual cost' },
];

export function RevenuePage() {
  const s = useStyles2(getStyles);
  const { from, to } = useTimeRange();
  const [text, setText] = useState<Partial<Record<ScenarioName, string>>>({});
  const [applied, setApplied] = useState<Scenario>({});
  const { errors } = parseScenario(text);
  const state = useKpi('revenue-per-gpu', { from, to, ...applied });

  const apply = (e?: React.FormEvent) => {
    e?.preventDefault();
    const parsed = parseScenario(text);
    if (Object.keys(parsed.errors).length === 0) {
      setApplied(parsed.scenario);
    }
  };
  const first = state.status === 'done' && state.result.frame.length > 0 ? state.result.frame : undefined;
  const assumption = (name: string) => (first ? column(first, name)?.[0] : undefined);

  return (
    <PageShell page="revenue" subTitle="Annual revenue per GPU: GPU-hour rental vs token-as-a-service vs prepaid compute tokens">
      <Section
        title="Scenario"
        note="Assumptions, not measurements: empty fields use the config's values (shown greyed). Throughput, utilization and power are measured over the window."
      >
        <form className={s.form} onSubmit={apply} data-testid={testIds.revenue.scenario}>
          {SCENARIO_FIELDS.map((f) => (
            <Field key={f.name} label={f.label} invalid={Boolean(errors[f.name])} error={errors[f.name]} className={s.field}>
              <Input
                width={18}
                name={f.name}
                inputMode="decimal"
                data-testid={testIds.revenue.input(f.name)}
                value={text[f.name] ?? ''}
                placeholder={(() => {
                  const v = f.name === 'token_active_utilization' ? assumption('scenario_token_active_utilization') : assumption(f.name);
                  return v === undefined || v === null ? '' : String(v);
                })()}
                onChange={(e) => setText({ ...text, [f.name]: e.currentTarget.value })}
              />
            </Field>
          ))}
          <div className={s.buttons}>
            <Button type="submit" data-testid={testIds.revenue.apply} disabled={Object.keys(errors).length > 0}>
              Apply scenario
            </Button>
            <Button
              type="button"
              variant="secondary"
              data-testid={testIds.revenue.reset}
              onClick={() => {
                setText({});
                setApplied({});
              }}
            >
              Config values
            </Button>
          </div>
        </form>
      </Section>
      <KpiView
        state={state}
        what="revenue per GPU"
        empty="No GPU telemetry in this window: revenue per GPU needs DCGM samples of the GPUs (and their gpu_type in the cost model). Pick a window with data."
      >
        {({ frame }) => {
          const types = column<string>(frame, 'gpu_type') ?? [];
          return (
            <>
              <Section title="Annual revenue per GPU, side by side">
                <div className={s.bars}>
                  {types.map((t, i) => (
                    <div key={t} className={s.barGroup}>
                      <Bars
                        title={`${t} — one GPU, one year`}
                        bars={BUSINESS_MODELS.map((b) => ({ name: b.name, label: b.label, value: (column<number | null>(frame, b.name) ?? [])[i] ?? null }))}
                      />
                    </div>
                  ))}
                </div>
              </Section>
              <Section title="Per GPU type" note={assumptionsText(frame)}>
                <KpiTable
                  id="revenue-per-gpu"
                  frame={frame}
                  keys={['gpu_type']}
                  columns={[
                    { name: 'gpu_type' },
                    { name: 'gpus' },
                    { name: 'tokens_per_gpu_hour', label: 'tokens / GPU-hour (measured)' },
                    { name: 'peak_tokens_per_gpu_hour', label: 'peak tokens / GPU-hour' },
                    { name: 'token_active_utilization', label: 'token-active utilization (measured)' },
                    { name: 'annual_revenue_gpu_hour_usd', label: 'rental' },
                    { name: 'annual_revenue_taas_usd', label: 'TaaS (scenario)' },
                    { name: 'annual_revenue_taas_measured_usd', label: 'TaaS (measured)' },
                    { name: 'annual_revenue_compute_tokens_usd', label: 'compute tokens' },
                    { name: 'annual_cost_usd', label: 'annual cost' },
                    { name: 'annual_margin_gpu_hour_usd', label: 'margin rental' },
                    { name: 'annual_margin_taas_usd', label: 'margin TaaS' },
                    { name: 'annual_margin_taas_measured_usd', label: 'margin TaaS measured' },
                    { name: 'annual_margin_compute_tokens_usd', label: 'margin compute tokens' },
                    { name: 'break_even_usd_per_mtok', label: 'break-even price / M tokens' },
                  ]}
                />
              </Section>
            </>
          );
        }}
      </KpiView>
    </PageShell>
  );
}

function assumptionsText(frame: import('@grafana/data').DataFrame): string {
  const v = (n: string) => column(frame, n)?.[0] ?? null;
  const tier = v('compute_tokens_tier');
  return (
    `Assumptions: rental at ${formatKpi('rate_usd_per_hour', v('rate_usd_per_hour'))}/h, ${formatKpi('rental_utilization', v('rental_utilization'))} rented; ` +
    `TaaS at ${formatKpi('price_usd_per_mtok', v('price_usd_per_mtok'))} per M tokens, ${formatKpi('token_active_utilization', v('scenario_token_active_utilization'))} token-active, ` +
    `throughput × ${formatKpi('throughput_multiplier', v('throughput_multiplier'))}; ` +
    (tier ? `compute tokens: tier ${String(tier)} at ${formatKpi('compute_tokens_unit_price_usd', v('compute_tokens_unit_price_usd'))} per unit. ` : 'no compute-token tier configured. ') +
    'A peak without a config value is the measured 95th percentile of 5-minute throughput; “—” marks a figure that cannot be computed (no peak, no cost model).'
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  form: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(2), alignItems: 'flex-end' }),
  field: css({ marginBottom: 0 }),
  buttons: css({ display: 'flex', gap: theme.spacing(1), paddingBottom: theme.spacing(0.5) }),
  bars: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(2) }),
  barGroup: css({ flex: '1 1 420px', minWidth: 320 }),
});

export default RevenuePage;
