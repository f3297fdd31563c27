#!/usr/bin/env bash
# Makes sure the system tools the test suite needs are installed:
#   chromium   (Debian package chromium, /usr/bin/chromium, or the binary named by SMOKE_CHROMIUM) — browser tests;
#   ip, unshare (iproute2, util-linux) — the loopback-only network namespace the suite runs in.
# As root it installs what is missing through apt; otherwise it says what to install.
set -euo pipefail
chromium=${SMOKE_CHROMIUM:-/usr/bin/chromium}
missing=()
[ -x "$chromium" ] || missing+=(chromium)
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} for the test suite (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "The test suite needs these Debian packages: ${missing[*]}. Install them with:" >&2
echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
[ -x "$chromium" ] || echo "(or point SMOKE_CHROMIUM at a Chromium binary)" >&2
exit 1
