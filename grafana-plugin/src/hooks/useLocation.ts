import { useMemo, useSyncExternalStore } from 'react';
import { locationService } from '@grafana/runtime';

const subscribe = (onChange: () => void) => locationService.getHistory().listen(onChange);
const snapshot = () => locationService.getLocation();

/**
 * The current location from Grafana's locationService (a history object in Grafana and in
 * the harness alike), re-rendering on every navigation. No router of its own: pages and
 * their URL state (time range, drill-down) work the same in Grafana 11 and 12.
 */
export function useLocation(): { pathname: string; search: Record<string, string> } {
  const loc = useSyncExternalStore(subscribe, snapshot);
  return useMemo(() => {
    const search: Record<string, string> = {};
    new URLSearchParams(loc.search).forEach((v, k) => {
      search[k] = v;
    });
    return { pathname: loc.pathname, search };
  }, [loc]);
}
