#!/usr/bin/env bash
# Instructions per iteration of a benchmark, counted by valgrind's
# callgrind: steady on a machine shared with other jobs, where rates and
# times are not. The collector is off (GOGC=off), so the count is the
# request path's own work (the collector's share varied by 15 % from run
# to run); allocations are printed beside it. The count is (Ir of 3N
# iterations - Ir of N) / 2N, so setup cancels out; a benchmark whose
# setup varies (key generation) calls callgrindZero just before its loop,
# where the counts are zeroed. N is 1000 unless set in the environment.
# Bounded: two runs under valgrind, one to three minutes. Usage:
# scripts/load/callgrind.sh [BENCH] [PACKAGE]
#   default BenchmarkPutGet/lenient in ./mockfla: one PUT and one GET
#   through the API mock's handler, no network;
#   N=300 scripts/load/callgrind.sh BenchmarkServe/flamock/PUT ./cmd/flamock
#   (or flamock/GET, bare/PUT, bare/GET): one request through flamock
#   serve's whole server over loopback, client included, user space only;
#   bare/... is the same client against a bare net/http handler, so
#   flamock minus bare is what flamock adds, HTTP framing included.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install -y valgrind" >&2; exit 1; }
bench=${1:-BenchmarkPutGet/lenient}
pkg=${2:-./mockfla}
n=${N:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# No cgo (callgrind and cgo's signal masks do not mix); no asynchronous
# preemption (its signals stop callgrind).
CGO_ENABLED=0 go test -c -o "$work/pkg.test" "$pkg"
ir() {
  GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" \
    --zero-before='*callgrindZero' "$work/pkg.test" -test.run '^$' -test.bench "^$bench\$" -test.benchtime "${1}x" \
    -test.cpu 1 -test.benchmem 2>"$work/vg.$1" >"$work/out.$1"
  awk '/^totals:/ {print $2}' "$work/cg.$1" # since callgrindZero, if it is called
}
a=$(ir "$n")
b=$(ir $((3 * n)))
echo "$bench: $(( (b - a) / (2 * n) )) instructions per iteration (callgrind, GOGC=off)"
grep -h 'allocs/op' "$work/out.$((3 * n))"
if [ -n "${CALLGRIND_KEEP:-}" ]; then cp "$work/cg.$((3 * n))" "$CALLGRIND_KEEP"; fi
