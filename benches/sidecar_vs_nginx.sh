#!/usr/bin/env bash
# gwcost-sidecar vs nginx and HAProxy as metering reverse proxies, in one run on loopback.
#
#   benches/sidecar_vs_nginx.sh            # from the repository root
#
# Upstream: nginx (1 worker) serving static files of 1 KB, 100 KB and 1 MB. Each size measured
# three ways with `wrk -t1 -c32 -d5s --latency`, best of 3 by req/s:
#   direct      the upstream itself
#   nginx       nginx (1 worker) as a reverse proxy: JSON access log, keep-alive upstream pool
#   haproxy     HAProxy (Debian's 2.6, `nbthread 1`): JSON access log to stdout, connection reuse
#               (benches/haproxy_conf.sh)
#   sidecar     gwcost-sidecar (release build), schema-v1 JSON access log
# Then added latency at fixed offered loads (1k and 10k req/s) with `oha -q RATE`
# (latency-corrected), the way linkerd measures a sidecar: p50/p99 through each proxy minus
# direct. Prints req/s, p50/p99/max, the proxies' RSS (idle and after load) and CPU seconds, the
# ratios sidecar/nginx and sidecar/HAProxy, checks that the sidecar wrote one log line per
# request served, and ends with user-space instructions per request of all three under callgrind
# (benches/sidecar_instructions.sh; INSTRUCTIONS=0 skips it).
#
# The sidecar runs with its stage throttle raised (API Gateway's account default, 10,000 req/s,
# would answer most of the load 429).
#
# Environment: SIZES ("1k 100k 1m"), DURATION (5s), RUNS (3), CONNS (32), SIDECAR_WORKERS (1, like nginx's one
# worker and HAProxy's one thread; empty: the sidecar's own default, one per core), NGINX_WORKERS (1), NGINX_LOG_BUFFER (on: `buffer=64k flush=1s`; off: one write per
# request, nginx's default), RATES ("1000 10000"), KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES="${SIZES:-1k 100k 1m}"
DURATION="${DURATION:-5s}"
RUNS="${RUNS:-3}"
CONNS="${CONNS:-32}"
RATES="${RATES-1000 10000}"
NGINX_LOG_BUFFER="${NGINX_LOG_BUFFER:-on}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"
UP_PORT=18181
NGINX_PORT=18182
SIDECAR_PORT=18183
ADMIN_PORT=18184
HAPROXY_PORT=18185

need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
if [ "${INSTRUCTIONS:-1}" = 1 ]; then command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind); fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "== installing ${need_apt[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
OHA="$(command -v oha || true)"
if [ -z "$OHA" ] && [ -x "$HOME/.cargo/bin/oha" ]; then OHA="$HOME/.cargo/bin/oha"; fi
if [ -z "$OHA" ] && [ -z "$RATES" ]; then :; elif [ -z "$OHA" ]; then
  echo "== installing oha from crates.io (cargo install oha; takes a few minutes)"
  if cargo install oha --locked >/dev/null 2>&1; then OHA="$HOME/.cargo/bin/oha"; else
    echo "   oha did not build: the fixed-rate section is skipped"; fi
fi

# SIDECAR=/path/to/gwcost-sidecar measures that binary instead (a shared target directory's
# release binary may be rebuilt from another checkout meanwhile).
if [ -z "${SIDECAR:-}" ]; then
  echo "== building gwcost-sidecar (release)"
  cargo build --release --quiet -p gwcost-sidecar
  SIDECAR="${CARGO_TARGET_DIR:-target}/release/gwcost-sidecar"
fi

WORK="$(mktemp -d /tmp/sidecar-bench.XXXXXX)"
chmod 755 "$WORK" # nginx workers run as another user
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Printable bodies of exactly 1 KB, 100 KB and 1 MB (no pipe into `head`: SIGPIPE under pipefail).
for f in 1k:1024 100k:102400 1m:1048576; do
  python3 -c 'import base64, os, sys; n = int(sys.argv[1]); sys.stdout.write(base64.b64encode(os.urandom(n)).decode()[:n])' \
    "${f#*:}" >"$WORK/${f%%:*}.txt"
