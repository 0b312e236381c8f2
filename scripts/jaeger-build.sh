#!/usr/bin/env bash
# Builds Jaeger v2 (the all-in-one `jaeger` binary) from the Go module proxy into a cache directory
# outside the repository keyed by version, and reuses it when present. Prints the binary's path on
# stdout; quiet otherwise (build log on failure).
#   JAEGER_VERSION      Go module version of github.com/jaegertracing/jaeger (v1.76.0 = Jaeger v2.13.0)
#   FEDIFLOW_CACHE_DIR  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/fediflow)
#
# `go install github.com/jaegertracing/jaeger/cmd/jaeger@VERSION` is refused because Jaeger's go.mod has
# a replace directive; so the build runs in a throw-away main module that requires Jaeger at VERSION
# and repeats Jaeger's own replace directives (read from its go.mod), which is what `go install` would
# need to honour.
set -euo pipefail

version="${JAEGER_VERSION:-v1.76.0}"
module=github.com/jaegertracing/jaeger
cache="${FEDIFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fediflow}"
out="$cache/jaeger-$version"
bin="$out/jaeger"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "jaeger-build: Go is required (https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$cache"
exec 9>"$cache/jaeger-$version.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d "$cache/.jaeger-$version.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log="$work/build.log"
fail() {
  cat "$log" >&2
  echo "jaeger-build: $1" >&2
  exit 1
}

cd "$work"
{
  go mod download -json "$module@$version" >"$work/download.json" &&
    gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' "$work/download.json")" &&
    go mod init fediflow.local/jaeger-build &&
    # Jaeger's replace directives (`old => new version`, one-line or block form), copied as-is.
    sed -n -e 's/^replace \([^(].*\)$/\1/p' -e '/^replace (/,/^)/{/^replace (/d;/^)/d;p}' "$gomod" |
    while read -r left _arrow right; do
      go mod edit -replace="${left}=${right// /@}"
    done &&
    go get "$module/cmd/jaeger@$version" &&
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/out/jaeger" "$module/cmd/jaeger"
} >"$log" 2>&1 || fail "build of $module/cmd/jaeger@$version failed"
mv -T "$work/out" "$out"
echo "$bin"
