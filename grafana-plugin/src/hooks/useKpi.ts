import { useEffect, useState } from 'react';
import { fetchKpi, type KpiFrame, type KpiParams, type KpiPath } from '../api/client';

export type KpiState =
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'done'; result: KpiFrame };

/**
 * One KPI query, re-run when its path or params change (`skip`: not yet, e.g. no workflow
 * picked). A newer query supersedes an older one still in flight.
 */
export function useKpi(path: KpiPath, params: KpiParams, skip = false): KpiState {
  const key = `${path}?${JSON.stringify(params, Object.keys(params).sort())}`;
  const [state, setState] = useState<KpiState>({ status: 'loading' });
  useEffect(() => {
    if (skip) {
      return;
    }
    let current = true;
    setState({ status: 'loading' });
    fetchKpi(path, params).then(
      (result) => current && setState({ status: 'done', result }),
      (error: unknown) => current && setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) })
    );
    return () => {
      current = false;
    };
    // `key` covers path and params
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, skip]);
  return state;
}
