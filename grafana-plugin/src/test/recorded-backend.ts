/**
 * A `BackendSrv` for component tests that answers with the token-factory API's recorded
 * answers (src/__fixtures__/api, written by `npm run record` from the live API on the
 * factory fixture). A request is looked up by its Accept header and its API path with
 * the query sorted, after the plugin route's prefix; a request that was not recorded
 * fails the way a missing route would (404 with a message naming it), so a page asking
 * for something new fails its test instead of showing made-up data.
 */
import { readFileSync } from 'fs';
import path from 'path';
import { Observable, of, throwError } from 'rxjs';
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { API_PROXY_BASE } from '../constants';

const DIR = path.resolve(__dirname, '..', '__fixtures__', 'api');

interface Recorded {
  status: number;
  contentType: string;
  headers: Record<string, string>;
  file: string;
}

const index: Record<string, Recorded> = JSON.parse(readFileSync(path.join(DIR, 'index.json'), 'utf8'));

export interface Call {
  method: string;
  url: string;
  accept: string;
  data?: unknown;
}

function normalize(url: string): string {
  const [p, q = ''] = url.split('?');
  const params = new URLSearchParams(q);
  const sorted = new URLSearchParams();
  [...params.keys()].sort().forEach((k) => sorted.set(k, params.get(k) ?? ''));
  const qs = sorted.toString();
  return `${p}${qs ? `?${qs}` : ''}`;
}

function response<T>(req: BackendSrvRequest, status: number, data: T, headers: Record<string, string>): FetchResponse<T> {
  return {
    data,
    status,
    statusText: String(status),
    ok: status < 300,
    headers: new Headers(headers),
    redirected: false,
    type: 'basic',
    url: req.url,
    config: req,
  };
}

function body(rec: Recorded, asBuffer: boolean): unknown {
  const bytes = readFileSync(path.join(DIR, rec.file));
  if (rec.contentType === 'application/json' && !asBuffer) {
    return JSON.parse(bytes.toString('utf8'));
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

export interface RecordedBackend extends BackendSrv {
  calls: Call[];
}

/**
 * `mode: 'unauthorized'`: every API call gets the recorded 401 (a wrong key).
 * `extra`: answers of its own (plugin settings, health) before the recorded ones; undefined → recorded.
 */
export function recordedBackend(
  opts: { mode?: 'recorded' | 'unauthorized'; extra?: (req: BackendSrvRequest) => FetchResponse<unknown> | FetchError | undefined } = {}
): RecordedBackend {
  const calls: Call[] = [];
  const fail = (req: BackendSrvRequest, status: number, data: unknown): Observable<never> =>
    throwError(() => ({ status, statusText: String(status), data, config: req }) satisfies FetchError);
  const fetch = <T>(req: BackendSrvRequest): Observable<FetchResponse<T>> => {
    const accept = String(req.headers?.Accept ?? req.headers?.accept ?? 'application/json');
    calls.push({ method: req.method ?? 'GET', url: req.url, accept, data: req.data });
    const r = opts.extra?.(req);
    if (r !== undefined) {
      return 'ok' in r ? of(r as FetchResponse<T>) : fail(req, r.status, r.data);
    }
    if (!req.url.startsWith(API_PROXY_BASE)) {
      return fail(req, 404, { message: `no handler for ${req.method ?? 'GET'} ${req.url}` });
    }
    const apiPath = normalize(req.url.slice(API_PROXY_BASE.length));
    const asBuffer = req.responseType === 'arraybuffer';
    if (opts.mode === 'unauthorized') {
      const rec = index['* unauthorized']!;
      return fail(req, rec.status, body(rec, asBuffer));
    }
    const rec = index[`${accept} ${apiPath}`];
    if (!rec) {
      return fail(req, 404, { error: `not recorded: ${accept} ${apiPath} (add it to scripts/record-fixtures.cjs and run npm run record)` });
    }
    const data = body(rec, asBuffer);
    if (rec.status >= 400) {
      return fail(req, rec.status, data);
    }
    return of(response(req, rec.status, data as T, { 'content-type': rec.contentType, ...rec.headers }));
  };
  const unsupported = () => Promise.reject(new Error('the plugin uses fetch() only'));
  return {
    calls,
    fetch,
    get: unsupported,
    delete: unsupported,
    post: unsupported,
    patch: unsupported,
    put: unsupported,
    request: unsupported,
    datasourceRequest: unsupported,
    chunked: () => throwError(() => new Error('the plugin uses fetch() only')),
  };
}
