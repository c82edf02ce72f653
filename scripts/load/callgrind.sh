#!/usr/bin/env bash
# Instructions per PUT+GET of the in-process BenchmarkPutGet, counted by
# valgrind's callgrind: steady on a machine shared with other jobs, where
# rates and times are not. The collector is off (GOGC=off), so the count
# is the request path's own work (the collector's share varied by 15 %
# from run to run); allocations are printed beside it. The count is
# (Ir of 3000 iterations - Ir of 1000) / 2000, so setup cancels out.
# Bounded: two runs under valgrind, about a minute. Usage:
# scripts/load/callgrind.sh [BENCH] (default BenchmarkPutGet/lenient)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install -y valgrind" >&2; exit 1; }
bench=${1:-BenchmarkPutGet/lenient}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# No cgo (callgrind and cgo's signal masks do not mix); no asynchronous
# preemption (its signals stop callgrind).
CGO_ENABLED=0 go test -c -o "$work/mockfla.test" ./mockfla
ir() {
  GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" \
    "$work/mockfla.test" -test.run '^$' -test.bench "$bench" -test.benchtime "${1}x" -test.cpu 1 -test.benchmem 2>"$work/vg.$1" >"$work/out.$1"
  awk '/Collected/ {gsub(",", "", $4); print $4}' "$work/vg.$1"
}
a=$(ir 1000)
b=$(ir 3000)
echo "$bench: $(( (b - a) / 2000 )) instructions per iteration (callgrind, GOGC=off)"
grep -h 'allocs/op' "$work/out.3000"
