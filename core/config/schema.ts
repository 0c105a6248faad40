/**
 * The configuration file's schema (YAML, validated with zod). Every key documents
 * its default; types are derived from the schema, never written twice. The KPI
 * vocabulary (../../KPIS.md in shared/) names the fields that feed a KPI.
 */
import { z } from 'zod';

const nonNegative = z.number().nonnegative();
const positive = z.number().positive();
const ratio = z.number().min(0).max(1);

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain identifier');

/**
 * Where the data lives: embedded ClickHouse (chDB) in this process with its data
 * directory at `path` (default ./data), or a ClickHouse server/cluster at `url`.
 * Exactly one of `path` and `url`.
 */
export const storeSchema = z
  .object({
    /** data directory of the embedded store (default ./data) */
    path: z.string().min(1).optional(),
    /** ClickHouse server over HTTP, e.g. http://clickhouse:8123 */
    url: z.url().optional(),
    user: z.string().default('default'),
    password: z.string().default(''),
    database: identifier.default('default'),
    /** cluster name: DDL becomes ON CLUSTER with ReplicatedMergeTree + Distributed tables */
    cluster: identifier.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.path !== undefined && s.url !== undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'set either store.path (embedded) or store.url (server), not both' });
    if (s.url === undefined && s.cluster !== undefined) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'a cluster needs store.url (the embedded store is one process)' });
  })
  .transform((s) =>
    s.url !== undefined
      ? { kind: 'server' as const, url: s.url, user: s.user, password: s.password, database: s.database, cluster: s.cluster }
      : { kind: 'embedded' as const, path: s.path ?? './data' },
  )
  .default({ kind: 'embedded', path: './data' });

export const attributionSchema = z
  .object({
    /** span attribute holding the tenant */
    tenant_attribute: z.string().min(1).default('tenant.id'),
    /** span attribute holding time to first token, in seconds */
    ttft_attribute: z.string().min(1).default('gen_ai.server.time_to_first_token'),
    /** cost split between input and output tokens: w_in, w_out */
    token_weights: z
      .object({ input: nonNegative.default(1), output: nonNegative.default(1) })
      .strict()
      .default({ input: 1, output: 1 }),
    /** a DCGM sample covers at most this many seconds */
    max_sample_gap_s: positive.default(300),
    /** bill errored requests */
    bill_errors: z.boolean().default(false),
    /** data older than this (seconds behind the newest) still folds into its hour */
    max_lateness_s: nonNegative.default(3 * 3600),
  })
  .strict()
  .default({
    tenant_attribute: 'tenant.id',
    ttft_attribute: 'gen_ai.server.time_to_first_token',
    token_weights: { input: 1, output: 1 },
    max_sample_gap_s: 300,
    bill_errors: false,
    max_lateness_s: 3 * 3600,
  });

export const gpuTypeSchema = z
  .object({
    /** amortised capex + fixed opex per GPU-hour, USD */
    hourly_usd: nonNegative,
    /** energy price, USD per kWh */
    kwh_usd: nonNegative.default(0),
    /** power usage effectiveness of the facility (≥ 1) */
    pue: z.number().min(1).default(1),
    /** prepaid compute-token units per GPU-hour (1 unit = one H100-equivalent GPU-hour) */
    units_per_gpu_hour: positive.default(1),
  })
  .strict();

const gpuIndex = z.number().int().nonnegative();

export const deploymentGpusSchema = z.union([
  z.object({ nodes: z.array(z.object({ node: z.string().min(1), gpus: z.array(gpuIndex).min(1) }).strict()).min(1) }).strict(),
  z.object({ pods: z.array(z.string().min(1)).min(1) }).strict(),
  z.object({ uuids: z.array(z.string().min(1)).min(1) }).strict(),
]);

export const deploymentSchema = z
  .object({
    name: z.string().min(1),
    model: z.string().min(1),
    /** matched to span attribute server.address */
    endpoints: z.array(z.string().min(1)).default([]),
    gpus: deploymentGpusSchema,
  })
  .strict();

export const priceSchema = z
  .object({ input_usd_per_mtok: nonNegative, output_usd_per_mtok: nonNegative })
  .strict();

export const tenantSchema = z
  .object({
    monthly_token_quota: positive.optional(),
    monthly_budget_usd: positive.optional(),
    /** per-model price overrides for this tenant's plan */
    prices: z.record(z.string(), priceSchema).default({}),
  })
  .strict();

export const sloSchema = z
  .object({
    model: z.string().min(1),
    endpoint: z.string().min(1).optional(),
    ttft_p95_ms: positive.optional(),
    tpot_ms: positive.optional(),
    e2e_p99_ms: positive.optional(),
    error_rate: ratio.optional(),
  })
  .strict();

