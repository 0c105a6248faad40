/**
 * `npm run dashboards`: writes the generated dashboards and Kubernetes manifests
 * (index.ts). Run from anywhere: paths are resolved from the repository root.
 * `--check` writes nothing and exits 1 if a committed file differs (what CI's test does).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './index.js';

/** The repository root: the nearest parent with package.json (this file runs from dashboards/ or dist/dashboards/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'token-factory') return dir;
    } catch {
      // not here: go up
    }
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('repository root (package.json of token-factory) not found');
    dir = up;
  }
}

const check = process.argv.includes('--check');
const root = repoRoot();
let stale = 0;
for (const [path, content] of generatedFiles(root)) {
  const file = join(root, path);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  if (check) {
    process.stderr.write(`stale: ${path}\n`);
    stale++;
    continue;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  process.stdout.write(`wrote ${path}\n`);
}
if (stale > 0) {
  process.stderr.write(`${stale} generated file(s) differ: run npm run dashboards\n`);
  process.exitCode = 1;
}
