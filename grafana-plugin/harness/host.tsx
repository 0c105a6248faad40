/**
 * The browser harness: a stand-in for the parts of Grafana's frontend that a built app
 * plugin uses, so `dist/module.js` runs in Chromium exactly as built:
 *
 * - Grafana's module loading: the plugin is an AMD module whose dependencies are the
 *   shared packages Grafana provides (react, @grafana/data, @grafana/ui,
 *   @grafana/runtime, @emotion/css, rxjs, …, and `module` for its own URL). This host
 *   bundles those packages (the same versions the plugin builds against) and answers
 *   the plugin's `define` with them; the plugin's lazy chunks load from its public path
 *   as in Grafana.
 * - `@grafana/runtime`'s services: `getBackendSrv()` is a real backend service: fetch()
 *   over HTTP to this page's server, which implements Grafana's plugin settings API and
 *   the plugin-proxy route (harness/server.cjs). `locationService` is @grafana/runtime's
 *   own, on the browser's history.
 * - The theme (ThemeContext, GlobalStyles) and the page frame: the app's root page at
 *   `/a/<plugin id>/…`, its config page at `/plugins/<plugin id>`.
 *
 * Not here (a real Grafana adds them): users, sign-in and roles; the navigation menu
 * built from plugin.json's includes; the page header and breadcrumbs of PluginPage; the
 * plugin catalogue, signature checks and provisioning; encryption of secureJsonData at
 * rest.
 */
import React from 'react';
import * as ReactAll from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as JsxRuntime from 'react/jsx-runtime';
import * as GrafanaData from '@grafana/data';
import * as GrafanaUi from '@grafana/ui';
import * as GrafanaRuntime from '@grafana/runtime';
import * as EmotionCss from '@emotion/css';
import * as EmotionReact from '@emotion/react';
import * as Rxjs from 'rxjs';
import lodash from 'lodash';
import moment from 'moment';
import { defer, from, throwError, type Observable } from 'rxjs';
import type { AppPlugin, AppPluginMeta, AppRootProps } from '@grafana/data';
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';

declare global {
  interface Window {
    define?: ((deps: string[], factory: (...args: unknown[]) => unknown) => void) & { amd?: object };
    __harness: { pluginId: string; ready: Promise<void>; errors: string[] };
  }
}

const PLUGIN_ID = document.body.dataset.pluginId!;
const PUBLIC_PATH = `/public/plugins/${PLUGIN_ID}/`;

/** What Grafana shares with plugins (its SystemJS map), by the names plugins import. */
const SHARED: Record<string, unknown> = {
  react: ReactAll,
  'react-dom': ReactDOM,
  'react/jsx-runtime': JsxRuntime,
  '@grafana/data': GrafanaData,
  '@grafana/ui': GrafanaUi,
  '@grafana/runtime': GrafanaRuntime,
  '@emotion/css': EmotionCss,
  '@emotion/react': EmotionReact,
  rxjs: Rxjs,
  lodash,
  moment,
};

/** A BackendSrv over window.fetch, with Grafana's FetchResponse / FetchError shapes. */
class HarnessBackendSrv implements BackendSrv {
  get<T>(url: string, params?: Record<string, string>): Promise<T> {
    return this.send<T>({ url, method: 'GET', params }).then((r) => r.data);
  }

  delete<T>(url: string, data?: unknown): Promise<T> {
    return this.send<T>({ url, method: 'DELETE', data }).then((r) => r.data);
  }

  post<T>(url: string, data?: unknown): Promise<T> {
    return this.send<T>({ url, method: 'POST', data }).then((r) => r.data);
  }

  patch<T>(url: string, data?: unknown): Promise<T> {
    return this.send<T>({ url, method: 'PATCH', data }).then((r) => r.data);
  }

  put<T>(url: string, data?: unknown): Promise<T> {
    return this.send<T>({ url, method: 'PUT', data }).then((r) => r.data);
  }

  request<T>(options: BackendSrvRequest): Promise<T> {
    return this.send<T>(options).then((r) => r.data);
  }

