/** Flags that `demo` and `simulate` share: how the simulated factory runs. */
import { z } from 'zod';

export const speedFlag = z.coerce.number().positive().max(100_000).default(1);
export const seedFlag = z.coerce.number().int().default(42);

/** Seconds between simulated scrapes: a multiple of the simulation's 5 s tick, 5–300. */
export function sampleIntervalFlag(defaultS: number) {
  return z.coerce
    .number()
    .int()
    .min(5)
    .max(300)
    .refine((s) => s % 5 === 0, 'a multiple of the 5 s simulation tick')
    .default(defaultS);
}
