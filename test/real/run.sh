#!/usr/bin/env bash
# `npm run test:real`: bring up a real Kafka broker behind a real Kroxylicious on loopback, run the
# scripted workload, capture the logs, and hold ktrail's records to what the clients did
# (check.ts), for every scenario below. Installs what it needs from Maven Central and npm; a
# failed download fails the run loudly, it never skips.
#
#   npm run test:real                      all scenarios
#   KTRAIL_REAL_SCENARIOS="kafka-4.4-text" npm run test:real
#
# Captures stay in test/real/.captures/<scenario>/ for inspection (gitignored).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CAPTURES="${KTRAIL_REAL_CAPTURES:-$HERE/.captures}"
SCENARIOS="${KTRAIL_REAL_SCENARIOS:-kafka-4.4-text kafka-4.4-json kafka-3.9-text}"

log() { printf '[test:real %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

command -v java >/dev/null || { log "ERROR: java not found"; exit 1; }
command -v mvn >/dev/null || { log "ERROR: mvn not found"; exit 1; }

log "building ktrail"
(cd "$REPO" && node node_modules/typescript/bin/tsc -p tsconfig.json)
log "installing the stack (Maven Central)"
"$HERE/stack.sh" install

mkdir -p "$CAPTURES"
dirs=()
for s in $SCENARIOS; do
  kafka=${s#kafka-}; kafka=${kafka%%-*}; layout=${s##*-}
  log "scenario $s: Kafka $kafka, Kroxylicious 0.12.0, $layout layout"
  rm -rf "${CAPTURES:?}/$s"
  KTRAIL_REAL_RUN="$CAPTURES/.run-$s" "$HERE/stack.sh" all --kafka "$kafka" --proxy 0.12 --layout "$layout" --capture "$CAPTURES/$s"
  rm -rf "${CAPTURES:?}/.run-$s"
  dirs+=("$CAPTURES/$s")
done

log "checking ktrail's records against the clients' own request logs"
node "$REPO/dist/test/real/check-cli.js" "${dirs[@]}" --json "$CAPTURES/summary.json"
