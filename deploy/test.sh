#!/usr/bin/env bash
# whybot's test command: formatting, vet, module tidiness, every Go test (unit, golden, store
# conformance on SQLite and on a real PostgreSQL with pgvector, fuzz seed corpora, end-to-end
# through the built binary), with the race detector, and the eval cases.
# Usage: bash deploy/test.sh      (from the repository root)
# It installs and starts PostgreSQL + pgvector with deploy/postgres.sh unless
# TEST_DATABASE_URL already points at one, and installs Chromium (deploy/chromium.sh) for
# the web console's browser tests with axe-core (deploy/axe.sh); their screenshots go to
# artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v go >/dev/null || { echo "deploy/test.sh: Go is not installed (https://go.dev/dl, 1.26 or newer)" >&2; exit 1; }

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "not gofmt-formatted: $unformatted" >&2; exit 1; fi

echo "== go vet"
go vet ./...

echo "== go mod tidy (no diff)"
cp go.mod /tmp/whybot-go.mod.$$ && cp go.sum /tmp/whybot-go.sum.$$
go mod tidy
if ! cmp -s go.mod /tmp/whybot-go.mod.$$ || ! cmp -s go.sum /tmp/whybot-go.sum.$$; then
  cp /tmp/whybot-go.mod.$$ go.mod; cp /tmp/whybot-go.sum.$$ go.sum
  echo "go mod tidy changes go.mod/go.sum: run it and commit the result" >&2; exit 1
fi
rm -f /tmp/whybot-go.mod.$$ /tmp/whybot-go.sum.$$

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "== PostgreSQL + pgvector (deploy/postgres.sh)"
  eval "$(bash deploy/postgres.sh)"
fi
export TEST_DATABASE_URL

echo "== Chromium for the browser tests (deploy/chromium.sh)"
bash deploy/chromium.sh
WHYBOT_AXE="$(bash deploy/axe.sh)"   # axe-core, for the accessibility checks in Chromium
export WHYBOT_AXE
export WHYBOT_ARTIFACTS="${WHYBOT_ARTIFACTS:-$PWD/artifacts}"   # the browser tests' screenshots

echo "== go test"
go test -race -count=1 -timeout 15m ./...

echo "== evals"
go run ./cmd/whybot eval evals/cases evals/replies
