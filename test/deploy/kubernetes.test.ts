/**
 * The Kubernetes manifests (deploy/kubernetes/): every resource validates against its
 * schema (kubernetes-models for the core kinds, @kubernetes-models/prometheus-operator for
 * ServiceMonitor and PrometheusRule, a zod schema of the fields used for the Altinity
 * operator's ClickHouseInstallation), and the pieces fit together: kustomization lists
 * every file, Services select Deployments and name their ports, every Secret reference
 * exists, the CLI arguments are real options of the real commands, the config in the
 * Secret passes the real config loader and points at the ClickHouse the operator
 * manifest creates, with its cluster name. What only a cluster adds: scheduling, the CRDs
 * being installed, DNS, the operator's reconciliation, GPUs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { Command } from 'commander';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { parseConfigText } from '../../core/config/load.js';
import { registerCollect } from '../../cli/commands/collect.js';
import { registerServe } from '../../cli/commands/serve.js';
import { registerMigrate } from '../../cli/commands/migrate.js';
import { repoFile } from '../dashboards/metric-names.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are walked structurally; their schemas are checked by the models
type Doc = Record<string, any>;
interface Manifest {
  file: string;
  doc: Doc;
}

const ROOT = repoFile('deploy/kubernetes');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

const manifests: Manifest[] = yamlFiles(ROOT)
  .filter((f) => !f.endsWith('kustomization.yaml'))
  .flatMap((f) => load(f).map((doc) => ({ file: relative(ROOT, f), doc })));
const of = (kind: string) => manifests.filter((m) => m.doc.kind === kind);
const named = (kind: string, name: string, namespace = 'token-factory') => {
  const m = of(kind).find((x) => x.doc.metadata.name === name && (x.doc.metadata.namespace ?? namespace) === namespace);
  if (!m) throw new Error(`no ${kind} ${name}`);
  return m.doc;
};

/** The zod schema of the Altinity operator's resources, as far as these manifests use them. */
const volumeClaimTemplates = z.array(z.object({ name: z.string(), spec: z.object({ accessModes: z.array(z.string()), resources: z.object({ requests: z.object({ storage: z.string() }) }) }) }));
const chiSchema = z.object({
  apiVersion: z.literal('clickhouse.altinity.com/v1'),
  kind: z.literal('ClickHouseInstallation'),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9-]+$/), namespace: z.string() }),
  spec: z.object({
    configuration: z.object({
      zookeeper: z.object({ nodes: z.array(z.object({ host: z.string(), port: z.number().int() })).min(1) }),
      users: z.record(z.string().regex(/^\w+\/[\w/]+$/), z.unknown()),
      clusters: z.array(z.object({ name: z.string(), layout: z.object({ shardsCount: z.number().int().positive(), replicasCount: z.number().int().positive() }) })).min(1),
    }),
    defaults: z.object({ templates: z.object({ podTemplate: z.string(), dataVolumeClaimTemplate: z.string() }) }),
    templates: z.object({
      podTemplates: z.array(z.object({ name: z.string(), spec: z.object({ containers: z.array(z.object({ name: z.string(), image: z.string() })) }) })),
      volumeClaimTemplates,
    }),
  }),
});
const chkSchema = z.object({
  apiVersion: z.literal('clickhouse-keeper.altinity.com/v1'),
  kind: z.literal('ClickHouseKeeperInstallation'),
  metadata: z.object({ name: z.string(), namespace: z.string() }),
  spec: z.object({
    configuration: z.object({ clusters: z.array(z.object({ name: z.string(), layout: z.object({ replicasCount: z.number().int().positive() }) })) }),
    defaults: z.object({ templates: z.object({ dataVolumeClaimTemplate: z.string() }) }),
    templates: z.object({ volumeClaimTemplates }),
  }),
});

const MODELS: Record<string, (d: Doc) => { validate(): void }> = {
  'v1/Namespace': (d) => new Namespace(d),
  'v1/Secret': (d) => new Secret(d),
  'v1/ConfigMap': (d) => new ConfigMap(d),
  'v1/Service': (d) => new Service(d),
  'apps/v1/Deployment': (d) => new Deployment(d),
  'batch/v1/Job': (d) => new Job(d),
  'networking.k8s.io/v1/NetworkPolicy': (d) => new NetworkPolicy(d),
  'monitoring.coreos.com/v1/ServiceMonitor': (d) => new ServiceMonitor(d as ConstructorParameters<typeof ServiceMonitor>[0]),
  'monitoring.coreos.com/v1/PrometheusRule': (d) => new PrometheusRule(d as ConstructorParameters<typeof PrometheusRule>[0]),
  'clickhouse.altinity.com/v1/ClickHouseInstallation': (d) => ({ validate: () => void chiSchema.parse(d) }),
  'clickhouse-keeper.altinity.com/v1/ClickHouseKeeperInstallation': (d) => ({ validate: () => void chkSchema.parse(d) }),
};

