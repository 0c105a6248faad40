/**
 * plugin.json against Grafana's plugin schema (tests/plugin-json.schema.json), the source
 * and — when built — the one in dist/ that Grafana reads; and the wiring the pages rely
 * on: one include per page route, and the API route that injects the key.
 */
import { existsSync, readFileSync } from 'fs';
import path from 'path';
import Ajv from 'ajv';
import { PAGE_TITLES, PLUGIN_BASE_URL, ROUTES } from './constants';

const root = path.resolve(__dirname, '..');
const schema = JSON.parse(readFileSync(path.join(root, 'tests', 'plugin-json.schema.json'), 'utf8'));
const source = JSON.parse(readFileSync(path.join(__dirname, 'plugin.json'), 'utf8'));

function validate(json: unknown): string[] {
  // unicodeRegExp off: Grafana's patterns escape '-' (`\-`), which the u flag rejects.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
  const ok = ajv.validate(schema, json);
  return ok ? [] : (ajv.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

describe('plugin.json', () => {
  it('is valid against the plugin schema (source)', () => {
    expect(validate(source)).toEqual([]);
  });

  const dist = path.join(root, 'dist', 'plugin.json');
  (existsSync(dist) ? it : it.skip)('is valid against the plugin schema (dist, as Grafana loads it)', () => {
    const built = JSON.parse(readFileSync(dist, 'utf8'));
    expect(validate(built)).toEqual([]);
    expect(built.info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(built.includes.map((i: { path: string }) => i.path)).toContain(`${PLUGIN_BASE_URL}/revenue`);
  });

  it('the schema catches what Grafana would refuse', () => {
    expect(validate({ ...source, id: 'Token Factory' })).toEqual([expect.stringMatching(/^\/id must match pattern/)]);
    expect(validate({ ...source, typo: true })).toEqual(['/ must NOT have additional properties']);
    expect(validate({ ...source, dependencies: {} })).toEqual(["/dependencies must have required property 'grafanaDependency'"]);
  });

  it('is an app for Grafana 11 and later, with a nav page per page of the app', () => {
    expect(source.type).toBe('app');
    expect(source.dependencies.grafanaDependency).toBe('>=11.0.0');
    const pages = source.includes.filter((i: { type: string; path: string }) => i.type === 'page' && i.path.startsWith('/a/'));
    expect(pages.map((p: { path: string; name: string }) => [p.path.replace('/a/%PLUGIN_ID%/', ''), p.name])).toEqual(
      Object.entries(ROUTES).map(([k, v]) => [v, PAGE_TITLES[k as keyof typeof ROUTES]])
    );
  });

  it('routes the API through Grafana with the URL from jsonData and the key from secureJsonData', () => {
    expect(source.routes).toEqual([
      { path: 'api', url: '{{ .JsonData.apiUrl }}', headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.apiKey }}' }] },
    ]);
  });
});
