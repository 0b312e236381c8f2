#!/usr/bin/env bash
# Installs (Debian packages) and starts, idempotently, what the integration suite runs against:
# PostgreSQL 15 with pg_stat_statements and Redis, both on loopback. Prints the URLs to export.
set -euo pipefail

PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
PACKAGES=(postgresql redis-server prometheus prometheus-alertmanager prometheus-postgres-exporter)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# Debian starts services on install only where an init system runs; here nothing runs by itself.
for unit in prometheus prometheus-alertmanager prometheus-postgres-exporter prometheus-node-exporter; do
  pkill -f "/usr/bin/${unit}( |$)" 2>/dev/null || true
done

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
