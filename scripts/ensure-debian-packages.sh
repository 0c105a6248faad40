#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing, and nothing else.
# Usage: scripts/ensure-debian-packages.sh [COMMAND=PACKAGE ...]
#   default: promtool=prometheus amtool=prometheus-alertmanager chromium=chromium
# Each pair names a command the tests run and the Debian package that provides it; a
# package is installed only when its command is not on PATH. `apt-get update` runs at
# most once, and only when something is missing, so a machine that has everything
# makes no network call. Quiet on success; apt's output is shown only when it fails.
# Works as root (CI, developers' machines here); elsewhere it uses sudo when available.
# Not on Debian/apt, or unable to install: prints what is missing and exits 0, so the
# tests themselves decide (in CI, a test that needs promtool fails without it).
set -euo pipefail

pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
  pairs=(promtool=prometheus amtool=prometheus-alertmanager chromium=chromium)
fi

missing=()
for pair in "${pairs[@]}"; do
  cmd="${pair%%=*}"
  pkg="${pair#*=}"
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian-packages: no apt-get; missing: ${missing[*]}" >&2
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "ensure-debian-packages: not root and no sudo; missing: ${missing[*]}" >&2
    exit 0
  fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "== apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq >"$log" 2>&1 &&
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }; then
  cat "$log" >&2
  echo "ensure-debian-packages: could not install ${missing[*]}" >&2
  exit 0
fi
