/**
 * Every KPI query over HTTP: `GET /api/v1/<kpi>?by=&from=&to=…` → KPIS.md's
 * `{ window, rows }` as JSON, or an Apache Arrow IPC stream of the rows for
 * `Accept: application/vnd.apache.arrow.stream` where the KPI has a built query.
 *
 * Scope: a KPI whose rows belong to tenants (`tenant`) answers a tenant-scoped key
 * with that tenant's rows only (the query is filtered in SQL, whatever `by` says); a KPI
 * of the fleet (`admin`: GPU cost, server histograms, revenue per GPU, metering) has no
 * tenant rows to give and answers tenant keys 403.
 */
import { z } from 'zod';
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { REQUEST_DIMENSION_NAMES, type KpiResult } from '../kpi/unit-economics.js';
import { buildServerLatency, serverLatency, type KpiSql } from '../kpi/server-latency.js';
import { buildGoodput, buildSlo, goodput, slo } from '../kpi/slo.js';
import { buildWorkflowKpis, buildWorkflowList, buildWorkflowRequests, WORKFLOW_DIMENSION_NAMES, workflowKpis, workflowList, workflowRequests } from '../kpi/workflows.js';
import { buildRevenuePerGpu, REVENUE_PER_GPU_DIMENSIONS, revenuePerGpu, revenueScenarioSchema } from '../kpi/revenue-per-gpu.js';
import { buildReconciliation, meteringReconciliation, RECONCILIATION_DIMENSIONS } from '../kpi/reconciliation.js';
import { buildTenantQuotas, tenantQuotas } from '../kpi/quotas.js';
import { buildGpuUsage, GPU_DIMENSION_NAMES, gpuUsage } from '../kpi/gpu-usage.js';
import { buildCostTotalsAuto, buildRevenueMarginAuto, buildUnitEconomicsAuto, costTotalsAuto, revenueMarginAuto, unitEconomicsAuto } from '../rollups/index.js';
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

export interface BoundKpi {
  json(): Promise<KpiResult<unknown>>;
  /** the query behind the JSON, for Arrow; absent → the KPI answers JSON only (406 for Arrow) */
  build?: () => Promise<KpiSql>;
}

export interface KpiRoute {
  path: string;
  scope: KpiScope;
  /**
   * Validates the query string (400 listing every bad parameter) and binds the KPI to
   * it. `tenant`: the caller's tenant for tenant-scoped keys, undefined for admin keys.
   */
  bind(query: unknown, store: Store, config: Config, tenant: string | undefined): BoundKpi;
}

interface RouteDef<P> {
  path: string;
  scope: KpiScope;
  params: z.ZodType<P>;
  json(store: Store, config: Config, p: P, tenant: string | undefined): Promise<KpiResult<unknown>>;
  build?(store: Store, config: Config, p: P, tenant: string | undefined): Promise<KpiSql>;
}

function route<P>(def: RouteDef<P>): KpiRoute {
  return {
    path: def.path,
    scope: def.scope,
    bind(query, store, config, tenant) {
      const p = parseParams(def.params, query);
      const build = def.build;
      return {
        json: () => def.json(store, config, p, tenant),
        ...(build ? { build: () => build(store, config, p, tenant) } : {}),
      };
    },
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
    json: (s, c, p, tenant) => unitEconomicsAuto(s, c, { ...p, tenant }),
    build: (s, c, p, tenant) => buildUnitEconomicsAuto(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/cost-totals',
    scope: 'admin',
    params: costTotalsParams,
    json: (s, c, p) => costTotalsAuto(s, c, p),
    build: (s, c, p) => buildCostTotalsAuto(s, c, p),
  }),
  route({
    path: '/api/v1/slo',
    scope: 'tenant',
    params: sloParams,
    json: (s, c, p, tenant) => slo(s, c, { ...p, tenant }),
    build: (s, c, p, tenant) => buildSlo(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/goodput',
    scope: 'tenant',
    params: goodputParams,
    json: (s, c, p, tenant) => goodput(s, c, { ...p, tenant }),
    build: (s, c, p, tenant) => buildGoodput(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/server-latency',
    scope: 'admin',
    params: serverLatencyParams,
    json: (s, c, p) => serverLatency(s, c, p),
    build: (s, c, p) => buildServerLatency(s, c, p),
  }),
  route({
    path: '/api/v1/workflows',
    scope: 'tenant',
    params: windowed({ by: byParam(WORKFLOW_DIMENSION_NAMES, ['workflow']) }),
    json: (s, c, p, tenant) => workflowKpis(s, c, { ...p, tenant }),
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
    json: (s, c, p, tenant) => workflowList(s, c, { ...p, tenant }),
    build: (s, c, p, tenant) => buildWorkflowList(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/workflows/requests',
    scope: 'tenant',
    params: windowed({ workflow_id: z.string().min(1) }),
    json: (s, c, p, tenant) => workflowRequests(s, c, { ...p, tenant }),
    build: (s, c, p, tenant) => buildWorkflowRequests(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/revenue',
    scope: 'tenant',
    params: windowed({ by: byParam(REQUEST_DIMENSION_NAMES, ['model']) }),
    json: (s, c, p, tenant) => revenueMarginAuto(s, c, { ...p, tenant }),
    build: (s, c, p, tenant) => buildRevenueMarginAuto(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/revenue-per-gpu',
    scope: 'admin',
    params: revenuePerGpuParams,
    json: (s, c, p) => {
      const { from, to, by, gpu_type, ...scenario } = p;
      return revenuePerGpu(s, c, { from, to, by, gpu_type, scenario });
    },
    build: (s, c, p) => {
      const { from, to, by, gpu_type, ...scenario } = p;
      return buildRevenuePerGpu(s, c, { from, to, by, gpu_type, scenario });
    },
  }),
  route({
    path: '/api/v1/reconciliation',
    scope: 'admin',
    params: windowed({ by: byParam(RECONCILIATION_DIMENSIONS, ['deployment', 'hour']) }),
    json: (s, c, p) => meteringReconciliation(s, c, p),
    build: (s, c, p) => buildReconciliation(s, c, p),
  }),
  route({
    path: '/api/v1/quotas',
    scope: 'tenant',
    params: z.object({ to: z.iso.datetime({ offset: true }).transform((v) => new Date(v)).optional() }).strict(),
    json: (s, c, p, tenant) => tenantQuotas(s, c, { ...p, tenant }),
    build: (s, c, p, tenant) => buildTenantQuotas(s, c, { ...p, tenant }),
  }),
  route({
    path: '/api/v1/gpu-usage',
    scope: 'admin',
    params: windowed({ by: byParam(GPU_DIMENSION_NAMES, ['node']) }),
    json: (s, c, p) => gpuUsage(s, c, p),
    build: (s, c, p) => buildGpuUsage(s, c, p),
  }),
];
