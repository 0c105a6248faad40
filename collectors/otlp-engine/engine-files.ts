/**
 * Files for the embedded engine to read with `file(path, …)`: chDB's connection turns an
 * insert body into a string, so payloads reach the engine as files. A payload that is
 * already a file with a plain path is read where it is; any other (bytes, or a path
 * `file()` would not read literally) is written to a temporary file — in RAM-backed
 * /dev/shm when there is one — removed once the engine has read it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** A file, bytes, or bytes in parts (written one after another, never joined in memory). */
export type EnginePayload = { path: string } | { bytes: Uint8Array } | { parts: readonly Uint8Array[] };

/** Where temporary payload files go: /dev/shm (RAM) when the machine has one. */
function payloadTempDir(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** A plain absolute path `file()` reads as is (no glob characters, quotes or control characters). */
const PLAIN_PATH = /^[A-Za-z0-9_\-./+@%=,]+$/;

/**
 * Runs `fn` with one path per payload, in order, that the engine can read; temporary
 * copies are removed afterwards, whatever `fn` did. A missing file or a directory fails
 * here, as a Node error (ENOENT, EISDIR), not inside the engine. An empty file reads as
 * no row.
 */
export async function withEngineFiles<T>(payloads: readonly EnginePayload[], fn: (paths: string[]) => Promise<T>): Promise<T> {
  const temps: string[] = [];
  const temp = (): string => {
    const path = join(payloadTempDir(), `tf-payload-${process.pid}-${randomUUID()}`);
    temps.push(path);
    return path;
  };
  try {
    const paths: string[] = [];
    for (const payload of payloads) {
      if ('path' in payload) {
        const abs = isAbsolute(payload.path) ? payload.path : resolve(payload.path);
        const st = await stat(abs);
        if (st.isDirectory()) throw Object.assign(new Error(`${abs} is a directory`), { code: 'EISDIR' });
        if (PLAIN_PATH.test(abs)) {
          paths.push(abs);
        } else {
          const copy = temp();
          await copyFile(abs, copy);
          paths.push(copy);
        }
      } else {
        const path = temp();
        await writeParts(path, 'bytes' in payload ? [payload.bytes] : payload.parts);
        paths.push(path);
      }
    }
    return await fn(paths);
  } finally {
    await Promise.all(temps.map((p) => rm(p, { force: true })));
  }
}

/** Writes `parts` one after another to a new file at `path`. */
async function writeParts(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const file = await open(path, 'wx');
  try {
    // at most IOV_MAX (1024 on Linux) buffers per writev
    for (let i = 0; i < parts.length; i += 1024) {
      const chunk = parts.slice(i, i + 1024);
      const expected = chunk.reduce((n, p) => n + p.byteLength, 0);
      const { bytesWritten } = await file.writev(chunk as Uint8Array[]);
      if (bytesWritten !== expected) throw new Error(`short write to ${path}: ${bytesWritten} of ${expected} bytes`);
    }
  } finally {
    await file.close();
  }
}
