#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (bot/web) when no Chromium is on PATH.
# Idempotent; needs root (or sudo) for apt. Prints the browser's path.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null; then command -v "$b"; exit 0; fi
done
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "deploy/chromium.sh: installing chromium (Debian package) for the browser tests" >&2
sudo_ apt-get update -qq >&2
sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
command -v chromium
