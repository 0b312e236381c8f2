#!/usr/bin/env bash
# Installs, when missing, the Debian packages the test suite runs for real: PostgreSQL's server binaries,
# Redis, postgres-exporter, patch (the fault suite reverses the postgres.js patch on a copy) and
# Chromium with a font (the API reference's browser test, driven by playwright-core). Needs
# root and apt-get; otherwise it says what to install and the tests that need them fail. Also
# schemathesis (PyPI, pinned, into a virtual environment under ~/.cache/fediflow) for test/boundaries.
#
# postgres-exporter is Debian's 0.11.1, not the 0.18.1 compose ships: the Go module proxy refuses
# github.com/prometheus-community/postgres_exporter (403, every version), so it cannot be built here;
# its test checks prometheus/postgres-exporter/queries.yaml, a format both releases read.
#
# Prometheus, promtool, Alertmanager, amtool, Jaeger, Sloth and the Collector are not Debian packages
# here: they are built from the Go module proxy at exactly the versions the repository
# pins (.env, otel-collector/builder-config.yaml) by scripts/go-tool-build.sh and
# scripts/collector-build.sh, cached outside the repository (`npm run tools:build` builds them all).
set -euo pipefail

# schemathesis (PyPI, pinned) in a virtual environment outside the repository, for test/boundaries.
bash "$(dirname "$0")/install-schemathesis.sh" >/dev/null

PACKAGES=(postgresql redis-server prometheus-postgres-exporter patch chromium fonts-dejavu-core)
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
# The package starts its daemon where an init system runs; the test starts its own instance.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus-postgres-exporter 2>/dev/null; then
  systemctl stop prometheus-postgres-exporter || true
fi
