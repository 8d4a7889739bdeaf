#!/usr/bin/env bash
# Builds the OpenTelemetry Collector that test/conformance/otlp-collector.test.ts sends OTLP to:
# the OpenTelemetry Collector Builder (ocb) from the Go module proxy, then the manifest
# scripts/otelcol-builder.yaml (otlpreceiver + fileexporter + debugexporter, pinned). Idempotent:
# the binary is cached under .cache/otelcol/ (gitignored) and rebuilt only when the manifest or
# this script changes. Prints the path of the binary on its last line. Needs Go >= 1.25.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDER_VERSION=v0.161.0
root=.cache/otelcol
manifest=scripts/otelcol-builder.yaml
bin="$root/build/ktrail-otelcol"
stamp="$root/build/.stamp"
want=$(cat "$manifest" "$0" | sha256sum | cut -d' ' -f1)
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "otelcol: up to date ($bin)" >&2
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build-otelcol: Go is not installed" >&2; exit 1; }
start=$(date +%s)
mkdir -p "$root/bin"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
if [[ ! -x "$root/bin/builder" || "$(cat "$root/bin/.version" 2>/dev/null)" != "$BUILDER_VERSION" ]]; then
  GOBIN="$PWD/$root/bin" go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION"
  echo "$BUILDER_VERSION" > "$root/bin/.version"
fi
cp "$manifest" "$root/builder.yaml"
rm -f "$stamp"
(cd "$root" && ./bin/builder --config=builder.yaml >builder.log 2>&1) || { tail -40 "$root/builder.log" >&2; exit 1; }
"$bin" --version >&2
echo "$want" > "$stamp"
echo "otelcol: built in $(( $(date +%s) - start )) s ($bin)" >&2
echo "$bin"
