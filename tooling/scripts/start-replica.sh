#!/usr/bin/env bash
# Create and start a PostgreSQL 15 streaming replica of the primary on
# 127.0.0.1:5432, listening on 127.0.0.1:5433, for the replica routing tests.
#
# The first run copies the primary with pg_basebackup into
# CHAKRA_REPLICA_DIR (default /var/lib/postgresql/chakra-replica). Later
# runs start that copy again, or exit 0 when it is already running. The
# commands that touch the data folder run as the postgres OS user, so the
# script must run as root or as postgres.
#
# When the primary rejects replication connections from 127.0.0.1, the
# script appends `host replication all 127.0.0.1/32 trust` to its
# pg_hba.conf and reloads it. It never restarts the primary: a wal_level or
# max_wal_senders that would need a restart is reported as an error.
#
# Missing PostgreSQL binaries are skipped with a message. Set
# CHAKRA_REQUIRE_DBS=1 to make that, and every other failure, exit 1.
# Set CHAKRA_DB_WAIT_SECONDS to change how long to wait (default 60).
set -euo pipefail

require_dbs="${CHAKRA_REQUIRE_DBS:-0}"
wait_seconds="${CHAKRA_DB_WAIT_SECONDS:-60}"
pg_bin="/usr/lib/postgresql/15/bin"
primary_port=5432
replica_port=5433
data_dir="${CHAKRA_REPLICA_DIR:-/var/lib/postgresql/chakra-replica}"
log_file="${data_dir}.log"
lock_file="${data_dir}.lock"

# Print the skip message and exit 0, or fail when CHAKRA_REQUIRE_DBS=1.
skip_or_fail() {
  local message="$1"
  if [[ "$require_dbs" == "1" ]]; then
    echo "error: $message (CHAKRA_REQUIRE_DBS=1)" >&2
    exit 1
  fi
  echo "skipped: $message"
  exit 0
}

fail() {
  echo "error: $1" >&2
  exit 1
}

