#!/usr/bin/env bash
# Installs kubernetes-validate (PyPI) into a virtualenv under .cache/tools/ (ignored by git: the
# folder carries its own .gitignore). The package ships the official Kubernetes OpenAPI schemas as
# JSON schemas for each minor version 1.25-1.37, with "strict" variants (additionalProperties:
# false), so an unknown or misspelt field fails the way the API server's strict field validation
# rejects it. It downloads nothing at run time. Idempotent; prints the CLI's path on stdout.
#
#   scripts/install-kubernetes-validate.sh     # about 20 s the first time
#
# Needs python3 with venv, and PyPI. deploy/k8s-tools.ts runs it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
req="$root/scripts/kubernetes-validate.requirements.txt"
version="$(sed -n 's/^kubernetes-validate==//p' "$req")"
cache="$root/.cache"
venv="$cache/tools/kubernetes-validate-$version"
bin="$venv/bin/kubernetes-validate"

mkdir -p "$cache/tools"
[ -f "$cache/.gitignore" ] || printf '# build caches (scripts/build-helm.sh, scripts/install-kubernetes-validate.sh)\n*\n' > "$cache/.gitignore"

# Reinstall when the requirements changed since the last install.
# One build at a time: the deploy test files run in parallel and may all ask at once.
exec 9>"$cache/tools/.install-kubernetes-validate.lock"
flock 9

if [ -x "$bin" ] && cmp -s "$req" "$venv/requirements.txt"; then
  echo "$bin"
  exit 0
fi

command -v python3 >/dev/null || { echo "install-kubernetes-validate: python3 is not installed" >&2; exit 1; }
echo "install-kubernetes-validate: installing kubernetes-validate $version into $venv ..." >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req" >&2
cp "$req" "$venv/requirements.txt"
"$bin" --version >&2
echo "$bin"
