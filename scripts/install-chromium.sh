#!/usr/bin/env bash
# Installs Debian's chromium, for the test that renders a report in a
# headless browser (report/browser_test.go), when it is missing. Needs root
# (as CI runs); says what to do otherwise.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: chromium is missing and this is not root: apt-get install chromium" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
chromium --version
