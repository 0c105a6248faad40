/**
 * The embedded store is opened by one process at a time (chDB locks `<path>/status`).
 * We keep our own holder record beside it, `<path>/token-factory.lock`, so a second
 * process can say *who* holds the store and, when the holder serves the API, go
 * through that API instead of failing.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const LOCK_FILE = 'token-factory.lock';

const holderSchema = z.object({
  pid: z.number().int().positive(),
  command: z.string(),
  started_at: z.string(),
  /** base URL of the holder's API, once it listens */
  api_url: z.string().nullable().default(null),
});
export type StoreHolder = z.output<typeof holderSchema>;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the store at `path`, or null (no record, or a stale one). */
export function readStoreHolder(path: string): StoreHolder | null {
  let text: string;
  try {
    text = readFileSync(join(path, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  const parsed = holderSchema.safeParse(safeJson(text));
  if (!parsed.success) return null;
  return isAlive(parsed.data.pid) ? parsed.data : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function describeHolder(path: string, h: StoreHolder): string {
  return `the store ${path} is in use by token-factory ${h.command} (pid ${h.pid}, since ${h.started_at})${h.api_url ? `, API ${h.api_url}` : ''}`;
}

export type LockResult = { ok: true; release: () => void; setApiUrl: (url: string) => void } | { ok: false; holder: StoreHolder };

/**
 * Takes the holder record for this process. Re-entrant within one process (tests and
 * the demo open the same store from several modules).
 */
export function acquireStoreLock(path: string, command: string): LockResult {
  mkdirSync(path, { recursive: true });
  const file = join(path, LOCK_FILE);
  const mine: StoreHolder = { pid: process.pid, command, started_at: new Date().toISOString(), api_url: null };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, JSON.stringify(mine));
      closeSync(fd);
      return lockHandle(file, mine);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readStoreHolder(path);
      if (holder === null) {
        rmSync(file, { force: true }); // stale: its process is gone
        continue;
      }
      if (holder.pid === process.pid) return lockHandle(file, holder, false);
      return { ok: false, holder };
    }
  }
  return { ok: false, holder: readStoreHolder(path) ?? mine };
}

function lockHandle(file: string, holder: StoreHolder, owned = true): LockResult {
  return {
    ok: true,
    release: () => {
      if (owned) rmSync(file, { force: true });
    },
    setApiUrl: (url: string) => {
      holder.api_url = url;
      writeFileSync(file, JSON.stringify(holder));
    },
  };
}
