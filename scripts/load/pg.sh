#!/usr/bin/env bash
# The PostgreSQL backend end to end (issue 16): real `flamock serve`
# processes on loopback, one on the in-memory store, one on the durable
# log (--state) and one on PostgreSQL (--store postgres://...), loaded with
# wrk (c=64, -t2) in alternated rounds (the order rotates every round):
# PUT then GET, PAIRS rounds of SECS seconds each. PostgreSQL is a cluster
# of its own in a temporary folder (initdb, pg_ctl as the user nobody when
# run as root, like internal/pgtest; fsync on), on 127.0.0.1.
# Prints the median rate of each store, the ratios PG/durable and
# PG/memory (median of the rounds' ratios), the flamock process's CPU per
# request and PostgreSQL's (every process of the cluster, from /proc), and
# PostgreSQL transactions per request (pg_stat_database: each statement
# outside a pipeline is one round trip, a pipelined batch one). Then the
# in-process token-endpoint benchmark, embedded vs PostgreSQL jti.
# Bounded: about 3 x 2 x PAIRS x SECS seconds plus builds and BenchmarkToken;
# stops every process it started by PID (PostgreSQL with pg_ctl).
# Usage: scripts/load/pg.sh [SECS] [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
pairs=${2:-3}
oauth_extra='  accessTokens: jwt' # the PostgreSQL store shares JWT access tokens only
source scripts/load/setup.sh     # work folder, builds, client, body, port, rss

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL server binaries not found: apt-get install -y postgresql" >&2; exit 1; }
pgdir=$(mktemp -d)
as=()
[ "$(id -u)" = 0 ] && { chown nobody "$pgdir"; as=(setpriv --reuid=nobody --regid=nogroup --clear-groups); }
pgport=$(port)
pg() { (cd "$pgdir" && env LC_ALL=C PGTZ=UTC "${as[@]}" "$bin/$1" "${@:2}"); }
pgstop() { [ -f "$pgdir/data/postmaster.pid" ] && pg pg_ctl -D "$pgdir/data" -m fast -w -t 30 stop >/dev/null || true; rm -rf "$pgdir"; }
trap 'cleanup; pgstop' EXIT
pg initdb -D "$pgdir/data" -U flamock -A trust -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
pg pg_ctl -D "$pgdir/data" -l "$pgdir/log" -w -t 60 -o "-c listen_addresses=127.0.0.1 -p $pgport -c unix_socket_directories=$pgdir -c max_connections=200" start >/dev/null
pg createdb -h 127.0.0.1 -p "$pgport" -U flamock sandbox
dsn="postgres://flamock@127.0.0.1:$pgport/sandbox?sslmode=disable"
postmaster=$(head -1 "$pgdir/data/postmaster.pid")
psqlc() { psql -X -q -t -A -h 127.0.0.1 -p "$pgport" -U flamock -d sandbox -c "$1"; }

