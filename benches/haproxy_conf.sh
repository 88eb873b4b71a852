#!/usr/bin/env bash
# Prints the HAProxy peer's configuration for the sidecar benchmarks: `haproxy_conf.sh LISTEN_PORT
# UPSTREAM_PORT`. One thread (`nbthread 1`, like nginx's one worker and the sidecar's
# --workers 1 comparisons), keep-alive to the upstream with connection reuse, X-Forwarded-For,
# and one JSON access-log line per request on standard output (HAProxy 2.6's `log stdout`), the
# fields the sidecar and nginx log.
set -euo pipefail
cat <<CFG
global
  nbthread 1
  maxconn 4096
  log stdout format raw local0 info

defaults
  mode http
  log global
  option http-keep-alive
  option forwardfor
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend px
  bind 127.0.0.1:$1
  unique-id-format %{+X}o%ci%cp%Ts%rt%pid
  http-request capture req.hdr(User-Agent) len 200
  log-format '{"requestId":"%ID","requestTimeEpoch":%Ts%ms,"httpMethod":"%HM","path":"%HPO","protocol":"%HV","status":%ST,"requestLength":%U,"responseLength":%B,"integrationLatency":%Tr,"responseLatency":%Ta,"ip":"%ci","userAgent":"%[capture.req.hdr(0),json(utf8s)]"}'
  default_backend app

backend app
  server up 127.0.0.1:$2
CFG
