#!/usr/bin/env bash
# Installs Debian's prometheus (with promtool), chromium, docker-compose (1.29), and docker.io
# and debootstrap (the compose test runs the stack on a local Docker engine with stand-in images
# built from a debootstrap root) when missing and we can (root + apt-get). Elsewhere it says what is missing; the tests that need them fail
# with a message naming the binary.
set -uo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: apt-get install ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's package starts a prometheus service on :9090 where systemd runs; the lab starts its own.
    (command -v systemctl >/dev/null 2>&1 && systemctl stop prometheus >/dev/null 2>&1) || true
  else
    echo "install-system-deps: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) for the full suite." >&2
  fi
fi
