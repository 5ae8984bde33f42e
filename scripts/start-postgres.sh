#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the test suite and print its URL.
# Installs Debian's postgresql package when the server binaries are missing. Idempotent: a server
# already running in $PGDATA is reused. initdb refuses to run as root, so root runs it as `postgres`.
set -euo pipefail
PGPORT="${PGPORT:-54329}"
PGDATA="${PGDATA:-/tmp/sounding-pg/data}"
find_bin() {
  command -v "$1" 2>/dev/null || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}
if [ -z "$(find_bin initdb)" ]; then
  echo "installing PostgreSQL server (Debian postgresql)…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
fi
INITDB=$(find_bin initdb); PG_CTL=$(find_bin pg_ctl)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi
mkdir -p "$(dirname "$PGDATA")"
[ "$(id -u)" = 0 ] && chown postgres "$(dirname "$PGDATA")"
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  as_pg "$INITDB" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
fi
if ! as_pg "$PG_CTL" -D "$PGDATA" status >/dev/null 2>&1; then
  as_pg "$PG_CTL" -D "$PGDATA" -l "$PGDATA/../server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k /tmp -c fsync=off -c max_connections=200" start >/dev/null
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
