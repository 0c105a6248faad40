/**
 * The OTLP/HTTP receiver (express): `POST /v1/traces` and `/v1/metrics`, bodies in
 * `application/x-protobuf` or `application/json`, plain or gzip, as the OpenTelemetry
 * SDK exporters and the Collector's otlphttp exporter send them
 * (https://opentelemetry.io/docs/specs/otlp/#otlphttp).
 *
 * A request is acknowledged (200) only once its items are in the on-disk spool; the
 * handler only chains read → decode → spool → answer, and every answer comes from
 * `exportResponse`. `/v1/logs` answers 501: logs are not stored (the schema has no logs
 * table; acknowledging them would drop them silently).
 *
 * Memory stays bounded whatever the senders do: a body is refused past `maxBodyBytes`
 * (on the wire or decompressed: 413), bodies in flight share `maxInflightBytes` (over it:
 * 429), and when the spool holds `maxSpoolBytes` (the store is behind or down) requests
 * are refused before their body is read (503). 429 and 503 carry `Retry-After`.
 */
import express, { type Request, type Response } from 'express';
import { COLLECTOR_DEFAULTS } from '../../core/config/schema.js';
import { DecodeError } from '../../core/errors.js';
import type { CollectorMetrics } from '../observability/collector-metrics.js';
import type { Spool } from '../writer/spool.js';
import { BodyError, MemoryBudget, readBody } from './receiver-body.js';
import { IntakePool } from './intake-pool.js';
import type { OtlpWire, SpanIntake } from './receiver-intake.js';
import { exportResponse, type ExportOutcome, type OtlpEndpoint } from './receiver-response.js';

export interface OtlpReceiverOptions {
  spool: Spool;
  metrics: CollectorMetrics;
  /** largest body, compressed or not; default 16 MiB */
  maxBodyBytes?: number;
  /** bytes all bodies in flight may hold together; default 256 MiB */
  maxInflightBytes?: number;
  /** spool size at which requests are refused with 503; default 1 GiB */
  maxSpoolBytes?: number;
  /** Retry-After of a 503 (spool full), in seconds; default 5 */
  retryAfterS?: number;
  /** who renders spans to rows: this receiver (default) or the writer (see receiver-intake.ts) */
  spanIntake?: SpanIntake;
  /** worker threads that decode and render bodies (intake-pool.ts; 0: on the event loop); default 1 */
  intakeThreads?: number;
}

/** The limits come from the config schema's defaults (`collector.max_*_bytes`): one source. */
export const RECEIVER_DEFAULTS = Object.freeze({
  maxBodyBytes: COLLECTOR_DEFAULTS.max_body_bytes,
  maxInflightBytes: COLLECTOR_DEFAULTS.max_inflight_bytes,
  maxSpoolBytes: COLLECTOR_DEFAULTS.max_spool_bytes,
  retryAfterS: 5,
  spanIntake: 'receiver' as SpanIntake,
  intakeThreads: COLLECTOR_DEFAULTS.intake_threads,
});

export interface OtlpReceiver {
  app: express.Express;
  /** refuse new requests with 503 (shutting down) */
  stopAccepting(): void;
  /** stops the intake threads (after stopAccepting and the last answer) */
  close(): Promise<void>;
  readonly budget: MemoryBudget;
}

