#!/usr/bin/env bash
# One command from a fresh clone: install, build, and run the lab's main job
# (the flagship `blocking` scenario, natively, with a verdict and a report).
# Any arguments replace the default `run blocking`, e.g. `scripts/lab.sh run ramp --quick`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
if [ $# -eq 0 ]; then set -- run blocking; fi
exec pnpm --silent lab "$@"
