/**
 * Tenants: usage, cost, revenue and margin per tenant over the window; quota burn-down
 * for the current month (token and spend budgets, what is left, when it runs out at the
 * last 24 h's rate); the table as CSV. KPIS.md "Revenue and margin", "Governance".
 */
import React from 'react';
import { Button } from '@grafana/ui';
import { downloadCsv, frameToCsv } from '../api/csv';
import { column } from '../api/frames';
import { Bars } from '../components/Charts';
import { KpiTable } from '../components/KpiTable';
import { PageShell, Section } from '../components/PageShell';
import { KpiView } from '../components/States';
import { testIds } from '../components/testIds';
import { useKpi } from '../hooks/useKpi';
import { useTimeRange } from '../hooks/useTimeRange';

export const TENANT_COLUMNS = [
  'tenant',
  'requests',
  'input_tokens',
  'output_tokens',
  'tokens',
  'errors',
  'billed_requests',
  'cost_usd',
  'revenue_usd',
  'margin_usd',
  'gross_margin',
  'unpriced_tokens',
];

/** 2026-11-23T10:00:00.000Z → 20261123T1000Z (file-name safe). */
const compact = (iso: string) => `${iso.slice(0, 16).replace(/[-:]/g, '')}Z`;

export function TenantsPage() {
  const { from, to } = useTimeRange();
  const usage = useKpi('revenue', { from, to, by: 'tenant' });
  const quotas = useKpi('quotas', { to });

  const exportCsv =
    usage.status === 'done' && usage.result.frame.length > 0
      ? () => downloadCsv(frameToCsv(usage.result.frame, TENANT_COLUMNS), `tenants_${compact(from)}_${compact(to)}.csv`)
      : undefined;

  return (
    <PageShell
      page="tenants"
      subTitle="Who used what: tokens, cost, revenue and margin per tenant; quotas"
      actions={
        <Button icon="download-alt" variant="secondary" data-testid={testIds.tenants.csv} disabled={!exportCsv} onClick={exportCsv}>
          Export CSV
        </Button>
      }
    >
      <Section title="Usage, cost, revenue and margin" note="Revenue from the price book (tenant plans override it); errored requests are not billed unless bill_errors is set. Cost is attributed GPU cost.">
        <KpiView state={usage} what="tenant usage and revenue" empty="No requests in this window: no tenant used the factory.">
          {({ frame }) => (
            <KpiTable
              id="tenants"
              frame={frame}
              keys={['tenant']}
              columns={TENANT_COLUMNS.map((name) => ({ name, label: name.replace(/_usd$/, '').replace(/_/g, ' ') }))}
            />
          )}
        </KpiView>
      </Section>
      <Section title="Quota burn-down (this month, up to the window's end)" note="quota_exhaustion_eta: when the token quota runs out at the last 24 h's rate (— : no quota, or not at this rate).">
        <KpiView state={quotas} what="tenant quotas" empty="No tenant has usage this month, and none has a quota configured.">
          {({ frame }) => {
            const tenants = column<string>(frame, 'tenant') ?? [];
            const used = column<number | null>(frame, 'quota_used_ratio') ?? [];
            const withQuota = tenants.map((t, i) => ({ name: 'quota_used_ratio', label: t, value: used[i] ?? null })).filter((b) => b.value !== null);
            return (
              <>
                {withQuota.length > 0 ? <Bars title="Quota used" bars={withQuota.map((b) => ({ ...b, name: 'quota_used_ratio' }))} /> : null}
                <KpiTable
                  id="quotas"
                  frame={frame}
                  keys={['tenant']}
                  columns={[
                    { name: 'tenant' },
                    { name: 'period' },
                    { name: 'monthly_token_quota', label: 'token quota' },
                    { name: 'tokens_used', label: 'tokens used' },
                    { name: 'quota_used_ratio', label: 'used' },
                    { name: 'quota_remaining', label: 'tokens left' },
                    { name: 'monthly_budget_usd', label: 'budget' },
                    { name: 'spend_usd', label: 'spend' },
                    { name: 'budget_used_ratio', label: 'budget used' },
                    { name: 'budget_remaining_usd', label: 'budget left' },
                    { name: 'tokens_last_24h', label: 'tokens last 24 h' },
                    { name: 'quota_exhaustion_eta', label: 'exhaustion ETA' },
                  ]}
                />
              </>
            );
          }}
        </KpiView>
      </Section>
    </PageShell>
  );
}

export default TenantsPage;
