#!/usr/bin/env bash
# Starts, idempotently, what the integration suite runs against: PostgreSQL 15 with
# pg_stat_statements and Redis, both on loopback (installing the Debian packages first when missing).
# Prints the URLs to export.
set -euo pipefail

PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
bash "$(dirname "$0")/install-tools.sh"

PG_VERSION="$(ls /usr/lib/postgresql | sort -n | tail -1)"
CONF="/etc/postgresql/${PG_VERSION}/main/postgresql.conf"
if ! grep -q "^shared_preload_libraries = 'pg_stat_statements'" "$CONF"; then
  echo "shared_preload_libraries = 'pg_stat_statements'" >> "$CONF"
  pg_ctlcluster "$PG_VERSION" main stop >/dev/null 2>&1 || true
fi
if ! pg_ctlcluster "$PG_VERSION" main status >/dev/null 2>&1; then
  pg_ctlcluster "$PG_VERSION" main start >&2
fi
su postgres -c "psql -q -p ${PG_PORT} -c \"alter user postgres password 'postgres'\"" >&2
# In template1 too, so every database a test creates has it.
for db in postgres template1; do
  su postgres -c "psql -q -p ${PG_PORT} -d $db -c 'create extension if not exists pg_stat_statements'" >&2
done

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no >&2
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

echo "export TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:${PG_PORT}/postgres"
echo "export TEST_REDIS_URL=redis://127.0.0.1:${REDIS_PORT}"
