/** Query parameters of the usage report, shared by the API and the CLI's API client. */
import { z } from 'zod';
import { USAGE_DIMENSIONS, type UsageDimension } from '../kpi/token-usage.js';

const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const usageParamsSchema = z
  .object({
    by: z
      .string()
      .default('model')
      .transform((s) => s.split(',').map((d) => d.trim()).filter(Boolean))
      .pipe(z.array(z.enum(USAGE_DIMENSIONS as [UsageDimension, ...UsageDimension[]]))),
    from: isoTime.optional(),
    to: isoTime.optional(),
  })
  .strict();

export type UsageParams = z.output<typeof usageParamsSchema>;
