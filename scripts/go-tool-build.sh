#!/usr/bin/env bash
# Builds a Go program of the stack from the Go module proxy at the version this repository pins, into
# the cache outside the repository keyed by that version (scripts/lib/build-cache.sh), and reuses it.
# Prints the built binaries' paths, one a line; quiet otherwise (build log on failure).
#
#   scripts/go-tool-build.sh prometheus         prometheus, promtool      PROMETHEUS_IMAGE in .env
#   scripts/go-tool-build.sh alertmanager       alertmanager, amtool      ALERTMANAGER_IMAGE in .env
#   scripts/go-tool-build.sh jaeger             jaeger (v2 all-in-one)    JAEGER_MODULE_VERSION in .env
#   scripts/go-tool-build.sh sloth              sloth (SLO generator)     SLOTH_VERSION in .env
#
# `.env` is the one place each version lives: compose reads it for the images, this script for the
# builds, test/proof/versions.test.ts checks that the built programs report exactly those versions.
#
# Why not `go install module/cmd/x@version`: Prometheus' go.mod has exclude directives and Jaeger's has
# replace directives, and `go install pkg@version` refuses both. So every build runs in a throw-away main
# module that requires the program at its version and repeats the program's own replace directives
# (read from its go.mod), which is what `go install` would have to honour.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lib/build-cache.sh
. "$root/scripts/lib/build-cache.sh"

name="${1:-}"
pin() {
  local value
  value="$(sed -n "s/^$1=//p" "$root/.env")"
  [ -n "$value" ] || {
    echo "go-tool-build: $1 is not set in $root/.env" >&2
    exit 1
  }
  echo "$value"
}
image_tag() { pin "$1" | sed 's/.*://'; }
# Most Prometheus-ecosystem programs print their version from prometheus/common/version.
common_version=github.com/prometheus/common/version

case "$name" in
  prometheus)
    tag="$(image_tag PROMETHEUS_IMAGE)" # v3.7.3
    # Prometheus publishes its Go module as v0: release 3.X.Y is module version v0.3XX.Y.
    IFS=. read -r major minor patch <<<"${tag#v}"
    version="v0.$((major * 100 + minor)).$patch"
    module=github.com/prometheus/prometheus
    packages=(cmd/prometheus cmd/promtool)
    ldflags="-X $common_version.Version=${tag#v} -X $common_version.Revision=$version"
    ;;
  alertmanager)
    version="$(image_tag ALERTMANAGER_IMAGE)" # v0.28.1
    module=github.com/prometheus/alertmanager
    packages=(cmd/alertmanager cmd/amtool)
    ldflags="-X $common_version.Version=${version#v} -X $common_version.Revision=$version"
    ;;
  jaeger)
    version="$(pin JAEGER_MODULE_VERSION)" # v1.76.0 = Jaeger v2.13.0
    module=github.com/jaegertracing/jaeger
    packages=(cmd/jaeger)
    ldflags=""
    ;;
  sloth)
    version="$(pin SLOTH_VERSION)" # v0.16.0
    module=github.com/slok/sloth
    packages=(cmd/sloth)
    ldflags="-X github.com/slok/sloth/internal/info.Version=$version"
    ;;
  *)
    echo "usage: go-tool-build.sh prometheus|alertmanager|jaeger|sloth" >&2
    exit 2
    ;;
esac

targets=()
imports=()
binaries=()
for package in "${packages[@]}"; do
  targets+=("$module/$package@$version")
  imports+=("$module/$package")
  binaries+=("$(basename "$package")")
done
cache_begin "$name" "$version" "${binaries[@]}"

cd "$work"
{
  # A refused module (the proxy's 403/404) is reported in the JSON, which then goes to the log.
  { go mod download -json "$module@$version" >"$work/download.json" || { cat "$work/download.json" && false; }; } &&
    gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' "$work/download.json")" &&
    go mod init "fediflow.local/$name-build" &&
    # The program's replace directives (`old => new version`, one-line or block form), copied as-is.
    { sed -n -e 's/^replace \([^(].*\)$/\1/p' -e '/^replace (/,/^)/{/^replace (/d;/^)/d;p}' "$gomod" || true; } |
    while read -r left _arrow right; do
      [ -n "$left" ] && go mod edit -replace="${left}=${right// /@}"
    done &&
    go get "${targets[@]}" &&
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w $ldflags" -o "$work/out/" "${imports[@]}"
} >"$log" 2>&1 || cache_fail "build of $module@$version (${packages[*]}) failed"
cache_commit
