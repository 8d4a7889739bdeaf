#!/usr/bin/env bash
# Builds the helm CLI from source through the Go module proxy (no binary download) and caches it
# under .cache/tools/ (ignored by git: the folder carries its own .gitignore). Idempotent: a second
# run with the same version only prints the path. Prints the binary's path on stdout, progress on
# stderr.
#
#   scripts/build-helm.sh            # builds (first time: a few minutes on 2 cores), prints the path
#   HELM_VERSION=v4.3.2 scripts/build-helm.sh
#
# Needs: go (1.24 or later) and the Go module proxy. deploy/helm.test.ts runs it.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v4.3.2}"
major="${HELM_VERSION%%.*}"                       # v4
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
dir="$cache/tools/helm-$HELM_VERSION"
bin="$dir/helm"

mkdir -p "$dir"
[ -f "$cache/.gitignore" ] || printf '# build caches (scripts/build-helm.sh)\n*\n' > "$cache/.gitignore"

# One build at a time: the deploy test files run in parallel and may all ask at once.
exec 9>"$cache/tools/.build-helm.lock"
flock 9

if [ -x "$bin" ] && "$bin" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-helm: go is not installed (needed to build helm $HELM_VERSION from source)" >&2; exit 1; }
echo "build-helm: building helm $HELM_VERSION with $(go version) ..." >&2
start=$(date +%s)
# -mod=mod: resolve helm's own go.mod as published; the version is stamped in like helm's Makefile does.
GOFLAGS=-mod=mod GOBIN="$dir" CGO_ENABLED=0 go install \
  -trimpath \
  -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/$major/cmd/helm@$HELM_VERSION"
got="$("$bin" version --template '{{.Version}}')"
[ "$got" = "$HELM_VERSION" ] || { echo "build-helm: built helm reports $got, expected $HELM_VERSION" >&2; exit 1; }
echo "build-helm: helm $got built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
