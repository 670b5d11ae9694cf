#!/usr/bin/env bash
# Cost of a /metrics scrape with 10 agent profiles (issue 6 target: <= 1 ms), next to /health
# on the same connection type as the baseline of an HTTP round trip through pipelock.
#
#   bench/metrics-scrape.sh            # PIPELOCK_BIN=build/pipelock, SCRAPE_SECONDS=5
#
# Starts pipelock (2 workers) with 10 proxy_auth agents on a free loopback port and a Python
# origin, sends each agent allowed and blocked requests (so every family has series), then runs
# wrk with one connection against /metrics and /health. Only 127.0.0.1 is used; everything it
# starts is stopped on exit.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PIPELOCK_BIN:-$ROOT/build/pipelock}
SECS=${SCRAPE_SECONDS:-5}
PY=/usr/bin/python3
TMP=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port)
O=$(port)
{
    echo "forward_proxy: {enabled: true}"
    echo "fetch_proxy: {listen: 127.0.0.1:$P, monitoring: {max_requests_per_minute: 1000000000}}"
    echo "ssrf: {ip_allowlist: [127.0.0.0/8]}"
    echo "dns: {resolvers: [127.0.0.1:9]}"
    echo "server: {workers: 2}"
    echo "logging: {output: file, file: $TMP/audit.log}"
    echo "proxy_auth:"
    echo "  agents:"
    for i in $(seq 1 10); do
        echo "    - {name: agent-$i, token: token-for-agent-number-$i}"
    done
} >"$TMP/p.yaml"
"$PY" -m http.server "$O" --bind 127.0.0.1 --directory "$TMP" >/dev/null 2>&1 &
pids+=($!)
"$BIN" run --config "$TMP/p.yaml" >/dev/null 2>"$TMP/err" &
pids+=($!)
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$P/health" && break
    sleep 0.05
done
for i in $(seq 1 10); do
    for _ in 1 2 3; do
        curl -s -o /dev/null -x "http://127.0.0.1:$P" -H "Proxy-Authorization: Bearer token-for-agent-number-$i" "http://127.0.0.1:$O/p.yaml"
        curl -s -o /dev/null -x "http://127.0.0.1:$P" -H "Proxy-Authorization: Bearer token-for-agent-number-$i" "http://127.0.0.1:$O/?k=AKIAIOSFODNN7EXAMPLE"
    done
done
lines=$(curl -s "http://127.0.0.1:$P/metrics" | wc -l)
bytes=$(curl -s "http://127.0.0.1:$P/metrics" | wc -c)
echo "metrics body: $lines lines, $bytes bytes"
for path in /metrics /health; do
    out=$(timeout $((SECS + 10)) wrk -t1 -c1 -d"${SECS}s" --latency "http://127.0.0.1:$P$path")
    avg=$(printf '%s\n' "$out" | awk '/Latency/ && !/Distribution/ {print $2; exit}')
    p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
    rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
    printf '%-9s avg %-9s p99 %-9s %s req/s (1 connection)\n' "$path" "$avg" "$p99" "$rps"
done