export const revenueSchema = z
  .object({
    gpu_hour: z
      .object({ rate_usd_per_hour: nonNegative.default(3), rental_utilization: ratio.default(0.7) })
      .strict()
      .default({ rate_usd_per_hour: 3, rental_utilization: 0.7 }),
    taas: z
      .object({
        price_usd_per_mtok: nonNegative.default(1),
        token_active_utilization: ratio.default(0.6),
        /** per gpu_type */
        peak_tokens_per_gpu_hour: z.record(z.string(), positive).default({}),
      })
      .strict()
      .default({ price_usd_per_mtok: 1, token_active_utilization: 0.6, peak_tokens_per_gpu_hour: {} }),
    compute_tokens: z
      .object({
        tiers: z
          .array(z.object({ name: z.string().min(1), unit_price_usd: nonNegative, valid_days: positive }).strict())
          .default([]),
      })
      .strict()
      .default({ tiers: [] }),
  })
  .strict()
  .default({
    gpu_hour: { rate_usd_per_hour: 3, rental_utilization: 0.7 },
    taas: { price_usd_per_mtok: 1, token_active_utilization: 0.6, peak_tokens_per_gpu_hour: {} },
    compute_tokens: { tiers: [] },
  });

const port = z.number().int().min(0).max(65535);

export const apiKeySchema = z
  .object({
    key: z.string().min(16, 'at least 16 characters'),
    /** omit for an admin key; set to scope the key to one tenant */
    tenant: z.string().min(1).optional(),
  })
  .strict();

