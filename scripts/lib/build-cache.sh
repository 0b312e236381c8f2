# Shared by the scripts that build programs into the cache outside the repository (sourced, not run):
# one directory per build key under the cache root, reused when present, built at most once at a time
# (a concurrent caller waits on a lock and then reuses the result), assembled in a scratch directory and
# moved into place in one rename, so a crashed build never leaves a half-filled entry behind.
#
#   FEDIFLOW_CACHE_DIR  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/fediflow)
#
# Usage, in a script with `set -euo pipefail`:
#   . "$(dirname "$0")/lib/build-cache.sh"
#   cache_begin NAME KEY BINARY...   # prints the cached binaries' paths and exits 0 when present;
#                                    # otherwise holds the lock and sets $work (scratch, removed on
#                                    # exit), $log ($work/build.log) and $out (the final directory)
#   ... build BINARY... into "$work/out" (quiet; output into "$log"), `cache_fail MESSAGE` on error ...
#   cache_commit                     # moves $work/out to $out and prints the binaries' paths

cache_root="${FEDIFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fediflow}"
cache_name=""
cache_binaries=()

# Prints the path of every binary of the entry, one a line; fails if one is missing.
cache_print() {
  local bin
  for bin in "${cache_binaries[@]}"; do
    [ -x "$out/$bin" ] || return 1
  done
  for bin in "${cache_binaries[@]}"; do
    echo "$out/$bin"
  done
}

cache_begin() {
  cache_name="$1"
  local key="$2"
  shift 2
  cache_binaries=("$@")
  out="$cache_root/$cache_name-$key"
  if cache_print 2>/dev/null; then
    exit 0
  fi
  command -v go >/dev/null || {
    echo "$cache_name-build: Go is required (https://go.dev/dl/)" >&2
    exit 1
  }
  mkdir -p "$cache_root"
  exec 9>"$cache_root/$cache_name-$key.lock"
  flock 9
  if cache_print 2>/dev/null; then
    exit 0
  fi
  work="$(mktemp -d "$cache_root/.$cache_name-$key.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $work is fixed for this build
  trap "rm -rf '$work'" EXIT
  log="$work/build.log"
  mkdir -p "$work/out"
}

cache_fail() {
  cat "$log" >&2 2>/dev/null || true
  echo "$cache_name-build: $1" >&2
  exit 1
}

cache_commit() {
  mv -T "$work/out" "$out"
  cache_print
}
