#!/usr/bin/env bash
# `npm test`: the whole suite, with the HTTP-level suites once per runtime.
#
#   1. every test file except the HTTP-level ones (unit tests, real-process suites: faults, federation,
#      alerting, proofs), with the test process on Node;
#   2. the HTTP-level suites, files named `*.http.test.ts`, once against a server started on Node, once
#      on Bun and once on Deno (FEDIFLOW_TEST_RUNTIME; the test process stays on Node and drives the
#      server over loopback HTTP). A new file named that way joins the three runs by itself.
#
# Extra arguments go to every `node --test` run (e.g. `npm test -- --test-reporter=dot`). Each run goes
# on after a failure; the exit code is non-zero when any failed, and the closing lines give the counts.
set -uo pipefail
cd "$(dirname "$0")/.."

# Real PostgreSQL and Redis, installed and started idempotently (scripts/test-services.sh runs
# install-tools.sh first), unless the caller exported its own: no suite runs without them.
if [ -n "${TEST_DATABASE_URL:-}" ] && [ -n "${TEST_REDIS_URL:-}" ]; then
  bash scripts/install-tools.sh || exit 1
else
  services="$(bash scripts/test-services.sh)" || exit 1
  eval "$services"
fi

summary=()
failed=0
passed_total=0
failed_total=0
# Runs one `node --test` pass; keeps its "tests/pass/fail" counts for the summary.
run_pass() {
  local name="$1"
  shift
  local log
  log="$(mktemp)"
  echo "== ${name}" >&2
  node --test --test-concurrency=1 "$@" "${EXTRA_ARGS[@]}" 2>&1 | tee "$log"
  local code="${PIPESTATUS[0]}"
  local tests pass fail
  tests="$(grep -Eo '^# tests [0-9]+|^ℹ tests [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')"
  pass="$(grep -Eo '^# pass [0-9]+|^ℹ pass [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')"
  fail="$(grep -Eo '^# fail [0-9]+|^ℹ fail [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+$')"
  rm -f "$log"
  summary+=("$(printf '%-22s tests %4s  pass %4s  fail %4s  exit %s' "$name" "${tests:-?}" "${pass:-?}" "${fail:-?}" "$code")")
  passed_total=$((passed_total + ${pass:-0}))
  failed_total=$((failed_total + ${fail:-0}))
  [ "$code" -eq 0 ] || failed=1
}

EXTRA_ARGS=("$@")
# Concurrency 1: several suites start servers, databases and Redis instances of their own and measure
# behaviour under load on a 2-core machine.
FEDIFLOW_TEST_RUNTIME="" run_pass "unit and process suites" \
  "src/**/!(*.http).test.ts" "test/!(pipeline)/**/!(*.http).test.ts"
for runtime in node bun deno; do
  FEDIFLOW_TEST_RUNTIME="$runtime" run_pass "HTTP suites on ${runtime}" \
    "src/**/*.http.test.ts" "test/!(pipeline)/**/*.http.test.ts"
done

echo
printf '%s\n' "${summary[@]}"
echo "total: ${passed_total} passed, ${failed_total} failed"
exit "$failed"