done
printf '[throttle]\nrate_limit = 1000000000\nburst = 1000000000\n' >"$WORK/sidecar.toml"
mkdir -p "$WORK/up" "$WORK/px"

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
    listen 127.0.0.1:$UP_PORT reuseport;
    location / { root $WORK; }
  }
}
EOF

if [ "$NGINX_LOG_BUFFER" = on ]; then LOGOPTS="buffer=64k flush=1s"; else LOGOPTS=""; fi
cat >"$WORK/px/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
daemon off;
pid $WORK/px/nginx.pid;
error_log $WORK/px/error.log warn;
events { worker_connections 4096; }
http {
  log_format json escape=json '{"requestId":"\$request_id","requestTimeEpoch":\$msec,'
    '"httpMethod":"\$request_method","path":"\$uri","protocol":"\$server_protocol",'
    '"status":\$status,"requestLength":\$request_length,"responseLength":\$bytes_sent,'
    '"integrationLatency":"\$upstream_response_time","responseLatency":\$request_time,'
    '"ip":"\$remote_addr","userAgent":"\$http_user_agent"}';
  access_log $WORK/px/access.log json $LOGOPTS;
  keepalive_requests 1000000;
  upstream app {
    server 127.0.0.1:$UP_PORT;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT reuseport;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
EOF

"$NGINX" -c "$WORK/up/nginx.conf" -p "$WORK/up" &
PIDS+=($!)
"$NGINX" -c "$WORK/px/nginx.conf" -p "$WORK/px" &
PX_MASTER=$!
PIDS+=($PX_MASTER)
benches/haproxy_conf.sh "$HAPROXY_PORT" "$UP_PORT" >"$WORK/haproxy.cfg"
"$HAPROXY" -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>"$WORK/haproxy.err" &
HA_PID=$!
PIDS+=($HA_PID)
SC_ARGS=(--listen "127.0.0.1:$SIDECAR_PORT" --admin "127.0.0.1:$ADMIN_PORT"
  --upstream "http://127.0.0.1:$UP_PORT" --access-log "$WORK/sidecar.log" --config "$WORK/sidecar.toml")
SIDECAR_WORKERS="${SIDECAR_WORKERS-1}"
if [ -n "$SIDECAR_WORKERS" ]; then SC_ARGS+=(--workers "$SIDECAR_WORKERS"); fi
GWCOST_LOG=warn "$SIDECAR" "${SC_ARGS[@]}" 2>"$WORK/sidecar.err" &
SC_PID=$!
PIDS+=($SC_PID)

wait_port() {
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null "http://127.0.0.1:$1/1k.txt"; then return 0; fi
    sleep 0.05
  done
  echo "nothing answers on port $1" >&2
  exit 1
}
wait_port $UP_PORT
wait_port $NGINX_PORT
wait_port $HAPROXY_PORT
wait_port $SIDECAR_PORT
# The nginx proxy's worker (the process that does the work).
PX_WORKER="$(pgrep -P "$PX_MASTER" | xargs)"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS="$(getconf CLK_TCK)"

IDLE_NGINX_RSS=0
for p in $PX_MASTER $PX_WORKER; do IDLE_NGINX_RSS=$((IDLE_NGINX_RSS + $(rss_kb "$p"))); done
IDLE_SC_RSS=$(rss_kb "$SC_PID")
IDLE_HA_RSS=$(rss_kb "$HA_PID")

# One wrk run: prints "rps p50_ms p99_ms max_ms requests".
wrk_once() {
  local out
  out="$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$1")"
  python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        # Counted as a failed run (0 req/s), never as the best one.
        print(f"cannot read wrk latency {v!r} in:\n{out}", file=sys.stderr)
        print("0 0 0 0 0")
        sys.exit(0)
    n, u = float(m.group(1)), m.group(2)
    return {"us": n / 1000, "ms": n, "s": n * 1000, "m": n * 60000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
# Anchored at the line start: "82.99%" in the Req/Sec line must not read as the 99th percentile.
p50 = re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)
p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)
reqs = int(re.search(r"(\d+) requests in", out).group(1))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
if errs:
    sys.exit(f"wrk saw {errs.group(1)} error responses")
print(f"{rps:.0f} {ms(p50):.3f} {ms(p99):.3f} {ms(lat.group(3)):.3f} {reqs}")
PY
}

