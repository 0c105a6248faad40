import { useEffect, useState } from 'react';
import { fetchKpi, type KpiFrame, type KpiParams, type KpiPath } from '../api/client';

export type KpiState =
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'done'; result: KpiFrame };

const LOADING: KpiState = { status: 'loading' };

/**
 * One KPI query, re-run when its path or params change (`skip`: not yet, e.g. no workflow
 * picked). An answer counts only for the query it answers: while a newer query is in
 * flight the state is loading, never the previous query's figures.
 */
export function useKpi(path: KpiPath, params: KpiParams, skip = false): KpiState {
  const key = `${path}?${JSON.stringify(params, Object.keys(params).sort())}`;
  const [answer, setAnswer] = useState<{ key: string; state: KpiState }>();
  useEffect(() => {
    if (skip) {
      return;
    }
    let current = true;
    fetchKpi(path, params).then(
      (result) => current && setAnswer({ key, state: { status: 'done', result } }),
      (error: unknown) => current && setAnswer({ key, state: { status: 'error', error: error instanceof Error ? error : new Error(String(error)) } })
    );
    return () => {
      current = false;
    };
    // `key` covers path and params
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, skip]);
  return answer && answer.key === key ? answer.state : LOADING;
}
