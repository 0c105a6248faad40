/**
 * Diurnal and weekly demand of a tenant: a smooth daily curve in the tenant's local
 * time, lowest at 03:00 and highest at 15:00, never below `night_floor` of the peak;
 * Saturdays and Sundays (local) scaled by `weekend_factor`.
 *
 *     factor(t) = floor + (1 − floor) × ((1 − cos(2π (h − 3) / 24)) / 2)^1.5,  h = local hour
 */
import type { TenantSpec } from './topology.js';

const HOUR_MS = 3_600_000;

export function demandFactor(tenant: Pick<TenantSpec, 'utc_offset_h' | 'night_floor' | 'weekend_factor'>, tMs: number): number {
  const localMs = tMs + tenant.utc_offset_h * HOUR_MS;
  const h = (((localMs / HOUR_MS) % 24) + 24) % 24;
  const day = new Date(localMs).getUTCDay();
  const curve = ((1 - Math.cos((2 * Math.PI * (h - 3)) / 24)) / 2) ** 1.5;
  const f = tenant.night_floor + (1 - tenant.night_floor) * curve;
  return day === 0 || day === 6 ? f * tenant.weekend_factor : f;
}
