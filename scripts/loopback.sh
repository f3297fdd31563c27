#!/usr/bin/env bash
# Runs a command inside a fresh network namespace that has only a loopback interface, so nothing it starts can reach
# beyond this machine and results do not depend on the host's interfaces. As root: unshare -n; otherwise a user
# namespace as well: unshare -rn.
set -euo pipefail
if [ "${SMOKE_IN_LOOPBACK:-}" = 1 ]; then exec "$@"; fi
flags=-n
[ "$(id -u)" = 0 ] || flags=-rn
if ! command -v ip >/dev/null; then
  echo "scripts/loopback.sh needs 'ip' (Debian package iproute2)" >&2
  exit 1
fi
exec unshare $flags -- env SMOKE_IN_LOOPBACK=1 bash -c 'ip link set lo up && exec "$@"' loopback "$@"
