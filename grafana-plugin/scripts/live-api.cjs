/**
 * A live token-factory API on embedded ClickHouse with the hand-worked factory fixture
 * (test/fixtures/factory/ of the repository), for recording API answers and for the
 * browser test. It runs the repository's own CLI (`bin/token-factory.js`, built by the
 * root `npm run build`): `ingest` the fixture into a fresh store in a temp directory,
 * then `serve` it on a free loopback port with one admin API key, so every call must
 * carry `Authorization: Bearer <key>` as the plugin route adds it.
 */
const { spawn, execFile } = require('node:child_process');
const { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'factory');
const BIN = path.join(REPO, 'bin', 'token-factory.js');
/** The admin key of the live API (≥ 16 characters, as the API's config requires). */
const API_KEY = 'grafana-plugin-test-key-0001';
/** The fixture's data: 2026-11-23 10:00–13:00 UTC. */
const FIXTURE_WINDOW = { from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T13:00:00.000Z' };

function run(args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`token-factory ${args.join(' ')} failed: ${stderr || err.message}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Starts the API; resolves with `{ url, apiKey, stop() }`. */
async function startLiveApi() {
  if (!existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) {
    throw new Error('the token-factory CLI is not built: run `npm run build` in the repository root first');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tf-grafana-'));
  const config = path.join(dir, 'token-factory.yaml');
  writeFileSync(
    config,
    readFileSync(path.join(FIXTURE, 'token-factory.yaml'), 'utf8') +
      `\nstore: { path: ${JSON.stringify(path.join(dir, 'store'))} }\n` +
      `api: { host: 127.0.0.1, port: 0, keys: [{ key: ${API_KEY} }] }\n`
  );
  await run(['ingest', '--config', config, path.join(FIXTURE, 'gateway-spans.json'), path.join(FIXTURE, 'dcgm-exporter.prom')], dir);
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--api-port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`token-factory serve did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = /API on (http:\/\/[^\s]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`token-factory serve exited (${code}):\n${output}`));
    });
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) {
        rmSync(dir, { recursive: true, force: true });
        resolve();
        return;
      }
      child.once('exit', () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { url, apiKey: API_KEY, stop };
}

module.exports = { startLiveApi, API_KEY, FIXTURE_WINDOW, REPO };