declare -A RPS P50 P99 MAX CPU RSS URL PROCS REQS TICKS_USED
CONTESTANTS="direct nginx haproxy sidecar"
TOTAL_SC_REQS=0
SUMMARY=""
PROCS[direct]=""
PROCS[nginx]="$PX_MASTER $PX_WORKER"
PROCS[haproxy]="$HA_PID"
PROCS[sidecar]="$SC_PID"
ticks_of() { local t=0 p; for p in $1; do t=$((t + $(cpu_ticks "$p"))); done; echo $t; }

echo "== wrk -t1 -c$CONNS -d$DURATION --latency, best of $RUNS, runs interleaved; sidecar --workers ${SIDECAR_WORKERS:-one per core} ($(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $SIZES; do
URL[direct]="http://127.0.0.1:$UP_PORT/$size.txt"
URL[nginx]="http://127.0.0.1:$NGINX_PORT/$size.txt"
URL[haproxy]="http://127.0.0.1:$HAPROXY_PORT/$size.txt"
URL[sidecar]="http://127.0.0.1:$SIDECAR_PORT/$size.txt"
unset RPS P50 P99 MAX CPU RSS
declare -A RPS P50 P99 MAX CPU RSS
echo "-- $size"
for n in $CONTESTANTS; do
  wrk -t1 -c"$CONNS" -d1s "${URL[$n]}" >/dev/null # warm-up (connections, pools)
  REQS[$n]=0
  TICKS_USED[$n]=0
done
# Round-robin so that a noisy neighbour hurts every contestant alike.
for run in $(seq 1 "$RUNS"); do
  for n in $CONTESTANTS; do
    t0=$(ticks_of "${PROCS[$n]}")
    r="$(wrk_once "${URL[$n]}")"
    t1=$(ticks_of "${PROCS[$n]}")
    TICKS_USED[$n]=$((TICKS_USED[$n] + t1 - t0))
    REQS[$n]=$((REQS[$n] + $(echo "$r" | cut -d' ' -f5)))
    echo "   run $run $n: $(echo "$r" | cut -d' ' -f1) req/s, p99 $(echo "$r" | cut -d' ' -f3) ms"
    if [ -z "${RPS[$n]:-}" ] || [ "$(echo "$r" | cut -d' ' -f1)" -gt "${RPS[$n]}" ]; then
      read -r RPS[$n] P50[$n] P99[$n] MAX[$n] _ <<<"$r"
    fi
  done
done
TOTAL_SC_REQS=$((TOTAL_SC_REQS + ${REQS[sidecar]}))
for n in nginx haproxy sidecar; do
  # CPU microseconds per request over all measured runs.
  CPU[$n]=$(python3 -c "print(f'{${TICKS_USED[$n]}/$TICKS/${REQS[$n]}*1e6:.1f}')")
  rss=0
  for p in ${PROCS[$n]}; do rss=$((rss + $(rss_kb "$p"))); done
  RSS[$n]=$rss
done

printf '\n%-8s %10s %9s %9s %9s %12s %11s\n' "$size" "req/s" "p50 ms" "p99 ms" "max ms" "RSS kB" "CPU us/req"
for n in $CONTESTANTS; do
  printf '%-8s %10s %9s %9s %9s %12s %11s\n' "$n" "${RPS[$n]}" "${P50[$n]}" "${P99[$n]}" "${MAX[$n]}" \
    "${RSS[$n]:--}" "${CPU[$n]:--}"
