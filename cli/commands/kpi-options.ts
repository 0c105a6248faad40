/**
 * Options shared by the KPI commands (slo, latency, quotas, reconciliation): validated
 * with zod once, errors naming the flag; and the call that runs a KPI through the API of
 * the process holding the embedded store, else on the store itself.
 */
import { z } from 'zod';
import type { LoadedConfig } from '../../core/config/load.js';
import type { Store } from '../../core/store/open-store.js';
import type { KpiResult } from '../../pipelines/kpi/unit-economics.js';
import { getFromApi, holderApi, withStore } from '../context.js';
import { FORMATS } from '../output.js';
import { optionsError } from './workflows.js';

export const isoTime = z.iso
  .datetime({ offset: true, message: 'expected an ISO 8601 time such as 2026-11-25T00:00:00Z' })
  .transform((s) => new Date(s));

export const formatOption = z.enum(FORMATS).default('table');

/** `--by a,b` → the dimension names, each one of `names`; `--by ''` → ungrouped. */
export function byOption<D extends string>(names: readonly D[], byDefault: string) {
  return z
    .string()
    .default(byDefault)
    .transform((s) => s.split(',').map((d) => d.trim()).filter(Boolean))
    .pipe(z.array(z.enum(names as [D, ...D[]])));
}

/** Commander's options through a schema; a bad one → BadRequestError naming the flags. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw optionsError(parsed.error);
  return parsed.data;
}

/** Query parameters for the API: dates as ISO strings, arrays comma-joined, undefined left out. */
export function apiParams(p: Record<string, Date | string[] | string | number | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(p)) {
    out[k] = v === undefined ? undefined : v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

/**
 * Runs a KPI: through the API of the process holding the embedded store (`path` with
 * `params`), else on the store opened by this command (`local`).
 */
export async function runKpi<R>(
  loaded: LoadedConfig,
  command: string,
  api: { path: string; params: Record<string, string | undefined> },
  local: (store: Store) => Promise<KpiResult<R>>,
): Promise<KpiResult<R>> {
  const holder = holderApi(loaded);
  return holder ? getFromApi<KpiResult<R>>(holder, api.path, api.params) : withStore(loaded, command, local);
}