as_postgres() {
  if [[ "$(id -un)" == "postgres" ]]; then
    "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

primary_sql() {
  psql -h 127.0.0.1 -p "$primary_port" -U postgres -d postgres -tAXc "$1"
}

replica_sql() {
  psql -h 127.0.0.1 -p "$replica_port" -U postgres -d postgres -tAXc "$1"
}

# True when the primary accepts a physical replication connection from
# 127.0.0.1 as user postgres.
replication_allowed() {
  psql "host=127.0.0.1 port=$primary_port user=postgres replication=true" -tAXc "IDENTIFY_SYSTEM" >/dev/null 2>&1
}

# True when the replica accepts connections, is in recovery and streams WAL
# from the primary.
replica_streaming() {
  pg_isready -h 127.0.0.1 -p "$replica_port" -q >/dev/null 2>&1 || return 1
  [[ "$(replica_sql "select pg_is_in_recovery()" 2>/dev/null)" == "t" ]] || return 1
  [[ "$(replica_sql "select status from pg_stat_wal_receiver" 2>/dev/null)" == "streaming" ]]
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

if [[ ! -x "$pg_bin/pg_ctl" ]] || ! command -v pg_basebackup >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
  skip_or_fail "PostgreSQL 15 is not installed ($pg_bin/pg_ctl, pg_basebackup or pg_isready not found)"
fi
if [[ "$(id -un)" != "root" && "$(id -un)" != "postgres" ]]; then
  skip_or_fail "start-replica.sh must run as root or postgres, not $(id -un)"
fi

echo "replica: checking the primary on 127.0.0.1:$primary_port"
if ! pg_isready -h 127.0.0.1 -p "$primary_port" -q >/dev/null 2>&1; then
  skip_or_fail "the primary on 127.0.0.1:$primary_port does not accept connections; run start-databases.sh first"
fi

# Two runs sharing one data folder must not copy or start it at the same
# time, so the rest of the script holds an exclusive lock.
[[ -e "$lock_file" ]] || as_postgres touch "$lock_file"
exec 9>>"$lock_file"
if ! flock -w "$wait_seconds" 9; then
  fail "timed out after ${wait_seconds} s waiting for the lock $lock_file held by another start-replica.sh"
fi

if replica_streaming; then
  echo "replica: already running on 127.0.0.1:$replica_port, in recovery and streaming"
  exit 0
fi

wal_level="$(primary_sql "show wal_level")"
max_wal_senders="$(primary_sql "show max_wal_senders")"
echo "replica: primary has wal_level=$wal_level, max_wal_senders=$max_wal_senders"
if [[ "$wal_level" != "replica" && "$wal_level" != "logical" ]] || ((max_wal_senders < 1)); then
  fail "the primary needs wal_level=replica and max_wal_senders >= 1, which take a server restart; this script does not restart the shared primary, so set them and restart it by hand"
fi

if replication_allowed; then
  echo "replica: primary accepts replication connections from 127.0.0.1"
else
  hba_file="$(primary_sql "show hba_file")"
  echo "replica: adding 'host replication all 127.0.0.1/32 trust' to $hba_file and reloading the primary"
  printf '%s\n' "host replication all 127.0.0.1/32 trust" >>"$hba_file"
  primary_sql "select pg_reload_conf()" >/dev/null
  # The postmaster rereads pg_hba.conf asynchronously after the reload signal.
  wait_until replication_allowed ||
    fail "the primary still rejects replication connections from 127.0.0.1 after the reload; check $hba_file for an earlier line that matches"
fi

if [[ -f "$data_dir/PG_VERSION" ]]; then
  echo "replica: using the existing data folder $data_dir"
else
  echo "replica: copying the primary into $data_dir with pg_basebackup"
  rm -rf "$data_dir"
  as_postgres mkdir -p -m 700 "$data_dir"
  if ! as_postgres pg_basebackup -h 127.0.0.1 -p "$primary_port" -U postgres -D "$data_dir" -R -X stream; then
    rm -rf "$data_dir"
    fail "pg_basebackup from 127.0.0.1:$primary_port failed; see its output above"
  fi

  # Debian keeps postgresql.conf and pg_hba.conf in /etc, so the copy has
  # neither. A hot standby refuses to start when these limits are lower
  # than on the primary, so they are copied from it.
  {
    echo "# Written by tooling/scripts/start-replica.sh."
    echo "hot_standby = on"
    for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
      echo "$setting = $(primary_sql "show $setting")"
    done
  } | as_postgres tee "$data_dir/postgresql.conf" >/dev/null
  printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" |
    as_postgres tee "$data_dir/pg_hba.conf" >/dev/null
  echo "replica: wrote postgresql.conf and pg_hba.conf in $data_dir"
fi

if as_postgres "$pg_bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
  echo "replica: server on $data_dir is running; waiting for it to stream"
else
  echo "replica: starting the server on 127.0.0.1:$replica_port, log $log_file"
  as_postgres touch "$log_file"
  # 9>&- keeps the server from inheriting the lock's descriptor, which
  # would hold the lock for as long as the replica runs.
  as_postgres "$pg_bin/pg_ctl" -D "$data_dir" -l "$log_file" -w -t "$wait_seconds" \
    -o "-p $replica_port -c listen_addresses=127.0.0.1 -k /tmp" start >/dev/null 9>&- ||
    fail "pg_ctl failed to start the replica; see $log_file"
fi

if ! wait_until replica_streaming; then
  fail "timed out after ${wait_seconds} s waiting for the replica on 127.0.0.1:$replica_port to be in recovery and streaming; see $log_file. If the primary has removed WAL the copy needs, stop the replica, delete $data_dir and run this script again"
fi
echo "replica: ready on 127.0.0.1:$replica_port, in recovery and streaming from 127.0.0.1:$primary_port"
