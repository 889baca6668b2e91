#!/usr/bin/env bash
# Installs what the lab needs from a fresh clone with only Node (22, 24 or 26) and npm:
# pnpm (repo-local, no global install, no corepack), the workspace dependencies, and a build.
# Sourced by scripts/lab.sh and scripts/test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION=12.21.0

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "runtime-lab needs Node 22, 24 or 26 (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 2
fi
if [ "$node_major" -lt 22 ]; then
  # Node 20 is past its end of life: the lab still builds and its suite still passes on it (CI
  # runs it there), but it is not a supported line and may stop working without notice.
  echo "bootstrap: Node $(node --version) is not supported (end of life); use Node 22, 24 or 26" >&2
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
