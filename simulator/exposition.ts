/**
 * The simulated exporters' live `/metrics` endpoints: prom-client registries over the
 * engine's state (each metric reads it when collected, so a scrape shows the engine's
 * values of that moment), served over HTTP on loopback, one port per exporter as real
 * deployments have: a dcgm-exporter per node, a vLLM server per replica. A crashed vLLM
 * replica answers 503 until it is back.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FactoryEngine, GpuUnit, Replica } from './engine.js';
import { DCGM_FIELDS, VLLM_FIELDS, type Field, type HistogramField, type Labels } from './exporter-fields.js';
import { cumulative } from './histogram.js';

/**
 * A histogram whose buckets are the engine's (a vLLM process's own counts), rendered
 * the way prom-client renders its histograms: `_bucket{le}` cumulative with `+Inf`,
 * `_sum`, `_count`.
 */
class SnapshotHistogram<S> extends Histogram<string> {
  constructor(
    private readonly field: HistogramField<S>,
    private readonly subject: () => S,
    registry: Registry,
  ) {
    super({ name: field.name, help: field.help, labelNames: [], registers: [registry] });
  }

  /** prom-client's registry renders histograms from this (and `get()` splays it) */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: { labels: Record<string, string | number>; sharedLabels: Labels; value: number; metricName: string }[]; aggregator: 'sum' }> {
    const values: { labels: Record<string, string | number>; sharedLabels: Labels; value: number; metricName: string }[] = [];
    for (const { labels, hist } of this.field.series(this.subject())) {
      const cum = cumulative(hist);
      hist.bounds.forEach((b, i) => values.push({ labels: { ...labels, le: b }, sharedLabels: {}, value: cum[i]!, metricName: `${this.field.name}_bucket` }));
      values.push({ labels: { ...labels, le: '+Inf' }, sharedLabels: {}, value: hist.count, metricName: `${this.field.name}_bucket` });
      values.push({ labels, sharedLabels: {}, value: hist.sum, metricName: `${this.field.name}_sum` });
      values.push({ labels, sharedLabels: {}, value: hist.count, metricName: `${this.field.name}_count` });
    }
    return { name: this.field.name, help: this.field.help, type: 'histogram', values, aggregator: 'sum' };
  }
}

/** A registry whose metrics read `subject()` when collected. */
export function fieldRegistry<S>(fields: readonly Field<S>[], subject: () => S): Registry {
  const registry = new Registry();
  for (const f of fields) {
    if (f.type === 'histogram') {
      new SnapshotHistogram(f, subject, registry);
      continue;
    }
    const labelNames = [...new Set(f.series(subject()).flatMap((s) => Object.keys(s.labels)))];
    if (f.type === 'gauge') {
      new Gauge({
        name: f.name,
        help: f.help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const s of f.series(subject())) this.set(s.labels, s.value);
        },
      });
    } else {
      new Counter({
        name: f.name,
        help: f.help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const s of f.series(subject())) this.inc(s.labels, s.value);
        },
      });
    }
  }
  return registry;
}

export function dcgmRegistry(gpus: () => readonly GpuUnit[]): Registry {
  return fieldRegistry(DCGM_FIELDS, gpus);
}

export function vllmRegistry(replica: Replica): Registry {
  return fieldRegistry(VLLM_FIELDS, () => replica);
}

export interface ExporterEndpoint {
  kind: 'dcgm' | 'vllm';
  /** the scrape job: `dcgm-exporter`, or the deployment's name for its vLLM replicas */
  job: string;
  /** the node, or the replica */
  name: string;
  /** e.g. http://127.0.0.1:41234/metrics */
  url: string;
  /** host:port, as a scraper names the target */
  instance: string;
}

export interface ServedExporters {
  endpoints: ExporterEndpoint[];
  close(): Promise<void>;
}

export const DCGM_JOB = 'dcgm-exporter';

export interface ServeOptions {
  host?: string;
  /** called before each scrape is rendered: bring the engine up to now */
  beforeScrape?: () => void;
  /** while false every endpoint answers 503 (the factory is not live: a backfill is running) */
  available?: () => boolean;
}

/** Serves every exporter of the engine's factory on its own loopback port. */
export async function serveExporters(engine: FactoryEngine, opts: ServeOptions = {}): Promise<ServedExporters> {
  const host = opts.host ?? '127.0.0.1';
  const servers: Server[] = [];
  const endpoints: ExporterEndpoint[] = [];
  const serve = async (kind: ExporterEndpoint['kind'], job: string, name: string, registry: Registry, available: () => boolean) => {
    const server = createServer((req, res) => {
      if ((req.url ?? '/').split('?')[0] !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      if (opts.available && !opts.available()) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('not live yet\n');
      opts.beforeScrape?.();
      if (!available()) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('engine is restarting\n');
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    servers.push(server);
    const port = (server.address() as AddressInfo).port;
    const instance = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    endpoints.push({ kind, job, name, url: `http://${instance}/metrics`, instance });
  };
  for (const node of engine.topology.nodes) {
    const gpus = engine.gpus.filter((g) => g.node === node.name);
    await serve('dcgm', DCGM_JOB, node.name, dcgmRegistry(() => gpus), () => true);
  }
  for (const r of engine.replicas) await serve('vllm', r.deployment, r.id, vllmRegistry(r), () => r.up);
  return {
    endpoints,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
