/**
 * Paths the engine reads payloads from (engine-files.ts): plain files as they are, anything
 * else through temporary copies that are gone afterwards, whatever happened.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withEngineFiles } from './engine-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-engine-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** temporary payload files of this process (where engine-files.ts puts them) */
const tempsLeft = () => readdirSync(existsSync('/dev/shm') ? '/dev/shm' : tmpdir()).filter((n) => n.startsWith(`tf-payload-${process.pid}-`));

describe('withEngineFiles', () => {
  it('reads plain files where they are; copies odd paths, bytes and parts (in order) to temporary files', async () => {
    const plain = join(dir, 'plain.bin');
    writeFileSync(plain, 'A');
    mkdirSync(join(dir, "it's odd"));
    const odd = join(dir, "it's odd", 'b*.bin'); // a quote and a glob character: file() would not read it literally
    writeFileSync(odd, 'B');
    const seen = await withEngineFiles([{ path: plain }, { path: odd }, { bytes: Buffer.from('C') }, { parts: [Buffer.from('D1'), Buffer.from('D2')] }], async (paths) => {
      expect(paths[0]).toBe(plain);
      expect(paths.slice(1).every((p) => /^[A-Za-z0-9_\-./]+$/.test(p) && p !== odd)).toBe(true);
      expect(tempsLeft()).toHaveLength(3);
      return paths.map((p) => readFileSync(p, 'utf8'));
    });
    expect(seen).toEqual(['A', 'B', 'C', 'D1D2']);
    expect(tempsLeft()).toEqual([]);
    expect(readFileSync(plain, 'utf8')).toBe('A'); // the caller's files stay
  });

  it('removes its temporary files when the engine fails, and says which path is missing or a directory', async () => {
    await expect(
      withEngineFiles([{ bytes: Buffer.from('x') }], async () => {
        throw new Error('engine down');
      }),
    ).rejects.toThrow('engine down');
    expect(tempsLeft()).toEqual([]);
    await expect(withEngineFiles([{ bytes: Buffer.from('x') }, { path: join(dir, 'missing.bin') }], async () => 0)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(withEngineFiles([{ path: dir }], async () => 0)).rejects.toMatchObject({ code: 'EISDIR', message: `${dir} is a directory` });
    expect(tempsLeft()).toEqual([]);
  });
});