  datasourceRequest<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return this.send<T>(options);
  }

  chunked(): Observable<FetchResponse<Uint8Array | undefined>> {
    return throwError(() => new Error('chunked responses are not part of the harness'));
  }

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return defer(() => from(this.send<T>(options)));
  }

  private async send<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body: string | undefined;
    if (options.data !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.data);
    }
    const url = options.params ? `${options.url}?${new URLSearchParams(options.params).toString()}` : options.url;
    const res = await window.fetch(url, { method: options.method ?? 'GET', headers, body, credentials: 'same-origin' });
    const type = res.headers.get('content-type') ?? '';
    let data: unknown;
    if (options.responseType === 'arraybuffer') {
      data = await res.arrayBuffer();
    } else if (options.responseType === 'text') {
      data = await res.text();
    } else {
      const text = await res.text();
      data = type.includes('json') && text ? JSON.parse(text) : text;
    }
    if (!res.ok) {
      const err: FetchError = { status: res.status, statusText: res.statusText, data, config: options };
      throw err;
    }
    return {
      data: data as T,
      status: res.status,
      statusText: res.statusText,
      ok: res.ok,
      headers: res.headers,
      redirected: res.redirected,
      type: res.type,
      url: res.url,
      config: options,
    };
  }
}

/** Grafana's AMD loading of a plugin module: resolves with its exports. */
function loadPluginModule(): Promise<{ plugin: AppPlugin }> {
  const uri = `${PUBLIC_PATH}module.js`;
  return new Promise((resolve, reject) => {
    const define = (deps: string[], factory: (...args: unknown[]) => unknown) => {
      try {
        const exportsObj: Record<string, unknown> = {};
        const args = deps.map((d) => {
          if (d === 'module') {
            return { uri, id: uri };
          }
          if (d === 'exports') {
            return exportsObj;
          }
          if (!(d in SHARED)) {
            throw new Error(`the plugin imports "${d}", which Grafana does not share with plugins`);
          }
          return SHARED[d];
        });
        const result = factory(...args);
        resolve((result ?? exportsObj) as { plugin: AppPlugin });
      } catch (e) {
        reject(e);
      }
    };
    define.amd = {};
    window.define = define;
    const script = document.createElement('script');
    script.src = uri;
    script.onerror = () => reject(new Error(`could not load ${uri}`));
    document.head.appendChild(script);
  });
}

async function main() {
  GrafanaRuntime.setBackendSrv(new HarnessBackendSrv());
  const { plugin } = await loadPluginModule();
  const settings = await GrafanaRuntime.getBackendSrv().get(`/api/plugins/${PLUGIN_ID}/settings`);
  const meta = settings as AppPluginMeta;
  plugin.init(meta);
  plugin.meta = meta;
  const theme = GrafanaData.createTheme({ colors: { mode: 'dark' } });
  const path = window.location.pathname;
  let page: React.ReactNode;
  if (path.startsWith(`/plugins/${PLUGIN_ID}`)) {
    const Config = plugin.configPages?.[0]?.body;
    page = Config ? <Config plugin={plugin} query={{}} /> : <div>no config page</div>;
  } else {
    const Root = plugin.root as React.ComponentType<AppRootProps>;
    const props: AppRootProps = { meta, basename: `/a/${PLUGIN_ID}`, onNavChanged: () => undefined, query: {}, path };
    page = <Root {...props} />;
  }
  createRoot(document.getElementById('root')!).render(
    <GrafanaData.ThemeContext.Provider value={theme}>
      <GrafanaUi.GlobalStyles />
      <div style={{ padding: 16 }}>{page}</div>
    </GrafanaData.ThemeContext.Provider>
  );
}

window.__harness = {
  pluginId: PLUGIN_ID,
  errors: [],
  ready: main().catch((e: unknown) => {
    const msg = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
    window.__harness.errors.push(msg);
    document.getElementById('root')!.textContent = `harness: ${msg}`;
  }),
};
