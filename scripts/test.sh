#!/usr/bin/env bash
# The test command (`npm test`): passes on a fresh machine by itself. It installs the
# npm dependencies when they are missing, builds, type-checks and runs every test.
# Debian packages the tests need (prometheus for promtool, …) are installed by
# scripts/ensure-debian-packages.sh when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/chdb ]; then
  echo "== npm install (dependencies missing)"
  npm install --no-audit --no-fund
fi

echo "== Debian packages the tests need (promtool, amtool, chromium)"
bash scripts/ensure-debian-packages.sh

echo "== build"
npm run build --silent
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== tests"
npx vitest run

echo "== Grafana app plugin: install, typecheck, build, component tests, browser test"
[ -d grafana-plugin/node_modules/@grafana/ui ] || npm --prefix grafana-plugin ci --no-audit --no-fund
npm --prefix grafana-plugin run typecheck
npm --prefix grafana-plugin run build
npm --prefix grafana-plugin test
npm --prefix grafana-plugin run test:browser
