/**
 * The token-factory API as seen from the plugin: every call is a Grafana backend call
 * (`getBackendSrv().fetch`) to the plugin route (API_PROXY_BASE), which Grafana proxies to
 * the API URL with the key from secureJsonData. KPI results are asked for as Apache Arrow
 * IPC (`Accept: application/vnd.apache.arrow.stream`) and become DataFrames; an endpoint
 * that answers JSON only (406 for Arrow) is asked for JSON from then on, and its rows
 * become the same DataFrames. The window the API resolved comes with the result (Arrow:
 * `X-Window-From`/`X-Window-To` headers; JSON: `window`).
 *
 * Answers are validated (zod) before use: an API of another version, or a proxy error
 * page, gives an error that says so rather than a page of wrong figures.
 */
import { getBackendSrv, isFetchError, type FetchResponse } from '@grafana/runtime';
import type { DataFrame } from '@grafana/data';
import { lastValueFrom } from 'rxjs';
import { z } from 'zod';
import { API_PROXY_BASE } from '../constants';
import { arrowToFrame, rowsToFrame } from './frames';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** The KPI endpoints the pages use (pipelines/api/kpi-routes.ts). */
export type KpiPath =
  | 'unit-economics'
  | 'cost-totals'
  | 'slo'
  | 'goodput'
  | 'server-latency'
  | 'workflows'
  | 'workflows/list'
  | 'workflows/requests'
  | 'revenue'
  | 'revenue-per-gpu'
  | 'quotas';

export type KpiParams = Record<string, string | number | undefined>;

export interface KpiWindow {
  from: string;
  to: string;
}

export interface KpiFrame {
  window: KpiWindow;
  frame: DataFrame;
  /** how the rows arrived */
  format: 'arrow' | 'json';
}

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const windowSchema = z.object({ from: z.string(), to: z.string() });
export const kpiResultSchema = z.object({ window: windowSchema, rows: z.array(z.record(z.string(), cell)) });
const errorBodySchema = z.object({ error: z.string() });

/** An API call that failed, with what the user should know. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Endpoints that answered 406 to Arrow: JSON from then on (per page load). */
const jsonOnly = new Set<KpiPath>();

export function kpiUrl(path: KpiPath, params: KpiParams): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(params).sort()) {
    const v = params[k];
    if (v !== undefined) {
      q.set(k, String(v));
    }
  }
  const qs = q.toString();
  return `${API_PROXY_BASE}/api/v1/${path}${qs ? `?${qs}` : ''}`;
}

function errorText(data: unknown): string | undefined {
  let body: unknown = data;
  // An Arrow request's error body arrives as bytes (responseType arraybuffer). Tested by
  // tag, not instanceof: the buffer may come from another realm (a test environment).
  const tag = Object.prototype.toString.call(data);
  if (tag === '[object ArrayBuffer]' || ArrayBuffer.isView(data)) {
    try {
      const bytes = tag === '[object ArrayBuffer]' ? new Uint8Array(data as ArrayBuffer) : (data as Uint8Array);
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
  }
  const parsed = errorBodySchema.safeParse(body);
  if (parsed.success) {
    return parsed.data.error;
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') {
    return body.message;
  }
  return undefined;
}

function toApiError(path: KpiPath, err: unknown): ApiError {
  if (isFetchError(err)) {
    const status = err.status;
    const detail = errorText(err.data) ?? err.statusText ?? '';
    if (status === 401 || status === 403) {
      return new ApiError(
        `The token-factory API refused the request (${status}): ${detail}. Check the API key on the plugin's configuration page (an admin key is needed for fleet-wide figures).`,
        status
      );
    }
    if (status === 404 && !detail.includes('not found')) {
      return new ApiError(`The plugin route is not set up (${status}): set the API URL on the plugin's configuration page.`, status);
    }
    if (status === 502 || status === 503 || status === 504 || status === 0 || status === undefined) {
      return new ApiError(
        `Could not reach the token-factory API (${status ?? 'no answer'}${detail ? `: ${detail}` : ''}). Check that it is running and that the API URL on the configuration page is right.`,
        status
      );
    }
    return new ApiError(`The token-factory API answered ${status} to /api/v1/${path}: ${detail}`, status);
  }
  return new ApiError(`/api/v1/${path} failed: ${err instanceof Error ? err.message : String(err)}`, undefined);
}

function header(res: FetchResponse<unknown>, name: string): string | null {
  const h = res.headers as Headers | Record<string, string> | undefined;
  if (!h) {
    return null;
  }
  if (typeof (h as Headers).get === 'function') {
    return (h as Headers).get(name);
  }
  const rec = h as Record<string, string>;
  return rec[name] ?? rec[name.toLowerCase()] ?? null;
}

async function fetchArrow(path: KpiPath, params: KpiParams): Promise<KpiFrame> {
  const res = await lastValueFrom(
    getBackendSrv().fetch<ArrayBuffer>({
      url: kpiUrl(path, params),
      method: 'GET',
      headers: { Accept: ARROW_STREAM },
      responseType: 'arraybuffer',
      showErrorAlert: false,
      showSuccessAlert: false,
    })
  );
  const from = header(res, 'x-window-from');
  const to = header(res, 'x-window-to');
  if (!from || !to) {
    throw new ApiError(`/api/v1/${path} sent Arrow without its window (X-Window-From/To headers): is this a token-factory API?`, res.status);
  }
  try {
    return { window: { from, to }, frame: arrowToFrame(res.data, path), format: 'arrow' };
  } catch (e) {
    throw new ApiError(`/api/v1/${path} sent an Arrow stream that could not be read: ${e instanceof Error ? e.message : String(e)}`, res.status);
  }
}

async function fetchJson(path: KpiPath, params: KpiParams): Promise<KpiFrame> {
  const res = await lastValueFrom(
    getBackendSrv().fetch<unknown>({
      url: kpiUrl(path, params),
      method: 'GET',
      headers: { Accept: 'application/json' },
      showErrorAlert: false,
      showSuccessAlert: false,
    })
  );
  const parsed = kpiResultSchema.safeParse(res.data);
  if (!parsed.success) {
    throw new ApiError(
      `/api/v1/${path} did not answer {window, rows}: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
        .join('; ')}`,
      res.status
    );
  }
  return { window: parsed.data.window, frame: rowsToFrame(parsed.data.rows, path), format: 'json' };
}

/** One KPI query: Arrow where the endpoint has it, else JSON; errors as ApiError. */
export async function fetchKpi(path: KpiPath, params: KpiParams): Promise<KpiFrame> {
  if (!jsonOnly.has(path)) {
    try {
      return await fetchArrow(path, params);
    } catch (err) {
      if (isFetchError(err) && err.status === 406) {
        jsonOnly.add(path);
      } else {
        throw err instanceof ApiError ? err : toApiError(path, err);
      }
    }
  }
  try {
    return await fetchJson(path, params);
  } catch (err) {
    throw err instanceof ApiError ? err : toApiError(path, err);
  }
}

/** For tests: forget which endpoints answered JSON only. */
export function resetFormatMemory(): void {
  jsonOnly.clear();
}
