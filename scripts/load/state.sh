#!/usr/bin/env bash
# Restart time and peak memory of `flamock serve --state` on the state files
# of 1,000,000 PUTs to 1,000 resources: one written with compaction while
# running, one without (a log that only grows). Writes the files with the
# store test TestStateLog_MillionPuts (minutes, ~1.2 GB of disk), then
# starts serve on a copy of each and reports milliseconds to ready and peak
# RSS (VmHWM). Run once by hand; not part of CI. Usage: scripts/load/state.sh [DIR with compacted.log and uncompacted.log]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

[ -n "${1:-}" ] && cp "$1"/*.log "$work"/ || # reuse the files of an earlier run
FLAMOCK_STATE_MILLION=$work go test ./store/ -run TestStateLog_MillionPuts -v -count=1 -timeout 30m | grep -E 'log:'
go build -o "$work/flamock" ./cmd/flamock
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
: > "$work/empty.log"
for f in empty.log compacted.log uncompacted.log; do # empty.log: the start-up cost without state
  p=$(port)
  before=$(stat -c %s "$work/$f")
  t0=$(date +%s%N)
  "$work/flamock" serve --addr "127.0.0.1:$p" --state "$work/$f" --demo-dir "$work/demo" >/dev/null 2>"$work/serve.err" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1200); do curl -sf "http://127.0.0.1:$p/__admin/ready" >/dev/null && break; sleep 0.05; done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  hwm=$(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status")
  res=$(curl -s "http://127.0.0.1:$p/__admin/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"])')
  echo "$f: $before bytes; restart to ready ${ms} ms, peak RSS $hwm, $res resources, file after start $(stat -c %s "$work/$f") bytes"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