declare -A url pid tokens
start() { # start NAME ARGS...: flamock serve on a free port
  local name=$1 p; shift
  p=$(port)
  "$work/flamock" serve --config "$work/flamock.yaml" --addr "127.0.0.1:$p" "$@" >/dev/null 2>"$work/$name.err" &
  pid[$name]=$!; pids+=("$!"); url[$name]="http://127.0.0.1:$p"
  for _ in $(seq 200); do curl -sf "${url[$name]}/__admin/ready" >/dev/null && break; sleep 0.05; done
  curl -sf "${url[$name]}/__admin/ready" >/dev/null || { echo "not ready: $name: $(cat "$work/$name.err")" >&2; return 1; }
  tokens[$name]=$("$work/flamock" token --token-url "${url[$name]}/REST/oauth/v5/token" --client-id self_service_chaman_403019_loademploy --key "$work/employer.key" 2>/dev/null)
}
start mem
start durable --state "$work/state.log"
start pg --store "$dsn"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user+system clock ticks
pgcpu() { # the cluster's user+system ticks: the postmaster, its children, and children already reaped
  local t=0 p
  for p in $(awk -v pm="$postmaster" '$4 == pm {print FILENAME}' /proc/[0-9]*/stat 2>/dev/null | cut -d/ -f3) "$postmaster"; do
    t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
xacts() { psqlc "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'sandbox'"; }
run() { # run NAME METHOD: one wrk run; prints rate, flamock µs/request, PostgreSQL µs/request, PostgreSQL transactions/request
  local name=$1 method=$2 c0 c1 g0 g1 x0 x1
  c0=$(cpu "${pid[$name]}"); g0=$(pgcpu); x0=$(xacts)
  FLAMOCK_TOKEN=${tokens[$name]} FLAMOCK_API=/REST/careerpro-fla/v1 FLAMOCK_BODY="$work/body.json" \
    wrk -t2 -c64 -d"${secs}s" -s "scripts/load/$method.lua" "${url[$name]}" 2>"$work/wrk.err" >"$work/wrk.out"
  c1=$(cpu "${pid[$name]}"); g1=$(pgcpu); sleep 0.6; x1=$(xacts) # the statistics collector lags ~0.5 s
  grep -q '^status' "$work/wrk.err" && { echo "$name $method: $(head -3 "$work/wrk.err")" >&2; }
  awk -v c="$((c1 - c0))" -v g="$((g1 - g0))" -v x="$((x1 - x0))" -v hz="$(getconf CLK_TCK)" \
    '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%s %.1f %.1f %.2f\n", r, c / hz * 1e6 / n, g / hz * 1e6 / n, x / n}' "$work/wrk.out"
}
for n in mem durable pg; do run "$n" put >/dev/null; done # warm up, and fill the pool of 1000 resources for GET
echo "load before the measured runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
: >"$work/rates"
names=(mem durable pg)
for i in $(seq "$pairs"); do
  for m in put get; do
    for k in 0 1 2; do n=${names[$(((i + k) % 3))]}; echo "$m $n $(run "$n" "$m")" >>"$work/rates"; done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/rates" "$pairs" <<'PY'
import sys, statistics
from collections import defaultdict
r, cpu, pgc, tx = (defaultdict(list) for _ in range(4))
for line in open(sys.argv[1]):
    m, n, rate, us, pus, x = line.split()
    r[(m, n)].append(float(rate)); cpu[(m, n)].append(float(us)); pgc[(m, n)].append(float(pus)); tx[(m, n)].append(float(x))
med = statistics.median
print(f"== wrk -t2 -c64, {sys.argv[2]} alternated rounds: median req/s [all runs]; CPU µs per request (flamock, PostgreSQL); PostgreSQL transactions per request")
for m in ("put", "get"):
    for n in ("mem", "durable", "pg"):
        k = (m, n)
        print(f"  {m.upper():3} {n:8} {med(r[k]):8.0f} {[round(x) for x in r[k]]}  flamock {med(cpu[k]):6.1f} µs  PostgreSQL {med(pgc[k]):6.1f} µs  {med(tx[k]):.2f} xact")
    ratio = lambda a, b: med(x / y for x, y in zip(r[(m, a)], r[(m, b)]))
    print(f"  {m.upper()} pg/durable {ratio('pg', 'durable'):.2f}  pg/mem {ratio('pg', 'mem'):.2f}  durable/mem {ratio('durable', 'mem'):.2f}  (median of the rounds' ratios)")
PY
echo "RSS after the load: mem $(rss "${pid[mem]}"), durable $(rss "${pid[durable]}"), pg $(rss "${pid[pg]}")"
echo "== in-process token endpoint (RSA signing included), embedded vs PostgreSQL jti"
FLAMOCK_PG_BIN=$bin go test ./store/postgres -run '^$' -bench BenchmarkToken -benchmem -benchtime=2000x -count 3 | grep -E '^Benchmark|FAIL|_test.go:' || true
