#!/usr/bin/env node
/**
 * Records the token-factory API's answers to every request the plugin's pages make on
 * the factory fixture, for the component tests: `npm run record` (after the root
 * `npm run build`). Each request is recorded as Arrow (`Accept:
 * application/vnd.apache.arrow.stream`: the Arrow stream, or the API's 406 for
 * endpoints that answer JSON only) and as JSON, into src/__fixtures__/api/: one body
 * file per answer and index.json mapping `<accept> <path?sorted query>` to its status,
 * window headers and file. Re-run it when the API or the fixture changes; the tests'
 * expected figures are worked out by hand from the fixture, so a changed answer fails
 * them rather than silently passing.
 */
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { startLiveApi, FIXTURE_WINDOW } = require('./live-api.cjs');

const OUT = path.resolve(__dirname, '..', 'src', '__fixtures__', 'api');
const ARROW = 'application/vnd.apache.arrow.stream';
const W = FIXTURE_WINDOW;
/** The same length just before the fixture's window (the executive report's trend). */
const PREV = { from: '2026-11-23T07:00:00.000Z', to: '2026-11-23T10:00:00.000Z' };
/** A day earlier: no data (empty states). */
const EMPTY = { from: '2026-11-22T10:00:00.000Z', to: '2026-11-22T13:00:00.000Z' };

/** Every request of every page on the fixture window (and the empty one). */
const REQUESTS = [
  // Revenue per GPU (and the executive report): config scenario, and a next-gen GPU ×2.
  ['revenue-per-gpu', { ...W }],
  ['revenue-per-gpu', { ...W, throughput_multiplier: '2' }],
  ['revenue-per-gpu', { ...W, price_usd_per_mtok: '0.5', rate_usd_per_hour: '2.5' }],
  // Unit economics
  ['unit-economics', { ...W, by: 'model,gpu_type' }],
  ['unit-economics', { ...W, by: 'model,hour' }],
  ['cost-totals', { ...W, by: '' }],
  ['cost-totals', { ...W, by: 'hour' }],
  // Workflows and the drill-down to a retried workflow's requests
  ['workflows', { ...W, by: 'workflow' }],
  ['workflows/list', { ...W, workflow: 'chat' }],
  ['workflows/requests', { ...W, workflow_id: 'wf-globex-1' }],
  // Tenants
  ['revenue', { ...W, by: 'tenant' }],
  ['quotas', { to: W.to }],
  // SLOs
  ['slo', { ...W }],
  ['unit-economics', { ...W, by: 'model' }],
  ['server-latency', { ...W, by: 'model' }],
  // Executive report: this period and the one before
  ['revenue', { ...W, by: '' }],
  ['revenue', { ...PREV, by: '' }],
  ['unit-economics', { ...W, by: '' }],
  ['unit-economics', { ...PREV, by: '' }],
  // Empty window (unit economics page)
  ['unit-economics', { ...EMPTY, by: 'model,gpu_type' }],
  ['unit-economics', { ...EMPTY, by: 'model,hour' }],
  ['cost-totals', { ...EMPTY, by: '' }],
  ['cost-totals', { ...EMPTY, by: 'hour' }],
];

function key(accept, apiPath, params) {
  const q = new URLSearchParams();
  for (const k of Object.keys(params).sort()) {q.set(k, params[k]);}
  const qs = q.toString();
  return `${accept} /api/v1/${apiPath}${qs ? `?${qs}` : ''}`;
}

async function main() {
  const api = await startLiveApi();
  try {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const index = {};
    for (const [apiPath, params] of REQUESTS) {
      for (const accept of [ARROW, 'application/json']) {
        const k = key(accept, apiPath, params);
        const res = await fetch(`${api.url}${k.slice(k.indexOf(' ') + 1)}`, {
          headers: { accept, authorization: `Bearer ${api.apiKey}` },
        });
        const type = res.headers.get('content-type') ?? '';
        const body = Buffer.from(await res.arrayBuffer());
        const ext = type.startsWith(ARROW) ? 'arrow' : 'json';
        const file = `${apiPath.replace(/\//g, '_')}-${createHash('sha256').update(k).digest('hex').slice(0, 10)}.${ext}`;
        writeFileSync(path.join(OUT, file), ext === 'json' ? JSON.stringify(JSON.parse(body.toString('utf8')), null, 1) + '\n' : body);
        index[k] = {
          status: res.status,
          contentType: type.split(';')[0],
          headers: Object.fromEntries(['x-window-from', 'x-window-to'].map((h) => [h, res.headers.get(h)]).filter(([, v]) => v !== null)),
          file,
        };
      }
    }
    // One refused key, for the error state.
    const bad = await fetch(`${api.url}/api/v1/revenue-per-gpu`, { headers: { authorization: 'Bearer not-the-key-0000000000' } });
    writeFileSync(path.join(OUT, 'unauthorized.json'), JSON.stringify(await bad.json(), null, 1) + '\n');
    index['* unauthorized'] = { status: bad.status, contentType: 'application/json', headers: {}, file: 'unauthorized.json' };
    writeFileSync(path.join(OUT, 'index.json'), JSON.stringify(index, null, 1) + '\n');
    process.stdout.write(`recorded ${Object.keys(index).length} answers into ${path.relative(process.cwd(), OUT)}\n`);
  } finally {
    await api.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
