#!/usr/bin/env bash
# Start the local PostgreSQL and MariaDB servers that the dialect tests use,
# wait until both accept connections on 127.0.0.1, and create database `test`
# on each.
#
# A missing server is skipped with a message, so the script succeeds on
# machines without them. Set CHAKRA_REQUIRE_DBS=1 to make a missing or
# unresponsive server an error.
# Set CHAKRA_DB_WAIT_SECONDS to change how long to wait (default 60).
set -euo pipefail

require_dbs="${CHAKRA_REQUIRE_DBS:-0}"
wait_seconds="${CHAKRA_DB_WAIT_SECONDS:-60}"
failed=0

fail_or_skip() {
  local message="$1"
  if [[ "$require_dbs" == "1" ]]; then
    echo "error: $message (CHAKRA_REQUIRE_DBS=1)" >&2
    failed=1
  else
    echo "skipped: $message"
  fi
}

postgres_ready() {
  pg_isready -h 127.0.0.1 -q >/dev/null 2>&1
}

mariadb_ready() {
  mariadb-admin -h127.0.0.1 -uroot ping >/dev/null 2>&1
}

# Poll `check` once a second for at most $wait_seconds seconds.
wait_until() {
  local check="$1"
  local deadline=$((SECONDS + wait_seconds))
  while ((SECONDS < deadline)); do
    if "$check"; then
      return 0
    fi
    sleep 1
  done
  "$check"
}

start_postgres() {
  if ! command -v pg_isready >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    fail_or_skip "PostgreSQL is not installed (pg_isready or pg_ctlcluster not found)"
    return
  fi
  if ! postgres_ready; then
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z "$version" ]]; then
      fail_or_skip "PostgreSQL has no cluster under /etc/postgresql"
      return
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  if ! wait_until postgres_ready; then
    fail_or_skip "PostgreSQL did not accept connections on 127.0.0.1:5432 within ${wait_seconds} s"
    return
  fi
  local exists
  exists="$(psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")"
  if [[ "$exists" != "1" ]]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test"
  fi
  echo "postgres: ready on 127.0.0.1:5432, database test"
}

start_mariadb() {
  if ! command -v mariadb-admin >/dev/null 2>&1 || [[ ! -x /usr/sbin/mariadbd ]]; then
    fail_or_skip "MariaDB is not installed (mariadb-admin or /usr/sbin/mariadbd not found)"
    return
  fi
  if ! mariadb_ready; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  fi
  if ! wait_until mariadb_ready; then
    fail_or_skip "MariaDB did not accept connections on 127.0.0.1:3306 within ${wait_seconds} s"
    return
  fi
  mariadb -h127.0.0.1 -uroot -e "CREATE DATABASE IF NOT EXISTS test"
  echo "mariadb: ready on 127.0.0.1:3306, database test"
}

start_postgres
start_mariadb

if ((failed)); then
  echo "error: required database servers are not available. Install and start them, or unset CHAKRA_REQUIRE_DBS." >&2
  exit 1
fi
