/** The queries of the generated dashboards, flattened: one entry per panel target or query variable. */
import { DASHBOARDS, finalizeDashboard } from '../../dashboards/index.js';

export interface Target {
  dashboard: string;
  panel: string;
  /** data source uid of the panel (or variable) */
  datasource: string | undefined;
  /** data source uid of the target itself */
  targetDatasource: string | undefined;
  expr?: string;
  rawSql?: string;
  queryType?: string;
  format?: number;
  legend?: string;
}

type Json = Record<string, unknown>;

export function dashboardObjects(): [string, Json][] {
  return Object.entries(DASHBOARDS).map(([name, build]) => [name, JSON.parse(JSON.stringify(finalizeDashboard(build()))) as Json]);
}

export function allTargets(): Target[] {
  const out: Target[] = [];
  for (const [name, d] of dashboardObjects()) {
    for (const p of (d.panels as Json[]) ?? []) {
      if (p.type === 'row') continue;
      const panelDs = (p.datasource as Json | undefined)?.uid as string | undefined;
      for (const t of (p.targets as Json[]) ?? []) {
        out.push({
          dashboard: name,
          panel: String(p.title),
          datasource: panelDs,
          targetDatasource: (t.datasource as Json | undefined)?.uid as string | undefined,
          ...(typeof t.expr === 'string' ? { expr: t.expr } : {}),
          ...(typeof t.rawSql === 'string' ? { rawSql: t.rawSql, queryType: t.queryType as string, format: t.format as number } : {}),
          ...(typeof t.legendFormat === 'string' ? { legend: t.legendFormat } : {}),
        });
      }
    }
    for (const v of (((d.templating as Json).list as Json[]) ?? [])) {
      const q = v.query as Json | string | undefined;
      const uid = (v.datasource as Json | undefined)?.uid as string | undefined;
      if (q && typeof q === 'object' && typeof q.rawSql === 'string') {
        out.push({ dashboard: name, panel: `variable ${String(v.name)}`, datasource: uid, targetDatasource: uid, rawSql: q.rawSql });
      } else if (typeof q === 'string') {
        out.push({ dashboard: name, panel: `variable ${String(v.name)}`, datasource: uid, targetDatasource: uid, expr: q });
      }
    }
  }
  return out;
}
