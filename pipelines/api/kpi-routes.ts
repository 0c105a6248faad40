/**
 * Every KPI query over HTTP: `GET /api/v1/<kpi>?by=&from=&to=…` → KPIS.md's
 * `{ window, rows }` as JSON, or an Apache Arrow IPC stream of the same rows for
 * `Accept: application/vnd.apache.arrow.stream`: each route builds one ClickHouse query.
 *
 * Scope: a KPI whose rows belong to tenants (`tenant`) answers a tenant-scoped key
 * with that tenant's rows only (the query is filtered in SQL, whatever `by` says); a KPI
 * of the fleet (`admin`: GPU cost, server histograms, revenue per GPU, metering) has no
 * tenant rows to give and answers tenant keys 403.
 */
import { z } from 'zod';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { REQUEST_DIMENSION_NAMES } from '../kpi/unit-economics.js';
import { buildServerLatency, type KpiSql } from '../kpi/server-latency.js';
import { buildGoodput, buildSlo } from '../kpi/slo.js';
import { buildWorkflowKpis, buildWorkflowList, buildWorkflowRequests, WORKFLOW_DIMENSION_NAMES } from '../kpi/workflows.js';
import { buildRevenuePerGpu, REVENUE_PER_GPU_DIMENSIONS, revenueScenarioSchema } from '../kpi/revenue-per-gpu.js';
import { buildReconciliation, RECONCILIATION_DIMENSIONS } from '../kpi/reconciliation.js';
import { buildTenantQuotas } from '../kpi/quotas.js';
import { buildGpuUsage, GPU_DIMENSION_NAMES } from '../kpi/gpu-usage.js';
import { buildCostTotalsAuto, buildRevenueMarginAuto, buildUnitEconomicsAuto } from '../rollups/index.js';
import {
  byParam,
  costTotalsParams,
  goodputParams,
  parseParams,
  serverLatencyParams,
  sloParams,
  unitEconomicsParams,
  windowed,
} from './kpi-params.js';

export type KpiScope = 'tenant' | 'admin';

export interface KpiRoute {
  path: string;
  scope: KpiScope;
  /**
   * Validates the query string (400 listing every bad parameter) and builds the KPI's
   * one ClickHouse query for it: JSON runs it (runKpiSql), Arrow streams its result, so
   * both answers are the same rows by construction. `tenant`: the caller's tenant for
   * tenant-scoped keys, undefined for admin keys.
   */
  build(query: unknown, store: Store, config: Config, tenant: string | undefined): Promise<KpiSql>;
}

interface RouteDef<P> {
  path: string;
  scope: KpiScope;
  params: z.ZodType<P>;
  build(store: Store, config: Config, p: P, tenant: string | undefined): Promise<KpiSql>;
}

function route<P>(def: RouteDef<P>): KpiRoute {
  return {
    path: def.path,
    scope: def.scope,
    build: (query, store, config, tenant) => def.build(store, config, parseParams(def.params, query), tenant),
  };
}

const revenuePerGpuParams = windowed({
  by: byParam(REVENUE_PER_GPU_DIMENSIONS, []),
  gpu_type: z.string().min(1).optional(),
  ...revenueScenarioSchema.shape,
});

export const KPI_ROUTES: readonly KpiRoute[] = [
  route({
    path: '/api/v1/unit-economics',
    scope: 'tenant',
    params: unitEconomicsParams,
    // from the rollups where they hold the window (else the facts); tenant-scoped in SQL either way
    build: (s, c, p, tenant) => buildUnitEconomicsAuto(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/cost-totals',
    scope: 'admin',
    params: costTotalsParams,
    build: (s, c, p) => buildCostTotalsAuto(s, c, p),
  }),
  route({
    path: '/api/v1/slo',
    scope: 'tenant',
    params: sloParams,
    build: (s, c, p, tenant) => buildSlo(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/goodput',
    scope: 'tenant',
    params: goodputParams,
    build: (s, c, p, tenant) => buildGoodput(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/server-latency',
    scope: 'admin',
    params: serverLatencyParams,
    build: (s, c, p) => buildServerLatency(s, c, p),
  }),
  route({
    path: '/api/v1/workflows',
    scope: 'tenant',
    params: windowed({ by: byParam(WORKFLOW_DIMENSION_NAMES, ['workflow']) }),
    build: (s, c, p, tenant) => buildWorkflowKpis(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/workflows/list',
    scope: 'tenant',
    params: windowed({
      workflow: z.string().min(1).optional(),
      workflow_id: z.string().min(1).optional(),
      limit: z.coerce.number().int().min(1).max(10_000).optional(),
    }),
    build: (s, c, p, tenant) => buildWorkflowList(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/workflows/requests',
    scope: 'tenant',
    params: windowed({ workflow_id: z.string().min(1) }),
    build: (s, c, p, tenant) => buildWorkflowRequests(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/revenue',
    scope: 'tenant',
    params: windowed({ by: byParam(REQUEST_DIMENSION_NAMES, ['model']) }),
    build: (s, c, p, tenant) => buildRevenueMarginAuto(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/revenue-per-gpu',
    scope: 'admin',
    params: revenuePerGpuParams,
    build: (s, c, p) => {
      const { from, to, by, gpu_type, ...scenario } = p;
      return buildRevenuePerGpu(s, c, { from, to, by, gpu_type, scenario });
    },
  }),
  route({
    path: '/api/v1/reconciliation',
    scope: 'admin',
    params: windowed({ by: byParam(RECONCILIATION_DIMENSIONS, ['deployment', 'hour']) }),
    build: (s, c, p) => buildReconciliation(s, c, p),
  }),
  route({
    path: '/api/v1/quotas',
    scope: 'tenant',
    params: z.object({ to: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional() }).strict(),
    build: (s, c, p, tenant) => buildTenantQuotas(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/gpu-usage',
    scope: 'admin',
    params: windowed({ by: byParam(GPU_DIMENSION_NAMES, ['node']) }),
    build: (s, c, p) => buildGpuUsage(s, c, p),
  }),
];
