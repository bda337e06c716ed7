#!/bin/sh
# Starts a throwaway PostgreSQL cluster on a free port in a temp folder (as
# the `postgres` user when run as root), prints its URL, and stops and
# deletes it once process $1 (default: the caller's parent) has exited.
# Used by the Python client suite (make test-python); the Rust suite starts its own.
set -eu
owner=${1:-$PPID}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "no PostgreSQL binaries under /usr/lib/postgresql/*/bin" >&2; exit 1; }
dir=$(mktemp -d /tmp/sealvault-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null
(
  while kill -0 "$owner" 2>/dev/null; do sleep 1; done
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
) </dev/null >/dev/null 2>&1 &
echo "postgres://postgres@127.0.0.1:$port/postgres"
