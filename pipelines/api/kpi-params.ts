/**
 * Query parameters of the KPI endpoints, validated with zod (a bad one is answered 400
 * with every reason). Unknown parameters are errors: they are usually typos.
 */
import { z } from 'zod';
import { REQUEST_DIMENSION_NAMES } from '../kpi/unit-economics.js';
import { SERVER_LATENCY_DIMENSION_NAMES } from '../kpi/server-latency.js';
import { BadRequestError } from '../../core/errors.js';

const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/**
 * `by`: comma-separated dimensions out of `allowed`; absent → `fallback`; empty (`by=`)
 * → no grouping (one row of totals).
 */
export function byParam<const D extends string>(allowed: readonly D[], fallback: readonly D[]) {
  return z
    .string()
    .default(fallback.join(','))
    .transform((s) => s.split(',').map((d) => d.trim()).filter(Boolean))
    .pipe(z.array(z.enum(allowed as unknown as [D, ...D[]])));
}

export const windowShape = { from: isoTime.optional(), to: isoTime.optional() };

/** An object schema of window + extra params, with `from` ≤ `to` checked. */
export function windowed<S extends z.ZodRawShape>(shape: S) {
  return z
    .object({ ...windowShape, ...shape })
    .strict()
    .refine(
      (p) => {
        const w = p as { from?: Date; to?: Date };
        return !(w.from && w.to) || w.from <= w.to;
      },
      { message: 'from is after to', path: ['from'] },
    );
}

export const unitEconomicsParams = windowed({ by: byParam(REQUEST_DIMENSION_NAMES, ['model']) });
export const costTotalsParams = windowed({ by: byParam(['deployment', 'hour', 'day', 'gpu_type'] as const, []) });
export const sloParams = windowed({});
export const goodputParams = windowed({ by: byParam(REQUEST_DIMENSION_NAMES, ['model']) });
export const serverLatencyParams = windowed({ by: byParam(SERVER_LATENCY_DIMENSION_NAMES, ['model']) });

/** Parses `req.query` with `schema`, or throws a 400 listing every issue as `path: message`. */
export function parseParams<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    throw new BadRequestError(parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
