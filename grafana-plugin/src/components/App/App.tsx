import React, { Suspense, lazy } from 'react';
import type { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { PLUGIN_BASE_URL, ROUTES, type RouteName } from '../../constants';
import { useLocation } from '../../hooks/useLocation';

const PAGES: Record<RouteName, React.LazyExoticComponent<React.ComponentType>> = {
  revenue: lazy(() => import('../../pages/RevenuePage')),
  unitEconomics: lazy(() => import('../../pages/UnitEconomicsPage')),
  workflows: lazy(() => import('../../pages/WorkflowsPage')),
  tenants: lazy(() => import('../../pages/TenantsPage')),
  slos: lazy(() => import('../../pages/SlosPage')),
  executive: lazy(() => import('../../pages/ExecutivePage')),
};

/** The page of a path `…/a/<plugin id>/<route>`; anything else → revenue per GPU. */
export function routeOf(pathname: string): RouteName {
  const i = pathname.indexOf(PLUGIN_BASE_URL);
  const segment = i < 0 ? '' : pathname.slice(i + PLUGIN_BASE_URL.length).split('/').filter(Boolean)[0] ?? '';
  const found = (Object.keys(ROUTES) as RouteName[]).find((r) => ROUTES[r] === segment);
  return found ?? 'revenue';
}

export function App(_props: AppRootProps) {
  const { pathname } = useLocation();
  const Page = PAGES[routeOf(pathname)];
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading page…" />}>
      <Page />
    </Suspense>
  );
}

export default App;
