#!/usr/bin/env bash
# Installs what the lab needs from a fresh clone with only Node >= 20 and npm:
# pnpm (repo-local, no global install, no corepack), the workspace dependencies, and a build.
# Sourced by scripts/lab.sh and scripts/test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION=12.21.0

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "runtime-lab needs Node >= 20 (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 2
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" != "${PNPM_VERSION%%.*}" ]; then
  if [ ! -x "$ROOT/.lab/tools/node_modules/.bin/pnpm" ]; then
    echo "bootstrap: installing pnpm $PNPM_VERSION into .lab/tools (repo-local)"
    npm install --silent --no-audit --no-fund --prefix "$ROOT/.lab/tools" "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$ROOT/.lab/tools/node_modules/.bin:$PATH"
fi

cd "$ROOT"
echo "bootstrap: pnpm install"
pnpm install --frozen-lockfile --reporter=silent
echo "bootstrap: build"
pnpm build
