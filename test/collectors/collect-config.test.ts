/**
 * `collect`'s settings come from the config's `collector:` block and take effect: the
 * body limit (413), the /metrics port, the spool directory and the batch item limit; a
 * flag overrides its key (flag > config > default). On the embedded store in memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../core/config/load.js';
import { BadRequestError } from '../../core/errors.js';
import { migrate } from '../../core/schema/migrate.js';
import { openStore, type Store } from '../../core/store/open-store.js';
import { collectSettings, registerCollect, startCollector, type RunningCollector } from '../../cli/commands/collect.js';
import { encodeProtobuf, genAiTraceRequest } from '../../bench/genai-spans.js';

const MiB = 1024 * 1024;
let store: Store;
let dir: string;

/** A port nothing listens on right now (the OS picks it; closed again at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function spans(): Promise<number> {
  const rs = await store.client.query({ query: "SELECT toUInt32(count()) AS n FROM otel_traces WHERE ServiceName = 'ai-gateway'", format: 'JSONEachRow' });
  return (await rs.json<{ n: number }>())[0]!.n;
}

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  store = await openStore({ kind: 'embedded', path: ':memory:' }, { command: 'test' });
  await migrate(store);
  dir = mkdtempSync(join(tmpdir(), 'tf-collect-config-'));
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('collect reads the collector block', () => {
  let collector: RunningCollector;
  let metricsPort: number;
  let stopped = false;

  beforeAll(async () => {
    metricsPort = await freePort();
    // max_age_ms of a minute: within this test only max_items seals a batch
    const cfg = parseConfigText(
      [
        'otlp: { port: 0 }',
        'collector:',
        `  spool_dir: ${join(dir, 'spool')}`,
        '  max_body_bytes: 4096',
        '  max_inflight_bytes: 8192',
        '  batch: { max_items: 10, max_age_ms: 60000 }',
        `  metrics: { host: 127.0.0.1, port: ${metricsPort} }`,
      ].join('\n'),
      'collect-config.yaml',
    );
    const settings = collectSettings(cfg, {});
    collector = await startCollector(store, cfg, { ...settings.collector, api: null });
  });
  afterAll(async () => {
    if (!stopped) await collector?.stop(5000);
  });

  it('the limits in effect are the config\'s, the rest the defaults', () => {
    expect(collector.limits).toEqual({
      batch: { maxBatchItems: 10, maxBatchBytes: 16 * MiB, maxBatchAgeMs: 60_000 },
      maxSpoolBytes: 1024 * MiB,
      maxBodyBytes: 4096,
      maxInflightBytes: 8192,
    });
    expect(collector.spool.dir).toBe(join(dir, 'spool'));
  });

  it('/metrics answers on collector.metrics.port', async () => {
    expect(collector.metricsUrl).toBe(`http://127.0.0.1:${metricsPort}/metrics`);
    const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('token_factory_');
  });

  it('a body over max_body_bytes is refused with 413; one under it is taken', async () => {
    const big = encodeProtobuf(genAiTraceRequest(900, 20, 20));
    expect(big.length).toBeGreaterThan(4096);
    const r = await fetch(`${collector.otlpUrl}/v1/traces`, { method: 'POST', body: big, headers: { 'content-type': 'application/x-protobuf' } });
    expect(r.status).toBe(413);
    await r.arrayBuffer();
    // 5 spans: under 4096 bytes
    const small = encodeProtobuf(genAiTraceRequest(901, 5, 20));
    expect(small.length).toBeLessThan(4096);
    const ok = await fetch(`${collector.otlpUrl}/v1/traces`, { method: 'POST', body: small, headers: { 'content-type': 'application/x-protobuf' } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it('batch.max_items seals a batch at 10 items; under it the batch waits', async () => {
    // the test above spooled 5 spans; 5 more make 10 = max_items: sealed and written
    const post = (i: number) => fetch(`${collector.otlpUrl}/v1/traces`, { method: 'POST', body: encodeProtobuf(genAiTraceRequest(i, 5, 20)), headers: { 'content-type': 'application/x-protobuf' } });
    expect((await post(902)).status).toBe(200);
    await until('10 spans written', async () => (await spans()) === 10);
    // 5 more: 5 < 10 items and the age is a minute, so they stay in the open batch
    expect((await post(903)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await spans()).toBe(10);
    expect(collector.spool.queuedItems.traces).toBe(5);
    // stopping seals and writes it: 10 + 5 = 15
    stopped = true;
    expect((await collector.stop(5000)).left).toBe(0);
    expect(await spans()).toBe(15);
  });
});

describe('flags override the config', () => {
  const cfg = parseConfigText(
    'collector: { spool_dir: /cfg/spool, stale_markers: true, shutdown_timeout_s: 2, decoder: js, metrics: { port: 9999 } }\n',
    'flags.yaml',
  );

  it('without flags, the config; with an empty config, the defaults', () => {
    const s = collectSettings(cfg, {});
    expect(s.shutdownTimeoutS).toBe(2);
    expect(s.collector).toMatchObject({ spoolDir: '/cfg/spool', staleMarkers: true, decoder: 'js', metrics: { host: '127.0.0.1', port: 9999 } });
    const d = collectSettings(parseConfigText('', 'empty.yaml'), {});
    expect(d.shutdownTimeoutS).toBe(5);
    expect(d.collector).toMatchObject({ staleMarkers: false, decoder: 'receiver', metrics: { host: '127.0.0.1', port: 9464 } });
    expect(d.collector.spoolDir).toBeUndefined();
  });

  it('each flag wins over its key', () => {
    const s = collectSettings(cfg, { spoolDir: '/flag/spool', staleMarkers: false, shutdownTimeout: '7.5', decoder: 'engine', metricsPort: '0' });
    expect(s.shutdownTimeoutS).toBe(7.5);
    expect(s.collector).toMatchObject({ spoolDir: '/flag/spool', staleMarkers: false, decoder: 'engine', metrics: { host: '127.0.0.1', port: 0 } });
  });

  it('bad flags name themselves', () => {
    expect(() => collectSettings(cfg, { decoder: 'wasm' })).toThrow(new BadRequestError('--decoder wasm: expected receiver, engine, js'));
    expect(() => collectSettings(cfg, { shutdownTimeout: 'soon' })).toThrow(new BadRequestError('--shutdown-timeout soon: expected seconds (≥ 0)'));
    expect(() => collectSettings(cfg, { metricsPort: '70000' })).toThrow(new BadRequestError('--metrics-port 70000: expected a port number (0 picks a free one)'));
  });

  it('--stale-markers and --no-stale-markers set the flag; neither leaves it to the config', () => {
    const parsed = (args: string[]) => {
      const program = new Command('token-factory');
      registerCollect(program);
      const cmd = program.commands.find((c) => c.name() === 'collect')!;
      cmd.parseOptions(args);
      return cmd.opts<{ staleMarkers?: boolean; shutdownTimeout?: string; decoder?: string }>();
    };
    expect(parsed([])).toEqual({});
    expect(parsed(['--stale-markers']).staleMarkers).toBe(true);
    expect(parsed(['--no-stale-markers']).staleMarkers).toBe(false);
  });
});
