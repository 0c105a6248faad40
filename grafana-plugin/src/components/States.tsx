import React from 'react';
import { Alert, LoadingPlaceholder } from '@grafana/ui';
import type { KpiFrame } from '../api/client';
import type { KpiState } from '../hooks/useKpi';
import { testIds } from './testIds';

/** What the page is waiting for, in words. */
export function Loading({ what }: { what: string }) {
  return (
    <div data-testid={testIds.state.loading}>
      <LoadingPlaceholder text={`Loading ${what}…`} />
    </div>
  );
}

export function ErrorState({ what, error }: { what: string; error: Error }) {
  return (
    <div data-testid={testIds.state.error}>
      <Alert severity="error" title={`Could not load ${what}`}>
        {error.message}
      </Alert>
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <div data-testid={testIds.state.empty}>
      <Alert severity="info" title="No data">
        {children}
      </Alert>
    </div>
  );
}

/**
 * Renders a KPI query's state: loading and error say what is being loaded; a result
 * with no rows shows `empty`; otherwise `children(result)`.
 */
export function KpiView({
  state,
  what,
  empty,
  isEmpty,
  children,
}: {
  state: KpiState;
  what: string;
  empty: React.ReactNode;
  /** when a result with rows still has nothing to show (default: no rows) */
  isEmpty?: (result: KpiFrame) => boolean;
  children: (result: KpiFrame) => React.ReactNode;
}) {
  if (state.status === 'loading') {
    return <Loading what={what} />;
  }
  if (state.status === 'error') {
    return <ErrorState what={what} error={state.error} />;
  }
  if (state.result.frame.length === 0 || isEmpty?.(state.result)) {
    return <Empty>{empty}</Empty>;
  }
  return <>{children(state.result)}</>;
}