describe('schemas', () => {
  it.each(manifests.map((m) => [`${m.file}: ${m.doc.kind} ${m.doc.metadata?.name}`, m] as const))('%s', (_name, m) => {
    const model = MODELS[`${m.doc.apiVersion}/${m.doc.kind}`];
    expect(model, `no schema for ${m.doc.apiVersion} ${m.doc.kind}`).toBeDefined();
    model!(m.doc).validate();
  });

  it('the validation rejects what Kubernetes would', () => {
    const d = structuredClone(named('Deployment', 'token-factory-api'));
    d.spec.replicas = 'two';
    expect(() => new Deployment(d).validate()).toThrow();
    const sm = structuredClone(named('ServiceMonitor', 'token-factory-api'));
    sm.spec.endpoints[0].interval = 30;
    expect(() => new ServiceMonitor(sm as ConstructorParameters<typeof ServiceMonitor>[0]).validate()).toThrow();
    const chi = structuredClone(named('ClickHouseInstallation', 'token-factory', 'clickhouse'));
    delete chi.spec.configuration.clusters;
    expect(() => chiSchema.parse(chi)).toThrow();
  });
});

describe('the pieces fit', () => {
  it('kustomization lists every manifest of its folder, and the image it renames is the one the pods use', () => {
    const k = load(join(ROOT, 'kustomization.yaml'))[0]!;
    const files = yamlFiles(ROOT)
      .map((f) => relative(ROOT, f))
      .filter((f) => !f.endsWith('kustomization.yaml') && !f.startsWith('clickhouse/'));
    expect([...k.resources].sort()).toEqual(files.sort());
    const images = manifests.flatMap((m) => (m.doc.spec?.template?.spec?.containers ?? []).map((c: Doc) => c.image as string));
    expect(new Set(images)).toEqual(new Set([k.images[0].name]));
    const ch = load(join(ROOT, 'clickhouse/kustomization.yaml'))[0]!;
    expect([...ch.resources].sort()).toEqual(yamlFiles(join(ROOT, 'clickhouse')).map((f) => relative(join(ROOT, 'clickhouse'), f)).filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('every token-factory resource is in the token-factory namespace', () => {
    for (const m of manifests.filter((x) => !x.file.startsWith('clickhouse/') && x.doc.kind !== 'Namespace')) expect(m.doc.metadata.namespace, m.file).toBe('token-factory');
  });

  it('Services select a Deployment and name its ports; probes use declared ports', () => {
    for (const { doc: svc } of of('Service')) {
      const deps = of('Deployment').filter((d) => Object.entries(svc.spec.selector).every(([k, v]) => d.doc.spec.template.metadata.labels[k] === v));
      expect(deps, svc.metadata.name).toHaveLength(1);
      const ports = deps[0]!.doc.spec.template.spec.containers.flatMap((c: Doc) => c.ports.map((p: Doc) => p.name));
      for (const p of svc.spec.ports) expect(ports, `${svc.metadata.name}: ${p.targetPort}`).toContain(p.targetPort);
    }
    for (const { doc: dep } of of('Deployment')) {
      expect(dep.spec.selector.matchLabels).toEqual(dep.spec.template.metadata.labels);
      for (const c of dep.spec.template.spec.containers) {
        const ports = c.ports.map((p: Doc) => p.name);
        for (const probe of [c.readinessProbe, c.livenessProbe]) expect(ports, dep.metadata.name).toContain(probe.httpGet.port);
      }
    }
  });

  it('ServiceMonitors select a Service by a port it has; the API one authenticates with a real key', () => {
    for (const { doc: sm } of of('ServiceMonitor')) {
      const svcs = of('Service').filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.doc.metadata.labels?.[k] === v));
      expect(svcs, sm.metadata.name).toHaveLength(1);
      for (const e of sm.spec.endpoints) expect(svcs[0]!.doc.spec.ports.map((p: Doc) => p.name)).toContain(e.port);
    }
    const cred = named('ServiceMonitor', 'token-factory-api').spec.endpoints[0].authorization.credentials;
    const key = named('Secret', cred.name).stringData[cred.key];
    const config = parseConfigText(named('Secret', 'token-factory-config').stringData['config.yaml'], 'config.yaml');
    expect(config.api.keys.filter((k) => k.tenant === undefined).map((k) => k.key)).toContain(key);
  });

  it('every Secret and ConfigMap a pod reads exists, with the keys it reads', () => {
    for (const m of [...of('Deployment'), ...of('Job')]) {
      const spec = m.doc.spec.template.spec;
      for (const v of spec.volumes ?? []) if (v.secret) expect(() => named('Secret', v.secret.secretName)).not.toThrow();
      for (const c of spec.containers) {
        for (const e of c.envFrom ?? []) expect(() => named('ConfigMap', e.configMapRef.name)).not.toThrow();
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) expect(Object.keys(named('Secret', ref.name).stringData), `${m.doc.metadata.name}: ${e.name}`).toContain(ref.key);
        }
      }
    }
  });

  it('the containers run real commands with real options', () => {
    const program = new Command().exitOverride();
    registerCollect(program);
    registerServe(program);
    registerMigrate(program);
    for (const m of [...of('Deployment'), ...of('Job')]) {
      for (const c of m.doc.spec.template.spec.containers) {
        const [command, ...args] = c.args as string[];
        const cmd = program.commands.find((x) => x.name() === command);
        expect(cmd, `${m.doc.metadata.name}: ${command}`).toBeDefined();
        const longs = cmd!.options.map((o) => o.long);
        for (const a of args.filter((x) => x.startsWith('--'))) expect(longs, `${m.doc.metadata.name}: ${a}`).toContain(a);
      }
    }
  });

  it('the config passes the real loader and points at the operator\'s ClickHouse cluster', () => {
    const text = named('Secret', 'token-factory-config').stringData['config.yaml'] as string;
    const creds = named('Secret', 'clickhouse-credentials').stringData;
    // as the pods see it: ConfigMap + Secret environment replace the file's store section
    const env = { ...named('ConfigMap', 'token-factory-clickhouse').data, CLICKHOUSE_USER: creds.user, CLICKHOUSE_PASSWORD: creds.password };
    const config = parseConfigText(text, 'config.yaml', env);
    expect(parseConfigText(text, 'config.yaml').store).toEqual({ ...config.store, password: '' });
    const chi = named('ClickHouseInstallation', 'token-factory', 'clickhouse');
    expect(config.store.kind).toBe('server');
    if (config.store.kind !== 'server') return;
    // the operator's service: clickhouse-<installation>.<namespace>.svc, HTTP on 8123
    expect(config.store.url).toBe(`http://clickhouse-${chi.metadata.name}.${chi.metadata.namespace}.svc:8123`);
    expect(config.store.cluster).toBe('tf');
    expect(chi.spec.configuration.clusters.map((c: Doc) => c.name)).toContain(config.store.cluster);
    expect(Object.keys(chi.spec.configuration.users)).toContain(`${config.store.user}/k8s_secret_password`);
    // the keeper the installation points at is the keeper installation's service
    const chk = named('ClickHouseKeeperInstallation', chi.metadata.name, 'clickhouse');
    expect(chi.spec.configuration.zookeeper.nodes[0].host).toBe(`keeper-${chk.metadata.name}.${chk.metadata.namespace}.svc`);
    const [secretNs, secretName, secretKey] = String(chi.spec.configuration.users[`${config.store.user}/k8s_secret_password`]).split('/');
    const secret = named('Secret', secretName!, secretNs);
    expect(Object.keys(secret.stringData)).toContain(secretKey);
    expect(secret.stringData[secretKey!]).toBe(creds.password);
  });

  it('the generated dashboards ConfigMap is labelled for Grafana\'s sidecar and the PrometheusRule for the operator', () => {
    expect(named('ConfigMap', 'token-factory-dashboards').metadata.labels.grafana_dashboard).toBe('1');
    expect(Object.keys(named('ConfigMap', 'token-factory-dashboards').data).sort()).toEqual(['token-factory-capacity.json', 'token-factory-finance.json', 'token-factory-sre.json']);
    expect(named('PrometheusRule', 'token-factory').metadata.labels.release).toBe(named('ServiceMonitor', 'token-factory-api').metadata.labels.release);
  });
});
