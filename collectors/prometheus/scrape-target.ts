/**
 * One scrape of one target, as Prometheus does it: GET the URL with the scrape timeout
 * (`X-Prometheus-Scrape-Timeout-Seconds` tells the exporter), Accept preferring
 * OpenMetrics, the body bounded; samples without a timestamp get the scrape's start time.
 * The body is decoded as otelcol-contrib's prometheus receiver would (resource:
 * `service.name` = job, `service.instance.id` = instance = the URL's host:port), the
 * target's config labels are added to every series (a sample's own label wins), and the
 * exporter's mapper normalises what the typed tables need.
 */
import type { ScrapeTarget } from '../../core/config/schema.js';
import { DecodeError } from '../../core/errors.js';
import type { RawRows } from '../../core/schema/otel-rows.js';
import { mapperFor } from './mappers/by-kind.js';
import { parseExposition, type Dialect } from './parse-exposition.js';
import { expositionToRows } from './to-otel-rows.js';
import { msToUnixNano } from './unix-nano.js';

export type ScrapeFailure = 'timeout' | 'unreachable' | 'http_error' | 'too_large' | 'malformed';

export type ScrapeOutcome =
  | { ok: true; rows: RawRows; samples: number; notes: string[]; durationS: number }
  | { ok: false; result: ScrapeFailure; reason: string; durationS: number };

export interface ScrapeOptions {
  /** unix ms the scrape starts at: the time of samples written without one */
  startMs: number;
  /** largest body read; default 64 MiB */
  maxBytes?: number;
  fetch?: typeof fetch;
}

const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1';

/** Prometheus' `instance` of a scrape URL: host:port (the scheme's default port when none is written). */
export function instanceOf(url: string): string {
  const u = new URL(url);
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
  return `${u.hostname}:${port}`;
}

export async function scrapeTarget(target: ScrapeTarget, opts: ScrapeOptions): Promise<ScrapeOutcome> {
  const started = performance.now();
  const duration = () => (performance.now() - started) / 1000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  let text: string;
  let dialect: Dialect | undefined;
  const timeout = AbortSignal.timeout(target.timeout_s * 1000);
  try {
    const res = await (opts.fetch ?? fetch)(target.url, {
      signal: timeout,
      headers: { accept: ACCEPT, 'x-prometheus-scrape-timeout-seconds': String(target.timeout_s), 'user-agent': 'token-factory-collector' },
    });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      return { ok: false, result: 'http_error', reason: `HTTP ${res.status} ${res.statusText}`, durationS: duration() };
    }
    const read = await readText(res, maxBytes);
    if (read === undefined) return { ok: false, result: 'too_large', reason: `body over ${maxBytes} bytes`, durationS: duration() };
    text = read;
    if ((res.headers.get('content-type') ?? '').toLowerCase().startsWith('application/openmetrics-text')) dialect = 'openmetrics';
  } catch (e) {
    if (timeout.aborted) return { ok: false, result: 'timeout', reason: `no answer within ${target.timeout_s} s`, durationS: duration() };
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, result: 'unreachable', reason: cause?.code ?? cause?.message ?? (e as Error).message, durationS: duration() };
  }
  const instance = instanceOf(target.url);
  try {
    const families = parseExposition(text, dialect === undefined ? {} : { dialect });
    const samples = families.reduce((n, f) => n + f.samples.length, 0);
    const decoded = expositionToRows(families, {
      job: target.job,
      instance,
      defaultTimeNs: msToUnixNano(opts.startMs),
      extraLabels: target.labels,
      scheme: new URL(target.url).protocol.replace(/:$/, ''),
    });
    const mapped = mapperFor(target.kind)(decoded, target);
    return { ok: true, rows: mapped.rows, samples, notes: mapped.notes, durationS: duration() };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, result: 'malformed', reason: e.message, durationS: duration() };
    throw e;
  }
}

/** The body as text, or undefined past `maxBytes` (the rest is not read). */
async function readText(res: Response, maxBytes: number): Promise<string | undefined> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.length;
    if (n > maxBytes) {
      await res.body.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, n).toString('utf8');
}
