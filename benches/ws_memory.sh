#!/usr/bin/env bash
# Memory per idle WebSocket connection: gwcost-sidecar vs nginx (1 worker), in one run.
#
#   benches/ws_memory.sh                   # from the repository root; N=10000 by default
#
# One Python `websockets` echo service; each proxy in turn gets N client connections (each
# sends one message and waits for its echo, then stays idle), and the proxy's RSS is read
# before the clients connect and once all N are open. Prints kB per connection for both and the
# ratio. Raises the open-file limit (N client sockets + N upstream sockets per proxy).
#
# Environment: N (10000), KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-10000}"
UP_PORT=18191
NGINX_PORT=18192
SIDECAR_PORT=18193
ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# Each proxy holds two sockets per connection (client and upstream).
LIMIT=$(ulimit -n)
if [ $((2 * N + 200)) -gt "$LIMIT" ]; then
  echo "open-file limit $LIMIT (hard limit $(ulimit -Hn)) is too low for $N connections: N=$(((LIMIT - 200) / 2))" >&2
  N=$(((LIMIT - 200) / 2))
fi

command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
python3 -c 'import websockets' 2>/dev/null || python3 -m pip install --quiet websockets
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

# SIDECAR=/path/to/gwcost-sidecar measures that binary instead (a shared target directory's
# release binary may be rebuilt from another checkout meanwhile).
if [ -z "${SIDECAR:-}" ]; then
  echo "== building gwcost-sidecar (release)"
  cargo build --release --quiet -p gwcost-sidecar
  SIDECAR="${CARGO_TARGET_DIR:-target}/release/gwcost-sidecar"
fi

WORK="$(mktemp -d /tmp/ws-memory.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

python3 benches/ws_memory.py echo $UP_PORT &
PIDS+=($!)

cat >"$WORK/nginx.conf" <<NGX
worker_processes 1;
worker_rlimit_nofile 1048576;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 65536; }
http {
  access_log $WORK/access.log;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / {
      proxy_pass http://127.0.0.1:$UP_PORT;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 1h;
    }
  }
}
NGX
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_MASTER=$!
PIDS+=($NGINX_MASTER)
GWCOST_LOG=warn "$SIDECAR" --listen "127.0.0.1:$SIDECAR_PORT" --upstream "http://127.0.0.1:$UP_PORT" \
  --access-log "$WORK/sidecar.log" 2>"$WORK/sidecar.err" &
SC_PID=$!
PIDS+=($SC_PID)
sleep 1
NGINX_WORKER="$(pgrep -P "$NGINX_MASTER" | xargs)"

rss_kb() { local t=0 p; for p in $1; do t=$((t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status"))); done; echo $t; }

# Holds N connections through port $1, prints "before after" RSS (kB) of processes $2.
measure() {
  local port=$1 procs=$2 before after
  before=$(rss_kb "$procs")
  coproc HOLD { python3 benches/ws_memory.py hold "ws://127.0.0.1:$port/ws" "$N"; }
  local line
  read -r line <&"${HOLD[0]}"
  [ "$line" = "ready $N" ] || { echo "clients: $line" >&2; exit 1; }
  sleep 2
  after=$(rss_kb "$procs")
  exec {HOLD[1]}>&- # closing stdin makes the clients close their connections
  wait "$HOLD_PID" 2>/dev/null || true
  echo "$before $after"
}

echo "== $N idle WebSocket connections, one echoed message each (load average $(cut -d' ' -f1-3 /proc/loadavg))"
read -r SB SA <<<"$(measure $SIDECAR_PORT "$SC_PID")"
read -r NB NA <<<"$(measure $NGINX_PORT "$NGINX_MASTER $NGINX_WORKER")"
python3 - "$N" "$SB" "$SA" "$NB" "$NA" <<'PY'
import sys
n, sb, sa, nb, na = map(int, sys.argv[1:])
s, g = (sa - sb) / n, (na - nb) / n
print(f"sidecar: RSS {sb/1024:.1f} MB -> {sa/1024:.1f} MB, {s:.1f} kB per connection")
print(f"nginx:   RSS {nb/1024:.1f} MB -> {na/1024:.1f} MB, {g:.1f} kB per connection (master + 1 worker)")
print(f"sidecar/nginx per connection: {s/g:.2f}x")
PY
LINES=$(grep -c '"eventType":"CONNECT"' "$WORK/sidecar.log" || true)
echo "sidecar CONNECT lines: $LINES (of $N)"
