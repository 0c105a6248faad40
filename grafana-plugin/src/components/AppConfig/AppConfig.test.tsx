/**
 * The configuration page: the API URL goes to jsonData, the key to secureJsonData (only
 * when typed), through Grafana's plugin settings API; save errors are shown, not
 * swallowed; "Test" calls the API's health through the plugin route.
 */
import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { createTheme, PluginType, ThemeContext, type AppPluginMeta } from '@grafana/data';
import { setBackendSrv, type BackendSrvRequest, type FetchError, type FetchResponse } from '@grafana/runtime';
import { AppConfig, apiUrlSchema } from './AppConfig';
import { testIds } from '../testIds';
import { recordedBackend } from '../../test/recorded-backend';
import type { AppSettings } from '../../constants';

function meta(jsonData: AppSettings, keySet: boolean): AppPluginMeta<AppSettings> {
  return {
    id: 'tokenfactory-economics-app',
    name: 'Token Factory',
    type: PluginType.app,
    module: '',
    baseUrl: '',
    info: {} as AppPluginMeta['info'],
    enabled: true,
    pinned: true,
    jsonData,
    secureJsonFields: keySet ? { apiKey: true } : {},
  };
}

function ok(req: BackendSrvRequest, data: unknown): FetchResponse<unknown> {
  return { data, status: 200, statusText: 'OK', ok: true, headers: new Headers(), redirected: false, type: 'basic', url: req.url, config: req };
}

function renderConfig(m: AppPluginMeta<AppSettings>, extra: (req: BackendSrvRequest) => FetchResponse<unknown> | FetchError | undefined) {
  const backend = recordedBackend({ extra });
  setBackendSrv(backend);
  render(
    <ThemeContext.Provider value={createTheme()}>
      <AppConfig plugin={{ meta: m } as never} query={{}} />
    </ThemeContext.Provider>
  );
  return backend;
}

describe('AppConfig', () => {
  it('saves the URL in jsonData and a typed key in secureJsonData', async () => {
    const backend = renderConfig(meta({}, false), (req) => (req.url.endsWith('/settings') ? ok(req, {}) : undefined));
    fireEvent.change(screen.getByTestId(testIds.appConfig.apiUrl), { target: { value: ' http://token-factory:8080/ ' } });
    fireEvent.change(screen.getByTestId(testIds.appConfig.apiKey), { target: { value: 'the-admin-key-123456' } });
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    expect(await screen.findByTestId(testIds.appConfig.saved)).toHaveTextContent('Saved: the plugin calls http://token-factory:8080.');
    expect(backend.calls).toEqual([
      {
        method: 'POST',
        url: '/api/plugins/tokenfactory-economics-app/settings',
        accept: 'application/json',
        data: { enabled: true, pinned: true, jsonData: { apiUrl: 'http://token-factory:8080' }, secureJsonData: { apiKey: 'the-admin-key-123456' } },
      },
    ]);
  });

  it('leaves a configured key alone when none is typed', async () => {
    const backend = renderConfig(meta({ apiUrl: 'http://a:1' }, true), (req) => (req.url.endsWith('/settings') ? ok(req, {}) : undefined));
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    await screen.findByTestId(testIds.appConfig.saved);
    expect(backend.calls[0]!.data).toEqual({ enabled: true, pinned: true, jsonData: { apiUrl: 'http://a:1' } });
  });

  it('shows why saving failed, and refuses a URL that is not http(s)', async () => {
    renderConfig(meta({ apiUrl: 'http://a:1' }, true), (req) => ({ status: 403, data: { message: 'Permission denied' }, config: req }));
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    expect(await screen.findByTestId(testIds.appConfig.error)).toHaveTextContent('Could not save the settings: 403 Permission denied');
    fireEvent.change(screen.getByTestId(testIds.appConfig.apiUrl), { target: { value: 'ftp://x' } });
    expect(screen.getByText('expected an http:// or https:// URL')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
  });

  it('tests the API through the plugin route', async () => {
    const backend = renderConfig(meta({ apiUrl: 'http://a:1' }, true), (req) =>
      req.url === '/api/plugin-proxy/tokenfactory-economics-app/api/api/v1/health' ? ok(req, { status: 'ok', store: 'embedded' }) : undefined
    );
    fireEvent.click(screen.getByText('Test'));
    expect(await screen.findByTestId(testIds.appConfig.saved)).toHaveTextContent('The API answers: {"status":"ok","store":"embedded"}');
    expect(backend.calls.map((c) => c.url)).toEqual(['/api/plugin-proxy/tokenfactory-economics-app/api/api/v1/health']);
  });

  it('normalizes the URL', () => {
    expect(apiUrlSchema.parse('https://tf.example:8443/')).toBe('https://tf.example:8443');
    expect(apiUrlSchema.safeParse('not a url').success).toBe(false);
  });
});
