#!/usr/bin/env bash
# Builds FediFlow's Collector distribution (otelcol-fediflow) from otel-collector/builder-config.yaml with
# the Collector builder, into the cache outside the repository keyed by the manifest's SHA-256
# (scripts/lib/build-cache.sh), and reuses it when present. Prints the binary's path on stdout; quiet
# otherwise (build log on failure).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lib/build-cache.sh
. "$root/scripts/lib/build-cache.sh"
manifest="$root/otel-collector/builder-config.yaml"

# The builder's version is the core version the manifest pins (one release line).
version="$(sed -n 's#^ *- gomod: go.opentelemetry.io/collector/receiver/otlpreceiver \(v[0-9.]*\).*#\1#p' "$manifest")"
if [ -z "$version" ]; then
  echo "collector-build: cannot read the core version (otlpreceiver line) from $manifest" >&2
  exit 1
fi

cache_begin otelcol "$(sha256sum "$manifest" | cut -d' ' -f1)" otelcol-fediflow

tools="$cache_root/tools/builder-$version"
if [ ! -x "$tools/builder" ]; then
  GOBIN="$tools" go install "go.opentelemetry.io/collector/cmd/builder@$version" >"$log" 2>&1 ||
    cache_fail "cannot install the Collector builder $version"
fi
sed "s#^\( *output_path:\).*#\1 $work/src#" "$manifest" >"$work/manifest.yaml"
"$tools/builder" --config "$work/manifest.yaml" >"$log" 2>&1 || cache_fail "builder failed (manifest $manifest)"
mv "$work/src/otelcol-fediflow" "$work/out/otelcol-fediflow"
cp "$manifest" "$work/out/builder-config.yaml"
cache_commit
