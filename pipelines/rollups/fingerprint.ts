/**
 * The config fingerprint stored with every rollup hour. A rollup row is a function of
 * the facts of its hour and of everything that is bound into the attribution and
 * revenue SQL: the inventory (GPU → deployment, request → deployment), the cost model,
 * token weights, the sample gap, the price book and bill_errors — and of that SQL text
 * itself. An hour computed under another fingerprint is stale: settling recomputes it,
 * reading takes it from the raw facts until then.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../../core/config/schema.js';
import { inventoryParams } from '../kpi/inventory.js';
import { DEPLOYMENT_HOURLY_CTE, GPU_HOURLY_CTES } from '../kpi/sql/gpu-hours.js';
import { REQUEST_COST_CTES } from '../kpi/sql/request-cost.js';
import { priceParams, REQUEST_REVENUE_CTE } from '../kpi/sql/request-revenue.js';
import { DEPLOYMENT_ROLLUP_SELECT, REQUEST_MEASURES } from './rollup-sql.js';

/** Bump when the meaning of a stored rollup column changes without its SQL text changing. */
const ROLLUP_FORMAT = 1;

export function rollupFingerprint(config: Config): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ format: ROLLUP_FORMAT, inventory: inventoryParams(config), prices: priceParams(config) }));
  for (const sql of [GPU_HOURLY_CTES, DEPLOYMENT_HOURLY_CTE, REQUEST_COST_CTES, REQUEST_REVENUE_CTE, DEPLOYMENT_ROLLUP_SELECT]) h.update(sql);
  for (const m of REQUEST_MEASURES) h.update(`${m.name}=${m.fromFacts}`);
  return h.digest('hex').slice(0, 32);
}

/** How many hours on each side of a GPU sample its coverage can reach: ⌈max_sample_gap_s / 3600⌉. */
export function gapHours(config: Config): number {
  return Math.max(1, Math.ceil(config.attribution.max_sample_gap_s / 3600));
}
