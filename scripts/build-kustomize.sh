#!/usr/bin/env bash
# Builds the kustomize CLI from source through the Go module proxy (no binary download) and caches
# it under .cache/tools/ (ignored by git: the folder carries its own .gitignore). Idempotent: a
# second run with the same version only prints the path. Prints the binary's path on stdout.
#
#   scripts/build-kustomize.sh       # about a minute after scripts/build-helm.sh (shared modules)
#
# v5.8.2: the newest release whose go.mod accepts Go 1.26 (v5.8.3 asks for Go 1.27).
# deploy/helm.test.ts uses it to render deploy/kubernetes, as `kubectl apply -k` does.
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
dir="$cache/tools/kustomize-$KUSTOMIZE_VERSION"
bin="$dir/kustomize"

mkdir -p "$dir"
[ -f "$cache/.gitignore" ] || printf '# build caches (scripts/build-*.sh)\n*\n' > "$cache/.gitignore"

# One build at a time: the deploy test files run in parallel and may all ask at once.
exec 9>"$cache/tools/.build-kustomize.lock"
flock 9

if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-kustomize: go is not installed (needed to build kustomize $KUSTOMIZE_VERSION from source)" >&2; exit 1; }
echo "build-kustomize: building kustomize $KUSTOMIZE_VERSION with $(go version) ..." >&2
start=$(date +%s)
GOFLAGS=-mod=mod GOBIN="$dir" CGO_ENABLED=0 go install \
  -trimpath \
  -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$KUSTOMIZE_VERSION" \
  "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
"$bin" version | grep -q "$KUSTOMIZE_VERSION" || { echo "build-kustomize: built kustomize reports '$("$bin" version)', expected $KUSTOMIZE_VERSION" >&2; exit 1; }
echo "build-kustomize: kustomize $KUSTOMIZE_VERSION built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
