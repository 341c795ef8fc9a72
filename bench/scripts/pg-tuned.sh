#!/usr/bin/env bash
# Starts a PostgreSQL cluster of its own for the benchmarks, configured as docs/benchmarks.md
# describes for a province's server (24 GiB, the database beside the application) rather than
# with the packaged defaults (128 MB of shared buffers, 1 GB of WAL between checkpoints), and
# prints its URL. The machine's own cluster is left as it is.
#
# Usage: bench/scripts/pg-tuned.sh [PORT] [DIR]     (default 5433, /tmp/anbiao-pg-tuned)
#        bench/scripts/pg-tuned.sh stop [DIR]
set -euo pipefail
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
if [ "${1:-}" = "stop" ]; then
  DIR="${2:-/tmp/anbiao-pg-tuned}"
  su postgres -c "$BIN/pg_ctl -D $DIR/data -m fast stop" >/dev/null
  exit 0
fi
PORT="${1:-5433}"
DIR="${2:-/tmp/anbiao-pg-tuned}"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  mkdir -p "$DIR"
  chown postgres "$DIR"
  su postgres -c "$BIN/initdb -D $DIR/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
shared_buffers = 4GB
effective_cache_size = 12GB
work_mem = 32MB
maintenance_work_mem = 1GB
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
wal_compression = on
wal_buffers = 64MB
CONF
fi
if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  su postgres -c "$BIN/pg_ctl -D $DIR/data -l $DIR/log -w start" >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
