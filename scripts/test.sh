#!/usr/bin/env bash
# One command from a fresh clone: install everything the tests need, then run them.
# Besides the npm dependencies, the suite uses Debian's `prometheus`/`promtool` and
# `chromium` for real; as root on Debian/Ubuntu they are installed with apt when missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/install-system-deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
node scripts/run-tests.mjs "$@"
