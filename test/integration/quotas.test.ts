/**
 * Tenant quotas (pipelines/kpi/quotas.ts), evaluated at 2026-11-20T00:00Z: period
 * November 2026, last-24 h rate from 2026-11-19T00:00Z. Model m: 1 USD/M in, 2 USD/M out.
 *
 * acme (1 M tokens, 10 USD): 10-31 23:00 999 999 tokens (October: not counted);
 *   11-05 200 000 in → 200 000 µ$; 11-19 12:00 50 000 in + 25 000 out → 50 000 + 50 000 = 100 000 µ$;
 *   11-19 13:00 errored 10 000 in (not billed, not counted).
 *   tokens_used 275 000 (ratio 0.275), spend 0.3 USD (0.03) → quota_used_ratio 0.275;
 *   remaining 725 000 tokens, 9.7 USD. Last 24 h: 75 000 tokens, 0.1 USD.
 *   ETA tokens: 725 000 × 86 400 / 75 000 = 835 200 s = 9 d 16 h → 2026-11-29T16:00:00Z;
 *   budget: 9.7 / 0.1 = 97 days (after the month ends). Earlier: the tokens'.
 * globex (1 USD): 11-19 06:00 400 000 in + 100 000 out → 600 000 µ$; ratio 0.6, left 0.4 USD;
 *   ETA 400 000 µ$ × 86 400 / 600 000 µ$ = 57 600 s → 2026-11-20T16:00:00Z.
 * initech (500 tokens): 11-02 1 000 tokens → ratio 2, remaining 0, already used up: ETA = to.
 * hooli (1 000 tokens), no requests: ratio 0, rate 0 → ETA null.
 * stark (not configured): 11-19 20:00 100 tokens of model x (no price) → spend 0, quotas null.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../core/store/open-store.js';
import { migrate } from '../../core/schema/migrate.js';
import { configSchema } from '../../core/config/schema.js';
import { quotaPeriod, tenantQuotas } from '../../pipelines/kpi/quotas.js';

let store: Store;
const config = configSchema.parse({
  prices: { m: { input_usd_per_mtok: 1, output_usd_per_mtok: 2 } },
  tenants: {
    acme: { monthly_token_quota: 1_000_000, monthly_budget_usd: 10 },
    globex: { monthly_budget_usd: 1 },
    initech: { monthly_token_quota: 500 },
    hooli: { monthly_token_quota: 1000 },
  },
});
const at = new Date('2026-11-20T00:00:00Z');

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  const r = (ts: string, id: string, tenant: string, model: string, input: number, output: number, is_error = 0) => ({
    ts: ts.replace('T', ' '), hour: `${ts.slice(0, 13).replace('T', ' ')}:00:00`, end_ts: ts.replace('T', ' '), trace_id: id, span_id: id,
    tenant, model, endpoint: 'chat', input_tokens: input, output_tokens: output, is_error,
  });
  await store.client.insert({
    table: 'llm_requests',
    format: 'JSONEachRow',
    values: [
      r('2026-10-31T23:00:00', 'a0', 'acme', 'm', 999_999, 0),
      r('2026-11-05T10:00:00', 'a1', 'acme', 'm', 200_000, 0),
      r('2026-11-19T12:00:00', 'a2', 'acme', 'm', 50_000, 25_000),
      r('2026-11-19T12:00:00', 'a2', 'acme', 'm', 50_000, 25_000), // stored twice: counted once
      r('2026-11-19T13:00:00', 'a3', 'acme', 'm', 10_000, 0, 1),
      r('2026-11-20T00:00:00', 'a4', 'acme', 'm', 123, 0), // at `to`: outside
      r('2026-11-19T06:00:00', 'g1', 'globex', 'm', 400_000, 100_000),
      r('2026-11-02T00:00:00', 'i1', 'initech', 'm', 1000, 0),
      r('2026-11-19T20:00:00', 's1', 'stark', 'x', 100, 0),
    ],
  });
});
afterAll(() => store.close());

describe('tenant quotas', () => {
  it('the period is the UTC month of the instant before `to`', () => {
    expect(quotaPeriod(new Date('2026-12-01T00:00:00Z'))).toEqual({ start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') });
    expect(quotaPeriod(new Date('2026-12-31T23:59:59Z'))).toEqual({ start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') });
  });

  it('per tenant: usage, ratios, remaining and the exhaustion ETA', async () => {
    const r = await tenantQuotas(store, config, { to: at });
    expect(r.window).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-20T00:00:00.000Z' });
    const common = { period: '2026-11' };
    expect(r.rows).toEqual([
      {
        ...common, tenant: 'acme', monthly_token_quota: 1_000_000, monthly_budget_usd: 10, tokens_used: 275_000, spend_usd: 0.3,
        tokens_last_24h: 75_000, spend_last_24h_usd: 0.1, token_quota_used_ratio: 0.275, budget_used_ratio: 0.03, quota_used_ratio: 0.275,
        quota_remaining: 725_000, budget_remaining_usd: 9.7, quota_exhaustion_eta: '2026-11-29T16:00:00Z',
      },
      {
        ...common, tenant: 'globex', monthly_token_quota: null, monthly_budget_usd: 1, tokens_used: 500_000, spend_usd: 0.6,
        tokens_last_24h: 500_000, spend_last_24h_usd: 0.6, token_quota_used_ratio: null, budget_used_ratio: 0.6, quota_used_ratio: 0.6,
        quota_remaining: null, budget_remaining_usd: 0.4, quota_exhaustion_eta: '2026-11-20T16:00:00Z',
      },
      {
        ...common, tenant: 'hooli', monthly_token_quota: 1000, monthly_budget_usd: null, tokens_used: 0, spend_usd: 0,
        tokens_last_24h: 0, spend_last_24h_usd: 0, token_quota_used_ratio: 0, budget_used_ratio: null, quota_used_ratio: 0,
        quota_remaining: 1000, budget_remaining_usd: null, quota_exhaustion_eta: null,
      },
      {
        ...common, tenant: 'initech', monthly_token_quota: 500, monthly_budget_usd: null, tokens_used: 1000, spend_usd: 0.001,
        tokens_last_24h: 0, spend_last_24h_usd: 0, token_quota_used_ratio: 2, budget_used_ratio: null, quota_used_ratio: 2,
        quota_remaining: 0, budget_remaining_usd: null, quota_exhaustion_eta: '2026-11-20T00:00:00Z',
      },
      {
        ...common, tenant: 'stark', monthly_token_quota: null, monthly_budget_usd: null, tokens_used: 100, spend_usd: 0,
        tokens_last_24h: 100, spend_last_24h_usd: 0, token_quota_used_ratio: null, budget_used_ratio: null, quota_used_ratio: null,
        quota_remaining: null, budget_remaining_usd: null, quota_exhaustion_eta: null,
      },
    ]);
  });

  it('one tenant; an ETA after the month ends is null (the quota resets first)', async () => {
    // at 11-20 12:00 acme's last 24 h [11-19 12:00, 11-20 12:00) hold a2 (75 000) and a4 (123, now inside):
    // used 275 123, remaining 724 877; 724 877 × 86 400 / 75 123 = 833 691.98… → 833 692 s
    // = 9 d 15 h 34 min 52 s → 2026-11-30T03:34:52Z, still in November
    const noon = await tenantQuotas(store, config, { to: new Date('2026-11-20T12:00:00Z'), tenant: 'acme' });
    expect(noon.rows.map((x) => [x.tenant, x.tokens_used, x.tokens_last_24h, x.quota_exhaustion_eta])).toEqual([['acme', 275_123, 75_123, '2026-11-30T03:34:52Z']]);
    // at 11-22 00:00 the window [11-21, 11-22) has no acme request → rate 0 → null
    const later = await tenantQuotas(store, config, { to: new Date('2026-11-22T00:00:00Z'), tenant: 'acme' });
    expect(later.rows.map((x) => [x.tenant, x.tokens_used, x.tokens_last_24h, x.quota_exhaustion_eta])).toEqual([['acme', 275_123, 0, null]]);
    // at 11-20 20:00 the window [11-19 20:00, 11-20 20:00) holds only a4: 724 877 × 86 400 / 123 s ≈ 16 years,
    // long after the month ends → null
    const slow = await tenantQuotas(store, config, { to: new Date('2026-11-20T20:00:00Z'), tenant: 'acme' });
    expect(slow.rows.map((x) => [x.tokens_last_24h, x.quota_remaining, x.quota_exhaustion_eta])).toEqual([[123, 724_877, null]]);
  });
});
