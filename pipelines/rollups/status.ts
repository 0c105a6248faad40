/**
 * The state of the rollups, for `token-factory rollups status` and health checks: how
 * many hours are settled and current, how many wait for a settle and why.
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { hourStates } from './hour-state.js';

export interface RollupStatus {
  /** hours with a settled rollup */
  settled_hours: number;
  /** of the hours settled or touched by facts: those whose rollup is current */
  current_hours: number;
  /** hours touched by facts since they were settled, or never settled */
  dirty_hours: number;
  /** hours settled under another config */
  stale_config_hours: number;
  first_hour: string | null;
  last_hour: string | null;
  oldest_dirty_hour: string | null;
  last_settled_at: string | null;
}

export async function rollupStatus(store: Store, config: Config): Promise<RollupStatus> {
  const states = await hourStates(store, config);
  const iso = (s: number | undefined) => (s === undefined ? null : new Date(s * 1000).toISOString());
  const dirty = states.filter((s) => !s.clean && (s.version === 0 || s.config_current));
  const rs = await store.client.query({
    query: `SELECT if(count() = 0, '', formatDateTime(max(settled_at), '%Y-%m-%dT%H:%i:%S.%fZ')) AS last FROM rollup_hours`,
    format: 'JSONEachRow',
  });
  const [r] = await rs.json<{ last: string }>();
  return {
    settled_hours: states.filter((s) => s.version > 0).length,
    current_hours: states.filter((s) => s.clean).length,
    dirty_hours: dirty.length,
    stale_config_hours: states.filter((s) => s.version > 0 && !s.config_current).length,
    first_hour: iso(states[0]?.hour),
    last_hour: iso(states.at(-1)?.hour),
    oldest_dirty_hour: iso(dirty[0]?.hour),
    last_settled_at: r?.last ? r.last : null,
  };
}
