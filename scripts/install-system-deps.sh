#!/usr/bin/env bash
# Installs the Debian packages the test-suite drives for real, if they are missing.
# (knxd's package may try to start a service; in containers without systemd that is a no-op.)
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)   # browser tests (docs, PWA)
command -v mbpoll >/dev/null 2>&1 || need+=(mbpoll)       # reads the simulator as a third party
command -v knxd >/dev/null 2>&1 || need+=(knxd)           # the real KNX daemon for KNX tests
command -v knxtool >/dev/null 2>&1 || need+=(knxd-tools)  # knxtool: telegrams sent in the KNX tests
# A CJK font, so the PWA's Chinese screens render in the browser tests' screenshots.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
