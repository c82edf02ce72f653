#!/usr/bin/env bash
# Load test of `flamock serve` on loopback with wrk (Debian package), as the
# issue's performance targets ask: authenticated, validated, stored PUTs of
# the spec's example trainings body at c=64, beside a bare net/http handler,
# then the same with --state, then store growth. Bounded in time; stops
# every process it started by PID. Usage: scripts/load/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}
source scripts/load/setup.sh # work folder, builds, client, body, port, rss
wait_ready() { for _ in $(seq 100); do curl -sf "$1/__admin/ready" >/dev/null && return 0; sleep 0.05; done; echo "not ready: $1" >&2; return 1; }

serve() { # serve NAME [flags...]: start flamock serve, set $base, $pid, $token
  local p; p=$(port)
  local t0; t0=$(date +%s%N)
  "$work/flamock" serve --config "$work/flamock.yaml" --addr "127.0.0.1:$p" "$@" >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!; pids+=("$pid")
  base="http://127.0.0.1:$p"
  wait_ready "$base"
  echo "startup to ready: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  token=$("$work/flamock" token --token-url "$base/REST/oauth/v5/token" --client-id self_service_chaman_403019_loademploy --key "$work/employer.key" 2>/dev/null)
}

load() { # load URL: wrk at c=64 with the PUT script; the rate is kept in $work/rate
  FLAMOCK_TOKEN=$token FLAMOCK_API=/REST/careerpro-fla/v1 FLAMOCK_BODY="$work/body.json" \
    wrk -t2 -c64 -d"${secs}s" --latency -s scripts/load/put.lua "$1" | grep -E 'Requests/sec|Latency|99%|50%|Non-2xx|Socket errors|requests in' |
    tee >(awk '/Requests\/sec/ {print $2}' > "$work/rate")
  sleep 0.2
}

echo "== flamock serve, in-memory store, PUT at c=64 for ${secs}s"
serve
echo "RSS before load: $(rss "$pid")"
FLAMOCK_TOKEN=$token FLAMOCK_API=/REST/careerpro-fla/v1 FLAMOCK_BODY="$work/body.json" wrk -t2 -c64 -d2s -s scripts/load/put.lua "$base" >/dev/null # warm up
load "$base"
memrate=$(cat "$work/rate")
echo "RSS after load: $(rss "$pid")"
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== bare net/http handler, same load"
p=$(port); "$work/bare" -addr "127.0.0.1:$p" & bpid=$!; pids+=("$bpid"); sleep 0.3
token=x load "http://127.0.0.1:$p"
kill "$bpid"

echo "== flamock serve --state (group commit: acknowledged after the fsync that covers it), PUT at c=64 for ${secs}s"
serve --state "$work/state.log"
load "$base"
echo "durable / in-memory PUT rate: $(cat "$work/rate") / $memrate = $(awk -v a="$(cat "$work/rate")" -v b="$memrate" 'BEGIN {printf "%.2f", a/b}')"
echo "RSS after load: $(rss "$pid"); state file: $(du -h "$work/state.log" | cut -f1)"
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== store growth: distinct resources for ${secs}s, then RSS"
serve
FLAMOCK_DISTINCT=1 load "$base" | grep -E 'requests in|Requests/sec'
echo "RSS with the store above: $(rss "$pid")"
curl -s "$base/__admin/health"; echo
