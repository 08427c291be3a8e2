#!/usr/bin/env bash
# Installs axe-core (npm) for the browser tests' accessibility checks into deploy/.cache/axe
# when it is not there; idempotent. Prints the path of axe.min.js.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.10.3
dir=deploy/.cache/axe
js=$dir/node_modules/axe-core/axe.min.js
if [ ! -f "$js" ] || ! grep -q "\"version\": \"$version\"" "$dir/node_modules/axe-core/package.json" 2>/dev/null; then
  command -v npm >/dev/null || { echo "deploy/axe.sh: npm is not installed (sudo apt-get install -y npm)" >&2; exit 1; }
  echo "deploy/axe.sh: installing axe-core $version from npm" >&2
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" "axe-core@$version" >&2
fi
echo "$PWD/$js"