export const scrapeTargetSchema = z
  .object({
    job: z.string().min(1),
    url: z.url(),
    interval_s: positive.default(15),
    timeout_s: positive.default(10),
    kind: z.enum(['dcgm', 'vllm', 'nim', 'triton', 'tgi', 'sglang', 'generic']).default('generic'),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const MiB = 1024 * 1024;

/**
 * The defaults of `collect` (`collector:` in the config). The one source: the schema's
 * defaults and the modules' (SPOOL_DEFAULTS in collectors/writer/spool.ts,
 * RECEIVER_DEFAULTS in collectors/otlp/receiver.ts, DEFAULT_METRICS_PORT in
 * cli/commands/collect.ts) are read from here.
 */
export const COLLECTOR_DEFAULTS = Object.freeze({
  max_spool_bytes: 1024 * MiB,
  max_body_bytes: 16 * MiB,
  max_inflight_bytes: 256 * MiB,
  batch: Object.freeze({ max_items: 20_000, max_bytes: 16 * MiB, max_age_ms: 1000 }),
  /** the OpenTelemetry Prometheus exporter's port */
  metrics: Object.freeze({ port: 9464 }),
  stale_markers: false,
  shutdown_timeout_s: 5,
  decoder: 'receiver',
  intake_threads: 1,
} as const);

/**
 * Who renders OTLP/protobuf spans to `otel_traces` rows (`collector.decoder`):
 * - `receiver`: the receiver, as it takes a request (it walks the bytes once; the spool
 *   holds rows in ClickHouse RowBinary, which the engine loads without parsing);
 * - `engine`: ClickHouse, when the batch is written (the spool holds the sender's protobuf);
 * - `js`: the writer, in JS, when the batch is written (the spool holds the sender's protobuf).
 * bench/README.md compares them.
 */
export const COLLECTOR_DECODERS = ['receiver', 'engine', 'js'] as const;
export type CollectorDecoder = (typeof COLLECTOR_DECODERS)[number];

const positiveInt = z.number().int().positive();

/**
 * `token-factory collect`. Its flags override these keys (flag > config > default):
 * --spool-dir, --metrics-port, --[no-]stale-markers, --shutdown-timeout, --decoder.
 */
export const collectorSchema = z
  .object({
    /** spool directory (default: <store.path>/spool; a temporary one for :memory:; ./token-factory-spool with a server store) */
    spool_dir: z.string().min(1).optional(),
    /** on-disk spool size at which OTLP requests are refused with 503 (the store is behind or down); default 1 GiB */
    max_spool_bytes: positiveInt.default(COLLECTOR_DEFAULTS.max_spool_bytes),
    /** largest OTLP request body, on the wire and decompressed (over it: 413); default 16 MiB */
    max_body_bytes: positiveInt.default(COLLECTOR_DEFAULTS.max_body_bytes),
    /** memory all OTLP bodies in flight may hold together (over it: 429); at least 2 × max_body_bytes; default 256 MiB */
    max_inflight_bytes: positiveInt.default(COLLECTOR_DEFAULTS.max_inflight_bytes),
    /** a spool batch is sealed and handed to the writer at whichever limit comes first */
    batch: z
      .object({
        /** items (spans, data points); default 20 000 */
        max_items: positiveInt.default(COLLECTOR_DEFAULTS.batch.max_items),
        /** bytes; default 16 MiB */
        max_bytes: positiveInt.default(COLLECTOR_DEFAULTS.batch.max_bytes),
        /** milliseconds after its first record (when the writer is idle); default 1000 */
        max_age_ms: positiveInt.default(COLLECTOR_DEFAULTS.batch.max_age_ms),
      })
      .strict()
      .default({ ...COLLECTOR_DEFAULTS.batch }),
    /** the collector's own Prometheus /metrics */
    metrics: z
      .object({
        /** default: otlp.host */
        host: z.string().min(1).optional(),
        /** default 9464; 0 picks a free one */
        port: port.default(COLLECTOR_DEFAULTS.metrics.port),
      })
      .strict()
      .default({ port: COLLECTOR_DEFAULTS.metrics.port }),
    /** write Prometheus staleness markers for series that vanish from a scrape; default false */
    stale_markers: z.boolean().default(COLLECTOR_DEFAULTS.stale_markers),
    /** on SIGTERM, how long to keep writing what is spooled, in seconds (the rest stays spooled); default 5 */
    shutdown_timeout_s: nonNegative.default(COLLECTOR_DEFAULTS.shutdown_timeout_s),
    /** who renders OTLP/protobuf spans to rows: receiver, engine (ClickHouse) or js (see COLLECTOR_DECODERS); default receiver */
    decoder: z.enum(COLLECTOR_DECODERS).default(COLLECTOR_DEFAULTS.decoder),
    /** worker threads that decode and render OTLP bodies, so the event loop stays free to drive the writer; 0: on the event loop; default 1 */
    intake_threads: z.number().int().min(0).max(64).default(COLLECTOR_DEFAULTS.intake_threads),
  })
  .strict()
  .superRefine((c, ctx) => {
    // a body reserves its wire bytes, and a compressed one max_body_bytes more while it
    // inflates (collectors/otlp/receiver-body.ts): with less, a body within max_body_bytes
    // could never be admitted and its sender would retry the 429 forever
    if (c.max_inflight_bytes < 2 * c.max_body_bytes) {
      ctx.addIssue({ code: 'custom', path: ['max_inflight_bytes'], message: `must be at least 2 × max_body_bytes (${2 * c.max_body_bytes}): a gzip body at the limit holds its wire bytes and max_body_bytes decompressed` });
    }
  })
  .default({
    max_spool_bytes: COLLECTOR_DEFAULTS.max_spool_bytes,
    max_body_bytes: COLLECTOR_DEFAULTS.max_body_bytes,
    max_inflight_bytes: COLLECTOR_DEFAULTS.max_inflight_bytes,
    batch: { ...COLLECTOR_DEFAULTS.batch },
    metrics: { port: COLLECTOR_DEFAULTS.metrics.port },
    stale_markers: COLLECTOR_DEFAULTS.stale_markers,
    shutdown_timeout_s: COLLECTOR_DEFAULTS.shutdown_timeout_s,
    decoder: COLLECTOR_DEFAULTS.decoder,
    intake_threads: COLLECTOR_DEFAULTS.intake_threads,
  });

export const configSchema = z
  .object({
    store: storeSchema,
    attribution: attributionSchema,
    gpu_types: z.record(z.string(), gpuTypeSchema).default({}),
    deployments: z.array(deploymentSchema).default([]),
    prices: z.record(z.string(), priceSchema).default({}),
    tenants: z.record(z.string(), tenantSchema).default({}),
    slos: z.array(sloSchema).default([]),
    revenue: revenueSchema,
    /** hourly rollups that reports read: serve and collect settle them every `settle_interval_s` seconds (a positive integer; default 60) */
    rollups: z.object({ settle_interval_s: z.number().int().positive().default(60) }).strict().default({ settle_interval_s: 60 }),
    otlp: z.object({ host: z.string().default('127.0.0.1'), port: port.default(4318) }).strict().default({ host: '127.0.0.1', port: 4318 }),
    api: z
      .object({ host: z.string().default('127.0.0.1'), port: port.default(8080), keys: z.array(apiKeySchema).default([]) })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, keys: [] }),
    scrape: z.array(scrapeTargetSchema).default([]),
    collector: collectorSchema,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.deployments.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'name'], message: `duplicate deployment name "${d.name}"` });
      names.add(d.name);
    });
  });

export type Config = z.output<typeof configSchema>;
export type StoreConfig = z.output<typeof storeSchema>;
export type EmbeddedStoreConfig = Extract<StoreConfig, { kind: 'embedded' }>;
export type ServerStoreConfig = Extract<StoreConfig, { kind: 'server' }>;
export type Deployment = z.output<typeof deploymentSchema>;
export type GpuType = z.output<typeof gpuTypeSchema>;
export type ScrapeTarget = z.output<typeof scrapeTargetSchema>;
export type CollectorConfig = z.output<typeof collectorSchema>;
