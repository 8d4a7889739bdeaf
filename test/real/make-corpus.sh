#!/usr/bin/env bash
# Copies the captures of the last `npm run test:real` into test/real/corpus/, trimmed to what ktrail
# and check.ts read, so that `npm test` (test/real-corpus.test.ts) reads real lines without Java.
# Lines are copied verbatim; only whole files and whole lines ktrail never reads are left out.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CAPTURES="${KTRAIL_REAL_CAPTURES:-$HERE/.captures}"
CORPUS="$HERE/corpus"
for src in "$CAPTURES"/*/; do
  name=$(basename "$src")
  [[ -f "$src/kafka-request.log" ]] || continue
  dest="$CORPUS/$name"
  rm -rf "$dest"; mkdir -p "$dest/client-requests" "$dest/config"
  cp -p "$src"/kafka-request.log* "$src"/kafka-authorizer.log* "$src/proxy.log" "$src/actions.jsonl" "$src/workload-summary.json" "$dest/"
  # server.log: the SocketServer lines (authentication failures and their neighbours), not startup chatter
  grep -h 'SocketServer' "$src"/server.log* > "$dest/server.log" || true
  # each client's own request log: its "Sending <API> request" lines
  for f in "$src"/client-requests/*.log; do grep -h ' Sending ' "$f" > "$dest/client-requests/$(basename "$f")" || true; done
  cp -p "$src"/config/* "$dest/config/"
  echo "$name: $(du -sh "$dest" | cut -f1)"
done
