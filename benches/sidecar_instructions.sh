#!/usr/bin/env bash
# User-space instructions per proxied 1 KB request — gwcost-sidecar, nginx and HAProxy, each run
# under `valgrind --tool=callgrind` in one run on loopback.
#
#   benches/sidecar_instructions.sh        # from the repository root
#
# Why instructions: on a shared, noisy machine req/s and CPU seconds move with the neighbours;
# instructions executed per request do not (within about 1 %), so they show what a change to the
# request path saves. They count user space only (the proxy's code, libc, the allocator): the
# kernel's share (loopback TCP, wake-ups) is not in them; `perf stat` and the wrk table in
# sidecar_vs_nginx.sh cover that.
#
# Each proxy starts under callgrind with instrumentation off; after a warm-up, instrumentation is
# switched on (`callgrind_control -i on`), `wrk -t1 -c$CONNS -d$DURATION` sends 1 KB GETs, and
# instrumentation is switched off again before anything else runs. Instructions (Ir) / requests
# completed in that window (the proxy's own count: the sidecar's /metrics counter, the line count
# of nginx's and HAProxy's access logs) is the figure. Every proxy logs each request as JSON, as in
# sidecar_vs_nginx.sh: nginx (1 process, `master_process off`), HAProxy (`nbthread 1`, log to
# stdout), the sidecar (schema-v1 log, SIDECAR_WORKERS data threads, default 1).
#
# Environment: SIDECAR (binary; default: build release), DURATION (10s), CONNS (8),
# SIDECAR_WORKERS (1), PEERS ("nginx haproxy"), KEEP=1 keeps the work directory and callgrind's
# output (callgrind_annotate it to see where the instructions go).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNS="${CONNS:-8}"
SIDECAR_WORKERS="${SIDECAR_WORKERS:-1}"
PEERS="${PEERS-nginx haproxy}"
UP_PORT=18191
PX_PORT=18192
ADMIN_PORT=18194

for tool in valgrind callgrind_control wrk curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool (apt-get install valgrind wrk curl)" >&2; exit 2; }
done
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"

if [ -z "${SIDECAR:-}" ]; then
  echo "== building gwcost-sidecar (release)"
  cargo build --release --quiet -p gwcost-sidecar
  SIDECAR="${CARGO_TARGET_DIR:-target}/release/gwcost-sidecar"
fi

WORK="$(mktemp -d /tmp/sidecar-instr.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

python3 -c 'import base64, os, sys; sys.stdout.write(base64.b64encode(os.urandom(1024)).decode()[:1024])' >"$WORK/1k.txt"
mkdir -p "$WORK/up" "$WORK/nginx"
cat >"$WORK/up/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/up/nginx.pid;
error_log $WORK/up/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$UP_PORT;
    location / { root $WORK; }
  }
}
EOF
"$NGINX" -c "$WORK/up/nginx.conf" -p "$WORK/up" &
PIDS+=($!)

wait_port() {
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "http://127.0.0.1:$1/1k.txt"; then return 0; fi
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2
  exit 1
}
wait_port $UP_PORT

# The proxies' configurations (one at a time on $PX_PORT).
cat >"$WORK/nginx/nginx.conf" <<EOF
master_process off;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  log_format json escape=json '{"requestId":"\$request_id","requestTimeEpoch":\$msec,'
    '"httpMethod":"\$request_method","path":"\$uri","protocol":"\$server_protocol",'
    '"status":\$status,"requestLength":\$request_length,"responseLength":\$bytes_sent,'
    '"integrationLatency":"\$upstream_response_time","responseLatency":\$request_time,'
    '"ip":"\$remote_addr","userAgent":"\$http_user_agent"}';
  access_log $WORK/nginx/access.log json buffer=64k flush=1s;
  keepalive_requests 1000000;
  upstream app { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$PX_PORT;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
EOF
benches/haproxy_conf.sh "$PX_PORT" "$UP_PORT" >"$WORK/haproxy.cfg"
printf '[throttle]\nrate_limit = 1000000000\nburst = 1000000000\n' >"$WORK/sidecar.toml"

# Counts requests the proxy finished: `count NAME`.
count() {
  case $1 in
    sidecar) curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '/^gwcost_requests_total\{/ {s += $2} END {print s + 0}' ;;
    nginx) sleep 1.2; wc -l <"$WORK/nginx/access.log" ;; # flush=1s
    haproxy) wc -l <"$WORK/haproxy.log" ;;
  esac
}

declare -A IPR
echo "== user-space instructions per 1 KB request under callgrind (wrk -t1 -c$CONNS -d$DURATION; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
for n in sidecar $PEERS; do
  out="$WORK/callgrind.out.$n"
  vg=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out")
  case $n in
    sidecar)
      GWCOST_LOG=warn "${vg[@]}" "$SIDECAR" --listen "127.0.0.1:$PX_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
        --upstream "http://127.0.0.1:$UP_PORT" --access-log "$WORK/sidecar.log" --config "$WORK/sidecar.toml" \
        --workers "$SIDECAR_WORKERS" 2>"$WORK/sidecar.err" &
      ;;
    nginx) "${vg[@]}" "$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>"$WORK/nginx.err" & ;;
    haproxy) "${vg[@]}" "$HAPROXY" -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>"$WORK/haproxy.err" & ;;
  esac
  pid=$!
  PIDS+=($pid)
  wait_port $PX_PORT
  wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$PX_PORT/1k.txt" >/dev/null # warm-up
  sleep 1.5
  before=$(count "$n")
  callgrind_control -i on "$pid" >/dev/null 2>&1
  wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$PX_PORT/1k.txt" >"$WORK/wrk.$n"
  callgrind_control -i off "$pid" >/dev/null 2>&1
  sleep 1.5
  after=$(count "$n")
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  # callgrind's closing words on the process's stderr: "Collected : N".
  ir=$(awk '/Collected :/ {print $NF}' "$WORK/$n.err" | tail -1)
  reqs=$((after - before))
  IPR[$n]=$(python3 -c "print(round($ir / max($reqs, 1)))")
  printf '%-8s %12s instructions / %8s requests = %7s per request\n' "$n" "$ir" "$reqs" "${IPR[$n]}"
done
for n in $PEERS; do
  python3 -c "print(f'sidecar/$n: {${IPR[sidecar]} / ${IPR[$n]}:.2f}x instructions per request')"
done
