#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer the boundary suite runs) from PyPI into a virtual environment
# outside the repository, once per version; prints the path of its `st` executable.
# Idempotent: a complete environment (marked by .installed) is reused as it is.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
VENV="${FEDIFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fediflow}/schemathesis-${SCHEMATHESIS_VERSION}"

if [ ! -f "$VENV/.installed" ]; then
  PYTHON="$(command -v python3 || true)"
  if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >&2
      PYTHON="$(command -v python3)"
    else
      echo "python3 with venv is needed for schemathesis (apt-get install python3 python3-venv)" >&2
      exit 1
    fi
  fi
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}" >&2
  touch "$VENV/.installed"
fi
echo "$VENV/bin/st"
