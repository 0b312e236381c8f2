#!/usr/bin/env bash
# Installs, when missing, the real programs the test suite runs (it never mocks them): Prometheus and
# promtool, Alertmanager and amtool, postgres-exporter, PostgreSQL's server binaries and Chromium (the
# API reference's browser test, driven by playwright-core) — Debian packages (needs root and apt-get;
# otherwise it says what to install and the tests that need them fail) — and schemathesis (PyPI, into
# a virtual environment under ~/.cache/fediflow).
set -euo pipefail

# schemathesis (PyPI, pinned) in a virtual environment outside the repository, for test/boundaries.
bash "$(dirname "$0")/install-schemathesis.sh" >/dev/null

PACKAGES=(prometheus prometheus-alertmanager prometheus-postgres-exporter postgresql redis-server patch
  chromium fonts-dejavu-core)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages: ${missing[*]} (install them as root; the tests that run them fail until then)" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
# Packages may start their daemons where an init system runs; the tests start their own instances.
for unit in prometheus prometheus-alertmanager prometheus-postgres-exporter prometheus-node-exporter; do
  pkill -f "/usr/bin/${unit}( |$)" 2>/dev/null || true
done
