/**
 * The error hierarchy. Each error carries the HTTP status an API answers with, so
 * one express middleware (and the CLI's top-level handler) can map them; causes are
 * chained with `{ cause }`.
 */
export class TokenFactoryError extends Error {
  readonly status: number = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in a payload a decoder stopped: a line/column for text, a byte offset for binary. */
export interface PayloadPosition {
  line?: number;
  column?: number;
  byteOffset?: number;
  /** JSON-ish path inside a structured payload, e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId` */
  path?: string;
}

/** A payload that cannot be decoded: answered 400, never retried by senders. */
export class DecodeError extends TokenFactoryError {
  override readonly status = 400;
  constructor(
    readonly reason: string,
    readonly position: PayloadPosition = {},
    options?: { cause?: unknown },
  ) {
    super(formatDecodeMessage(reason, position), options);
  }
}

function formatDecodeMessage(reason: string, p: PayloadPosition): string {
  const where: string[] = [];
  if (p.line !== undefined) where.push(`line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ''}`);
  if (p.byteOffset !== undefined) where.push(`byte ${p.byteOffset}`);
  if (p.path !== undefined) where.push(p.path);
  return where.length > 0 ? `${where.join(', ')}: ${reason}` : reason;
}

/** Invalid configuration: start-up stops with the path of the bad field. */
export class ConfigError extends TokenFactoryError {
  override readonly status = 500;
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`invalid config ${file}:\n  ${issues.join('\n  ')}`);
  }
}

/** The store cannot be opened or reached (held by another process, server down). */
export class StoreUnavailableError extends TokenFactoryError {
  override readonly status = 503;
}

/** A bad request parameter (API query, CLI flag). */
export class BadRequestError extends TokenFactoryError {
  override readonly status = 400;
}
