#!/usr/bin/env bash
# Makes sure the system tools the test suite needs are installed:
#   chromium    (Debian package chromium, /usr/bin/chromium, or the binary named by SMOKE_CHROMIUM) — browser tests;
#   firefox-esr (Debian package firefox-esr, /usr/bin/firefox-esr, or the binary named by SMOKE_FIREFOX) — the same
#               tests in Firefox, driven by internal/testing/browser/firefox (puppeteer-core, which needs node and npm);
#   node, npm   (Debian packages nodejs, npm) — the Firefox rig, the npm package's builds and type tests;
#   ip, unshare (iproute2, util-linux) — the loopback-only network namespace the suite runs in;
#   turnserver  (coturn, optional) — the test of smoke-hub with an external TURN server, skipped without it.
# As root it installs what is missing through apt; otherwise it says what to install.
set -euo pipefail
chromium=${SMOKE_CHROMIUM:-/usr/bin/chromium}
firefox=${SMOKE_FIREFOX:-/usr/bin/firefox-esr}
missing=()
[ -x "$chromium" ] || missing+=(chromium)
[ -x "$firefox" ] || missing+=(firefox-esr)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
optional=()
command -v turnserver >/dev/null || optional+=(coturn)
[ ${#missing[@]} = 0 ] && [ ${#optional[@]} = 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if [ ${#missing[@]} != 0 ]; then
    echo "Installing ${missing[*]} for the test suite (apt-get)…"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ ${#optional[@]} != 0 ]; then
    echo "Installing ${optional[*]} for the test suite (apt-get; optional)…"
    apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null ||
      echo "(could not install ${optional[*]}: the tests that need it will say they skipped)"
  fi
  exit 0
fi
[ ${#missing[@]} = 0 ] && exit 0 # only optional tools are missing: their tests skip
echo "The test suite needs these Debian packages: ${missing[*]}. Install them with:" >&2
echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
[ -x "$chromium" ] || echo "(or point SMOKE_CHROMIUM at a Chromium binary)" >&2
[ -x "$firefox" ] || echo "(or point SMOKE_FIREFOX at a Firefox binary)" >&2
exit 1
