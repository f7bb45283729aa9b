#!/bin/sh
# What users rely on from the official postgres image's docker-entrypoint.sh, over Debian's
# server binaries: arguments starting with "-" go to postgres; on an empty data directory, initdb
# with POSTGRES_USER (superuser, default postgres) and POSTGRES_PASSWORD (required), password
# (scram-sha-256) authentication for every TCP client, listening on all addresses, and
# POSTGRES_DB (default: the user's name) created; then postgres in the foreground. PGBIN is set
# when the harness installs this file.
set -eu
PGBIN="@PGBIN@"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
if [ $# -eq 0 ]; then
  set -- postgres
fi
case "$1" in -*) set -- postgres "$@" ;; esac
if [ "$1" != postgres ]; then
  exec "$@"
fi
shift
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
# Debian builds postgres for /var/run/postgresql; a container has its own socket folder.
sockets="$(mktemp -d)"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "Error: Database is uninitialized and superuser password is not specified." >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086
  "$PGBIN/initdb" --username="$user" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-} >&2
  rm -f "$pwfile"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" \
    >>"$PGDATA/pg_hba.conf"
  "$PGBIN/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses='' -k $sockets" start >&2
  if [ "$db" != postgres ]; then
    "$PGBIN/psql" -v ON_ERROR_STOP=1 -h "$sockets" -U "$user" -d postgres \
      -c "CREATE DATABASE \"$db\"" >&2
  fi
  "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >&2
  echo "PostgreSQL init process complete; ready for start up." >&2
fi
exec "$PGBIN/postgres" -k "$sockets" "$@"
