import React from 'react';
import { render } from '@testing-library/react';
import { createTheme, ThemeContext, type AppRootProps } from '@grafana/data';
import { locationService, setBackendSrv } from '@grafana/runtime';
import { App } from '../components/App/App';
import { resetFormatMemory } from '../api/client';
import { PLUGIN_BASE_URL } from '../constants';
import { recordedBackend, type RecordedBackend } from './recorded-backend';

/** The factory fixture's window, 2026-11-23 10:00–13:00 UTC, as the time picker puts it in the URL. */
export const FIXTURE_RANGE = 'from=1795428000000&to=1795438800000';
/** A day earlier: no data. */
export const EMPTY_RANGE = 'from=1795341600000&to=1795352400000';

/** Renders the plugin's root page at `…/a/<id>/<route>?<search>` against recorded API answers. */
export function renderApp(route: string, search: string, backend: RecordedBackend = recordedBackend()) {
  setBackendSrv(backend);
  resetFormatMemory();
  locationService.push(`${PLUGIN_BASE_URL}/${route}?${search}`);
  const utils = render(
    <ThemeContext.Provider value={createTheme()}>
      <App {...({} as AppRootProps)} />
    </ThemeContext.Provider>
  );
  return { ...utils, backend };
}
