/**
 * Keeps the rollups current in a long-running process (serve, collect): settles every
 * `intervalS` seconds, one run at a time; a failed run is reported and retried at the
 * next tick (the hours it did not finish stay dirty, so reads take them from the facts).
 */
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/open-store.js';
import { settleRollups, type SettleResult } from './settle.js';

export interface SettleLoopOptions {
  /** seconds between the end of a run and the start of the next (default 60) */
  intervalS?: number;
  onSettled?: (r: SettleResult) => void;
  onError?: (e: unknown) => void;
}

/** Starts settling; the returned function stops it and resolves when no run is in flight. */
export function startSettleLoop(store: Store, config: Config, opts: SettleLoopOptions = {}): () => Promise<void> {
  const intervalMs = (opts.intervalS ?? 60) * 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = settleRollups(store, config)
      .then((r) => opts.onSettled?.(r))
      .catch((e: unknown) => opts.onError?.(e))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, 0);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
