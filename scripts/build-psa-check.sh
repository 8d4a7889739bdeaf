#!/usr/bin/env bash
# Builds deploy/tools/psa-check (the Kubernetes Pod Security Standards evaluator of
# k8s.io/pod-security-admission, the code the API server's PodSecurity admission runs) into
# .cache/tools/psa-check/ (ignored by git: the folder carries its own .gitignore). Modules come
# from the Go module proxy, pinned by deploy/tools/psa-check/go.sum. Idempotent: rebuilds only
# when the sources changed. Prints the binary's path on stdout.
#
#   scripts/build-psa-check.sh     # about a minute the first time
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/deploy/tools/psa-check"
cache="$root/.cache"
dir="$cache/tools/psa-check"
bin="$dir/psa-check"

mkdir -p "$dir"
[ -f "$cache/.gitignore" ] || printf '# build caches (scripts/build-*.sh)\n*\n' > "$cache/.gitignore"

sum="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -d' ' -f1)"
# One build at a time: the deploy test files run in parallel and may all ask at once.
exec 9>"$cache/tools/.build-psa-check.lock"
flock 9

if [ -x "$bin" ] && [ "$(cat "$dir/sources.sha256" 2>/dev/null)" = "$sum" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-psa-check: go is not installed" >&2; exit 1; }
echo "build-psa-check: building with $(go version) ..." >&2
start=$(date +%s)
(cd "$src" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$bin" .)
echo "$sum" > "$dir/sources.sha256"
echo "build-psa-check: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
