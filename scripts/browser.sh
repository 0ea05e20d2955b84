#!/usr/bin/env bash
# Install Debian's Chromium and its chromedriver for the browser tests and `make screenshot`
# (nothing that downloads a browser build of its own: Selenium is pointed at these). Idempotent.
set -euo pipefail
if command -v chromium >/dev/null && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
echo "[browser] installing Debian's chromium and chromium-driver" >&2
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
