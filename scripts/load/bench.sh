#!/usr/bin/env bash
# The hot path's repeatable benchmark (issue 19): on loopback, flamock
# serve (in-memory store, JWT access tokens) beside a bare net/http
# handler in the same run, PUT and GET, PAIRS alternated pairs of SECS
# seconds each with wrk -t1 and -t2 at c=64; the durable store (--state)
# and flamock with Go's default GC (GOGC=100) alternated with them. Prints
# the median rate of each and the ratios, the server's CPU time per
# request (user+system, from /proc: on a machine shared with other jobs it
# varies much less than the rate), RSS after the load, and the in-process
# BenchmarkPutGet (µs and allocations per PUT+GET).
# Bounded: about (5 runs x PAIRS x SECS x 2) seconds plus builds; stops
# every process it started by PID. Usage: scripts/load/bench.sh [SECS] [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
pairs=${2:-5}
oauth_extra='  accessTokens: jwt'
source scripts/load/setup.sh # work folder, builds, client, body, port, rss
declare -A url pid
start() { # start NAME ENV... -- ARGS...: flamock serve on a free port
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  local p; p=$(port)
  env "${envs[@]}" "$work/flamock" serve --config "$work/flamock.yaml" --addr "127.0.0.1:$p" "$@" >/dev/null 2>"$work/$name.err" &
  pid[$name]=$!; pids+=("$!"); url[$name]="http://127.0.0.1:$p"
  for _ in $(seq 100); do curl -sf "${url[$name]}/__admin/ready" >/dev/null && return 0; sleep 0.05; done
  echo "not ready: $name" >&2; return 1
}
start mem -- 
start durable -- --state "$work/state.log"
start gogc100 GOGC=100 --
p=$(port); "$work/bare" -addr "127.0.0.1:$p" & pid[bare]=$!; pids+=("$!"); url[bare]="http://127.0.0.1:$p"; sleep 0.3
token() { "$work/flamock" token --token-url "$1/REST/oauth/v5/token" --client-id self_service_chaman_403019_loademploy --key "$work/employer.key" 2>/dev/null; }

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user+system clock ticks
run() { # run NAME METHOD THREADS: one wrk run; prints the rate and the server's CPU µs per request
  local name=$1 method=$2 t=$3 tok=x c0 c1
  [ "$name" != bare ] && tok=${tokens[$name]}
  c0=$(cpu "${pid[$name]}")
  FLAMOCK_TOKEN=$tok FLAMOCK_API=/REST/careerpro-fla/v1 FLAMOCK_BODY="$work/body.json" \
    wrk -t"$t" -c64 -d"${secs}s" -s "scripts/load/$method.lua" "${url[$name]}" 2>"$work/wrk.err" > "$work/wrk.out"
  c1=$(cpu "${pid[$name]}")
  awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%s %.1f\n", r, c / hz * 1e6 / n}' "$work/wrk.out"
}
declare -A tokens
for n in mem durable gogc100; do tokens[$n]=$(token "${url[$n]}"); done
for n in mem durable gogc100; do run "$n" put 2 >/dev/null; done # warm up, and fill the pool for GET
echo "RSS before the measured load: flamock $(rss "${pid[mem]}"), GOGC=100 $(rss "${pid[gogc100]}")"

: > "$work/rates"
for t in 1 2; do
  for i in $(seq "$pairs"); do
    order="mem bare"; [ $((i % 2)) = 0 ] && order="bare mem"
    for m in put get; do for n in $order; do echo "$t $m $n $(run "$n" "$m" "$t")" >> "$work/rates"; done; done
    echo "$t put durable $(run durable put "$t")" >> "$work/rates"
    echo "$t put gogc100 $(run gogc100 put "$t")" >> "$work/rates"
  done
done
python3 - "$work/rates" <<'PY'
import sys, statistics
from collections import defaultdict
r = defaultdict(list)
cpu = defaultdict(list)
for line in open(sys.argv[1]):
    t, m, n, rate, us = line.split()
    r[(t, m, n)].append(float(rate))
    cpu[(t, m, n)].append(float(us))
med = {k: statistics.median(v) for k, v in r.items()}
for t in ("1", "2"):
    print(f"== wrk -t{t} -c64, median of {len(r[(t, 'put', 'mem')])} alternated runs (req/s; all runs in brackets)")
    for m, n in (("put", "mem"), ("put", "bare"), ("get", "mem"), ("get", "bare"), ("put", "durable"), ("put", "gogc100")):
        print(f"  {m.upper():3} {n:8} {med[(t, m, n)]:9.0f}  server CPU {statistics.median(cpu[(t, m, n)]):6.1f} µs/request  {[round(x) for x in r[(t, m, n)]]}")
    pairs = lambda m: statistics.median(a / b for a, b in zip(r[(t, m, "mem")], r[(t, m, "bare")]))
    print(f"  PUT/bare {pairs('put'):.2f}  GET/bare {pairs('get'):.2f}  (median of the pairs' ratios)")
    cr = lambda m: statistics.median(b / a for a, b in zip(cpu[(t, m, "mem")], cpu[(t, m, "bare")]))
    print(f"  by server CPU per request (bare/flamock): PUT {cr('put'):.2f}  GET {cr('get'):.2f}")
    print(f"  durable/in-memory PUT {med[(t, 'put', 'durable')] / med[(t, 'put', 'mem')]:.2f}"
          f"  GOGC=100/tuned PUT {med[(t, 'put', 'gogc100')] / med[(t, 'put', 'mem')]:.2f}")
PY
echo "RSS after the load: flamock $(rss "${pid[mem]}"), durable $(rss "${pid[durable]}"), GOGC=100 $(rss "${pid[gogc100]}"), bare $(rss "${pid[bare]}")"
echo "== in-process (no network): one PUT and one GET through the handler"
go test ./mockfla -run '^$' -bench 'BenchmarkPutGet/lenient' -benchmem -count 3 | grep -E '^Benchmark'
