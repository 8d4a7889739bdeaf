#!/usr/bin/env bash
# Creates the Python venv of the OCSF validator (scripts/ocsf_validate.py) under .cache/ocsf-venv/
# (gitignored) with the pinned packages of scripts/ocsf-validator-requirements.txt, from PyPI.
# Idempotent: a stamp holds the hash of the requirements; nothing is done when it matches.
# Prints the venv's python on its last line. Called by test/conformance/ (beforeAll); CI may call it
# first. Needs python3 (>= 3.10) with the venv module.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/ocsf-venv
req=scripts/ocsf-validator-requirements.txt
want=$(cat "$req" "$0" | sha256sum | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && "$(cat "$venv/.stamp" 2>/dev/null)" == "$want" ]]; then
  echo "$PWD/$venv/bin/python"
  exit 0
fi
start=$(date +%s)
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --only-binary=:all: --no-deps -r "$req" >&2
"$venv/bin/python" -m pip check >&2
"$venv/bin/python" -c 'import ocsf_json_schema, jsonschema' >&2
echo "$want" > "$venv/.stamp"
echo "ocsf validator: venv ready in $(( $(date +%s) - start )) s" >&2
echo "$PWD/$venv/bin/python"
