#!/usr/bin/env bash
# Installs the interoperability peer's Python packages (requirements.txt, every version pinned) from PyPI
# into a virtual environment outside the repository, keyed by the requirements' hash, and prints the path
# of its Python. Idempotent: a complete environment is reused as it is. Needs python3 (3.10+) with venv;
# as root it installs Debian's python3-venv when the venv module is missing.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
requirements="$here/requirements.txt"
hash="$(sha256sum "$requirements" | cut -c1-16)"
venv="${FEDIFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fediflow}/interop-peer-$hash"

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi

python="$(command -v python3 || true)"
if [ -z "$python" ]; then
  echo "python3 is required for the interoperability peer" >&2
  exit 1
fi
if ! "$python" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >&2
    python=/usr/bin/python3
  else
    echo "$python lacks venv/ensurepip or is older than 3.10: install python3-venv" >&2
    exit 1
  fi
fi

# Concurrent first runs (several test files) build one environment: the others wait for the lock.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  echo "installing the interoperability peer's packages into $venv" >&2
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
