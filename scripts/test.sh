#!/usr/bin/env bash
# One command from a fresh clone: install everything the tests need, then run them.
# Besides the npm dependencies, the suite uses Debian's `prometheus`/`promtool` and
# `chromium` for real; as root on Debian/Ubuntu they are installed with apt when missing.
# The whole suite runs on the Node on your PATH; then, without file arguments, a smoke runs on
# each other supported Node line (scripts/node-lines.mjs; LAB_NODE_LINES=off skips it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/install-system-deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
status=0
node scripts/run-tests.mjs "$@" || status=$?
if [ "$#" -eq 0 ]; then
  node scripts/node-lines.mjs || status=$?
fi
exit "$status"