export function createOtlpReceiver(options: OtlpReceiverOptions): OtlpReceiver {
  const opts = { ...RECEIVER_DEFAULTS, ...options };
  const budget = new MemoryBudget(opts.maxInflightBytes);
  const intake = new IntakePool(opts.intakeThreads);
  let accepting = true;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const send = (res: Response, outcome: ExportOutcome, endpoint: OtlpEndpoint, wire: OtlpWire, closeConnection = false): void => {
    const r = exportResponse(outcome, endpoint, wire);
    if (outcome.kind !== 'accepted' && outcome.kind !== 'partial') {
      opts.metrics.rejectedRequests.inc({ signal: endpoint, status: String(r.status), reason: reasonLabel(outcome) });
    }
    if (closeConnection) res.set('connection', 'close');
    res.status(r.status).set(r.headers).end(r.body);
  };

  const exportHandler = (endpoint: OtlpEndpoint) => async (req: Request, res: Response) => {
    const wire = wireOf(req);
    if (wire === undefined) {
      send(res, { kind: 'invalid', status: 415, reason: `unsupported Content-Type "${req.get('content-type') ?? ''}": expected application/x-protobuf or application/json` }, endpoint, 'json', true);
      return;
    }
    if (endpoint === 'logs') {
      send(res, { kind: 'unimplemented', reason: 'logs are not stored by token-factory: send traces and metrics only' }, endpoint, wire);
      return;
    }
    if (!accepting) {
      send(res, { kind: 'retryable', status: 503, retryAfterS: opts.retryAfterS, reason: 'the collector is shutting down' }, endpoint, wire, true);
      return;
    }
    if (opts.spool.bytes >= opts.maxSpoolBytes) {
      send(res, { kind: 'retryable', status: 503, retryAfterS: opts.retryAfterS, reason: 'the spool is full: the store is behind or unavailable' }, endpoint, wire, true);
      return;
    }
    let body;
    try {
      body = await readBody(req, { maxBytes: opts.maxBodyBytes, budget });
    } catch (e) {
      if (e instanceof BodyError) {
        send(res, e.outcome, endpoint, wire, true);
        return;
      }
      throw e;
    }
    try {
      let taken;
      try {
        taken = await intake.run(endpoint, wire, body.bytes, opts.spanIntake);
      } catch (e) {
        if (e instanceof DecodeError) {
          send(res, { kind: 'invalid', status: 400, reason: `malformed OTLP ${endpoint} request: ${e.message}` }, endpoint, wire);
          return;
        }
        if (intake.threads > 0) {
          // an intake thread failed (not the payload): the sender may retry
          send(res, { kind: 'retryable', status: 503, retryAfterS: opts.retryAfterS, reason: `cannot decode the request now: ${(e as Error).message}` }, endpoint, wire);
          return;
        }
        throw e;
      }
      if (taken.record) {
        try {
          await opts.spool.append(taken.record.lane, taken.record.parts, { [endpoint]: taken.items });
        } catch (e) {
          send(res, { kind: 'retryable', status: 503, retryAfterS: opts.retryAfterS, reason: `cannot spool the request: ${(e as Error).message}` }, endpoint, wire);
          return;
        }
      }
      if (taken.items > 0) opts.metrics.receivedItems.inc({ signal: endpoint, source: 'otlp' }, taken.items);
      if (taken.rejected > 0) {
        opts.metrics.rejectedItems.inc({ signal: endpoint, reason: 'no_identity' }, taken.rejected);
        send(res, { kind: 'partial', items: taken.items, rejected: taken.rejected, message: taken.rejectedReason ?? '' }, endpoint, wire);
      } else {
        send(res, { kind: 'accepted', items: taken.items }, endpoint, wire);
      }
    } finally {
      budget.release(body.reserved);
    }
  };

  for (const endpoint of ['traces', 'metrics', 'logs'] as const) {
    const path = `/v1/${endpoint}`;
    app.post(path, exportHandler(endpoint));
    app.all(path, (req, res) => {
      res.set('allow', 'POST');
      send(res, { kind: 'invalid', status: 405, reason: `${req.method} ${path}: OTLP/HTTP exports are POSTed` }, endpoint, wireOf(req) ?? 'json');
    });
  }
  app.use((req, res) => {
    send(res, { kind: 'invalid', status: 404, reason: `${req.method} ${req.path}: not an OTLP/HTTP endpoint (POST /v1/traces, /v1/metrics)` }, 'traces', wireOf(req) ?? 'json');
  });
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    if (res.headersSent) return;
    res.status(500).json({ code: 13, message: `internal error: ${(err as Error).message ?? String(err)}` });
  });

  return {
    app,
    budget,
    stopAccepting: () => {
      accepting = false;
    },
    close: () => intake.close(),
  };
}

/** The wire format a Content-Type names (parameters such as charset ignored). */
function wireOf(req: Request): OtlpWire | undefined {
  const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function reasonLabel(outcome: ExportOutcome): string {
  switch (outcome.kind) {
    case 'invalid':
      return { 400: 'malformed', 404: 'not_found', 405: 'method', 413: 'too_large', 415: 'unsupported_media_type' }[outcome.status];
    case 'unimplemented':
      return 'unimplemented';
    case 'retryable':
      return outcome.status === 429 ? 'memory_budget' : 'unavailable';
    default:
      return 'none';
  }
}