done
line="$(python3 - "$size" "${RPS[sidecar]}" "${P50[sidecar]}" "${P99[sidecar]}" "${CPU[sidecar]}" \
  nginx "${RPS[nginx]}" "${P50[nginx]}" "${P99[nginx]}" "${CPU[nginx]}" \
  haproxy "${RPS[haproxy]}" "${P50[haproxy]}" "${P99[haproxy]}" "${CPU[haproxy]}" <<'PY'
import sys
a = sys.argv[1:]
size, (rs, p50s, p99s, cs) = a[0], map(float, a[1:5])
out = []
for i in (5, 10):
    name, (r, p50, p99, c) = a[i], map(float, a[i + 1:i + 5])
    out.append(f"{size:>5} sidecar/{name}: req/s {rs/r:.2f}x, p50 {p50s/p50:.2f}x, p99 {p99s/p99:.2f}x, CPU/req {cs:.1f} vs {c:.1f} us")
print("\n".join(out))
PY
)"
echo "$line"
SUMMARY="$SUMMARY$line
"
echo
done
printf 'idle RSS: nginx %s kB (master+workers), HAProxy %s kB, sidecar %s kB\n' "$IDLE_NGINX_RSS" "$IDLE_HA_RSS" "$IDLE_SC_RSS"
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== summary (one run)"
printf '%s' "$SUMMARY"

if [ -n "$OHA" ]; then
  echo
  echo "== added latency at fixed offered loads (oha -q RATE, latency-corrected, $CONNS connections, 5 s)"
  printf '%-8s %8s %9s %9s %9s\n' "" "rate" "p50 ms" "p99 ms" "req/s"
  for rate in $RATES; do
    for n in $CONTESTANTS; do
      case $n in direct) port=$UP_PORT ;; nginx) port=$NGINX_PORT ;; haproxy) port=$HAPROXY_PORT ;; sidecar) port=$SIDECAR_PORT ;; esac
      out="$("$OHA" --no-tui --output-format json --latency-correction -z 5s -c "$CONNS" -q "$rate" \
        "http://127.0.0.1:$port/1k.txt" 2>/dev/null || "$OHA" --no-tui -j --latency-correction -z 5s \
        -c "$CONNS" -q "$rate" "http://127.0.0.1:$port/1k.txt")"
      if [ $n = sidecar ]; then
        TOTAL_SC_REQS=$((TOTAL_SC_REQS + $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(d["statusCodeDistribution"].values()))' "$out")))
      fi
      python3 - "$n" "$rate" "$out" <<'PY'
import json, sys
n, rate, d = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
p = d["latencyPercentiles"]
print(f"{n:<8} {rate:>8} {p['p50']*1000:9.3f} {p['p99']*1000:9.3f} {d['summary']['requestsPerSec']:9.0f}")
PY
    done
  done
fi

echo
echo "== the sidecar's log"
# Requests the sidecar served: the clients' counts plus the warm-ups and health checks, which
# wrk does not report; the sidecar's own counter and its log must agree exactly.
sleep 1.5
SERVED=$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" |
  awk '/^gwcost_requests_total\{/ {s += $2} END {print s}')
DROPPED=$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '/^gwcost_log_lines_dropped_total/ {print $2}')
kill -TERM "$SC_PID"
wait "$SC_PID" || true
LINES=$(wc -l <"$WORK/sidecar.log")
echo "requests served (sidecar's counter): $SERVED; completed by the load generators: $TOTAL_SC_REQS"
echo "log lines after SIGTERM: $LINES; dropped: $DROPPED"
if [ "$LINES" != "$SERVED" ] || [ "$DROPPED" != 0 ] || [ "$LINES" -lt "$TOTAL_SC_REQS" ]; then
  echo "LOG MISMATCH" >&2
  exit 1
fi
echo "every request has its line"

if [ "${INSTRUCTIONS:-1}" = 1 ]; then
  echo
  SIDECAR="$SIDECAR" benches/sidecar_instructions.sh
fi
