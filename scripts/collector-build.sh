#!/usr/bin/env bash
# Builds FediFlow's Collector distribution (otelcol-fediflow) from otel-collector/builder-config.yaml with
# the Collector builder, into a cache directory outside the repository keyed by the manifest's SHA-256,
# and reuses it when present. Prints the binary's path on stdout; quiet otherwise (build log on failure).
#   FEDIFLOW_CACHE_DIR  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/fediflow)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$root/otel-collector/builder-config.yaml"
cache="${FEDIFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fediflow}"

# The builder's version is the core version the manifest pins (one release line).
version="$(sed -n 's#^ *- gomod: go.opentelemetry.io/collector/receiver/otlpreceiver \(v[0-9.]*\).*#\1#p' "$manifest")"
if [ -z "$version" ]; then
  echo "collector-build: cannot read the core version (otlpreceiver line) from $manifest" >&2
  exit 1
fi
hash="$(sha256sum "$manifest" | cut -d' ' -f1)"
out="$cache/otelcol-$hash"
bin="$out/otelcol-fediflow"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "collector-build: Go is required (https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$cache"
# One build per manifest at a time; a concurrent caller waits and then reuses the result.
exec 9>"$cache/otelcol-$hash.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d "$cache/.otelcol-$hash.XXXXXX")"
trap 'rm -rf "$work"' EXIT

tools="$cache/tools/builder-$version"
if [ ! -x "$tools/builder" ]; then
  if ! GOBIN="$tools" go install "go.opentelemetry.io/collector/cmd/builder@$version" >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    echo "collector-build: cannot install the Collector builder $version" >&2
    exit 1
  fi
fi
sed "s#^\( *output_path:\).*#\1 $work/src#" "$manifest" >"$work/manifest.yaml"
if ! "$tools/builder" --config "$work/manifest.yaml" >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  echo "collector-build: builder failed (manifest $manifest)" >&2
  exit 1
fi
mkdir -p "$work/out"
mv "$work/src/otelcol-fediflow" "$work/out/otelcol-fediflow"
cp "$manifest" "$work/out/builder-config.yaml"
mv -T "$work/out" "$out"
echo "$bin"
