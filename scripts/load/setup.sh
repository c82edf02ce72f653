# Sourced by run.sh and bench.sh (not run on its own): the work folder,
# cleanup of every process started (by PID), the built flamock and bare
# servers, the load client's certificate and config, the PUT body, and the
# helpers port and rss. The caller sets oauth_extra to YAML lines added
# under oauth: (indented two spaces), or leaves it empty.
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/flamock" ./cmd/flamock
go build -o "$work/bare" ./scripts/load/bare
"$work/flamock" cert create --cn "load employer" --enterprise-number 0403019261 --out "$work/employer" >/dev/null
cat > "$work/flamock.yaml" <<YAML
clients:
  - id: self_service_chaman_403019_loademploy
    quality: employer
    enterpriseNumber: "0403019261"
    certificates: [employer.cer]
oauth:
  tokenLifetime: 1h
${oauth_extra:-}
YAML
go run ./scripts/load/body > "$work/body.json"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }
