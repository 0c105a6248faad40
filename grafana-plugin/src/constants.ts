import pluginJson from './plugin.json';

export const PLUGIN_ID: string = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;

/**
 * Every call to the token-factory API goes through the plugin route `api` of plugin.json:
 * Grafana's backend proxies `/api/plugin-proxy/<id>/api/…` to `jsonData.apiUrl`, adding
 * `Authorization: Bearer <secureJsonData.apiKey>`. The browser never sees the key.
 */
export const API_PROXY_BASE = `/api/plugin-proxy/${PLUGIN_ID}/api`;

/** Page routes below PLUGIN_BASE_URL; the order is the order of the tabs. */
export const ROUTES = {
  revenue: 'revenue',
  unitEconomics: 'unit-economics',
  workflows: 'workflows',
  tenants: 'tenants',
  slos: 'slos',
  executive: 'executive',
} as const;
export type RouteName = keyof typeof ROUTES;

export const PAGE_TITLES: Record<RouteName, string> = {
  revenue: 'Revenue per GPU',
  unitEconomics: 'Unit economics',
  workflows: 'Workflows',
  tenants: 'Tenants',
  slos: 'SLOs',
  executive: 'Executive report',
};

/** Jsondata of the plugin (plugin settings); the API key is in secureJsonData only. */
export interface AppSettings {
  apiUrl?: string;
}
