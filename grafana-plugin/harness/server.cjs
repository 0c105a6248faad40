/**
 * The harness's HTTP server: what Grafana's backend does for an app plugin, and no more.
 *
 * - `GET /public/plugins/<id>/…`: the built plugin (dist/), as Grafana serves it.
 * - `GET /harness/…`: the host bundle (harness/dist); `/a/<id>/…` and `/plugins/<id>`:
 *   the host page.
 * - `GET|POST /api/plugins/<id>/settings`: Grafana's plugin settings API. jsonData is
 *   kept and returned; secureJsonData is kept server-side and only reported as
 *   `secureJsonFields: { key: true }` (never sent back), as Grafana does.
 * - `/api/plugin-proxy/<id>/<route path>/…`: Grafana's plugin route proxy. The route
 *   comes from dist/plugin.json `routes`; its `url` and `headers[].content` templates
 *   (`{{ .JsonData.x }}`, `{{ .SecureJsonData.x }}`) are filled from the settings; the
 *   rest of the path and the query are appended to the URL; the Accept header is passed
 *   on; the answer (status, content type, the API's X-Window-* headers, body) comes back.
 *   A route without a URL answers 502, as an unreachable upstream would.
 */
const http = require('node:http');
const { readFileSync, existsSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TYPES = { '.js': 'text/javascript', '.json': 'application/json', '.svg': 'image/svg+xml', '.css': 'text/css', '.html': 'text/html', '.map': 'application/json', '.md': 'text/markdown', '.png': 'image/png', '.ttf': 'font/ttf', '.woff2': 'font/woff2' };

function sendFile(res, file) {
  if (!existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${file}`);
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
}

function fill(template, settings) {
  return template.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g, (_, where, key) => {
    const v = where === 'JsonData' ? settings.jsonData[key] : settings.secureJsonData[key];
    return v === undefined || v === null ? '' : String(v);
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the harness on a free loopback port; resolves with `{ url, settings, stop() }`. */
function startHarness() {
  const pluginJson = JSON.parse(readFileSync(path.join(ROOT, 'dist', 'plugin.json'), 'utf8'));
  const id = pluginJson.id;
  const settings = { jsonData: {}, secureJsonData: {}, enabled: false, pinned: false };
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>Token Factory — harness</title></head>` +
    `<body data-plugin-id="${id}"><div id="root"></div><script src="/harness/host.js"></script></body></html>`;

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://harness');
      const p = decodeURIComponent(url.pathname);
      if (p.startsWith(`/public/plugins/${id}/`)) {
        return sendFile(res, path.join(ROOT, 'dist', path.normalize(p.slice(`/public/plugins/${id}/`.length)).replace(/^(\.\.[/\\])+/, '')));
      }
      if (p.startsWith('/harness/')) {
        return sendFile(res, path.join(__dirname, 'dist', path.normalize(p.slice('/harness/'.length)).replace(/^(\.\.[/\\])+/, '')));
      }
      if (p.includes('/public/fonts/')) {
        // Grafana's own fonts (Inter, Roboto Mono) are part of Grafana, not of any package:
        // the browser falls back to the system's fonts.
        res.writeHead(404, { 'content-type': 'text/plain' }).end('fonts are Grafana\'s own');
        return;
      }
      if (p.startsWith(`/a/${id}`) || p === `/plugins/${id}`) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(page);
        return;
      }
      if (p === `/api/plugins/${id}/settings`) {
        if (req.method === 'POST') {
          const body = JSON.parse((await readBody(req)) || '{}');
          if (body.jsonData) {settings.jsonData = body.jsonData;}
          if (body.secureJsonData) {settings.secureJsonData = { ...settings.secureJsonData, ...body.secureJsonData };}
          if (body.enabled !== undefined) {settings.enabled = body.enabled;}
          if (body.pinned !== undefined) {settings.pinned = body.pinned;}
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Plugin settings updated' }));
          return;
        }
        const meta = {
          ...pluginJson,
          enabled: settings.enabled,
          pinned: settings.pinned,
          jsonData: settings.jsonData,
          secureJsonFields: Object.fromEntries(Object.keys(settings.secureJsonData).map((k) => [k, true])),
          baseUrl: `public/plugins/${id}`,
          module: `public/plugins/${id}/module.js`,
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(meta));
        return;
      }
      const proxyPrefix = `/api/plugin-proxy/${id}/`;
      if (p.startsWith(proxyPrefix)) {
        const rest = p.slice(proxyPrefix.length);
        const route = (pluginJson.routes ?? []).find((r) => rest === r.path || rest.startsWith(`${r.path}/`));
        if (!route) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `plugin route not found: ${rest}` }));
          return;
        }
        const base = fill(route.url, settings);
        if (!base) {
          res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `plugin route "${route.path}" has no URL (jsonData not set)` }));
          return;
        }
        const target = `${base.replace(/\/+$/, '')}${rest.slice(route.path.length)}${url.search}`;
        const headers = { accept: req.headers.accept ?? '*/*' };
        for (const h of route.headers ?? []) {headers[h.name.toLowerCase()] = fill(h.content, settings);}
        let upstream;
        try {
          upstream = await fetch(target, { method: req.method, headers });
        } catch (e) {
          res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `bad gateway: ${e.message}` }));
          return;
        }
        const out = { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' };
        for (const h of ['x-window-from', 'x-window-to']) {
          const v = upstream.headers.get(h);
          if (v !== null) {out[h] = v;}
        }
        res.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `not found: ${p}` }));
    } catch (e) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(e && e.message) }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, pluginId: id, settings, stop: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

module.exports = { startHarness };
