#!/usr/bin/env node
// The CLI entry point: runs the compiled TypeScript (npm install builds it).
import { existsSync } from 'node:fs';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('token-factory is not built: run `npm install` (or `npm run build`) in the checkout first');
  process.exit(1);
}
await import(main.href);
