#!/usr/bin/env bash
# pipelock benchmark: the same wrk load against five targets on loopback, three more
# pipelock runs (query string, request bodies with and without body scanning), plus
# pipelock's memory with 5,000 idle keep-alive clients. Run by `make bench`; see
# docs/benchmarks.md.
#
#   (a) direct      wrk -> nginx origin (1024-byte static file)
#   (b) nginx-hop   wrk -> nginx reverse proxy (upstream keep-alive pool) -> origin
#   (c) pipelock    wrk -> pipelock forward proxy (absolute-form requests) -> origin
#   (d) tinyproxy   wrk -> tinyproxy forward proxy -> origin
#   (e) squid       wrk -> squid forward proxy (caching disabled) -> origin
#   (f) pipelock-query        as (c), the GET's URL with a 4-parameter query string
#   (g) pipelock-post         POST of a ~2 KB chat-completion JSON body through pipelock
#                             (bench config: request body scanning on) -> origin /post
#   (h) pipelock-post-noscan  as (g), pipelock with request_body_scanning.enabled: false
#
# Every server is started here, with its own minimal config in a temp directory, on free
# loopback ports, and stopped on exit (also on failure or Ctrl-C). Only 127.0.0.1 is used.
# Load is bounded: wrk runs BENCH_WARMUP + BENCH_SECONDS per target and round, and is killed
# by timeout(1) if it overruns; the idle-connection client opens a fixed number of sockets.
#
# Environment:
#   BENCH_SECONDS=10         measured seconds per target
#   BENCH_WARMUP=2           warm-up seconds per target (not measured)
#   BENCH_ROUNDS=1           run the target sequence N times; report medians
#   BENCH_CONNECTIONS=50     wrk connections;   BENCH_THREADS=2  wrk threads
#   BENCH_WORKERS=2          workers of nginx-hop, pipelock and squid
#   BENCH_ORIGIN_WORKERS=1   nginx origin worker processes
#   BENCH_IDLE_CONNS=5000    idle keep-alive connections for the memory test (0 skips it)
#   BENCH_PROXY_LOGS=off     per-request logs of tinyproxy (LogLevel Info) and squid
#                            (access.log); see docs/benchmarks.md. pipelock's audit log is
#                            always on.
#   BENCH_WRK_CPUS=          if set (e.g. "0"), pin wrk to these CPUs with taskset -c
#   BENCH_TARGETS="..."      subset of: direct nginx-hop pipelock pipelock-query pipelock-post
#                            pipelock-post-noscan tinyproxy squid (default all)
#   BENCH_SKIP_PIPELOCK=1    skip pipelock's throughput and memory tests (to check the harness
#                            before pipelock exists)
#   BENCH_PORT_BASE=28710    first port tried (below the kernel's ephemeral port range)
#   PIPELOCK_BIN=build/pipelock
#
# Exit status: 0 when every target ran (a missed target ratio or a flagged run is reported,
# never fatal); 1 when a target or a memory test failed to run; 2 on a setup error.

# shellcheck disable=SC2317  # functions are called indirectly (trap, "bench_${t}")
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_ROUNDS=${BENCH_ROUNDS:-1}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-50}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_WORKERS=${BENCH_WORKERS:-2}
BENCH_ORIGIN_WORKERS=${BENCH_ORIGIN_WORKERS:-1}
BENCH_IDLE_CONNS=${BENCH_IDLE_CONNS:-5000}
BENCH_PROXY_LOGS=${BENCH_PROXY_LOGS:-off}
BENCH_WRK_CPUS=${BENCH_WRK_CPUS:-}
BENCH_SKIP_PIPELOCK=${BENCH_SKIP_PIPELOCK:-0}
BENCH_PORT_BASE=${BENCH_PORT_BASE:-28710}
PIPELOCK_BIN=${PIPELOCK_BIN:-build/pipelock}

PY=/usr/bin/python3
CLIENT="$ROOT/bench/bench_client.py"
LUA="$ROOT/bench/wrk.lua"
LUA_POST="$ROOT/bench/wrk-post.lua"
PIPELOCK_CONFIG_SRC="$ROOT/bench/pipelock-bench.yaml"
OUT="$ROOT/bench/out"
BODY_SIZE=1024
# pipelock-query: a search-like query string with four parameters on the 1 KB file's URL.
QUERY="q=how+to+parse+json&page=2&utm_source=newsletter&id=123e4567-e89b-12d3-a456-426614174000"
POST_RESP_SIZE=3 # the origin's /post answers "ok\n"
SQUID_NAME=pipelockbench # squid -n: names its shared memory and IPC sockets

# Targets (reported as PASS/MISS; a miss never fails the run).
T_RPS_HOP=0.9 T_RPS_TINY=3 T_RPS_SQUID=1.5 T_P99_HOP=1.2
T_IDLE_MB=8 T_PER_CONN_KB=20
T_POST_SCAN=0.95 # body scanning costs <= 5% of POST throughput: post / post-noscan >= 0.95

ALL_TARGETS="direct nginx-hop pipelock pipelock-query pipelock-post pipelock-post-noscan tinyproxy squid"
TARGETS=${BENCH_TARGETS:-$ALL_TARGETS}
declare -A DESC
DESC[direct]="wrk -> nginx origin"
DESC[nginx-hop]="wrk -> nginx reverse proxy -> origin"
DESC[pipelock]="wrk -> pipelock forward proxy -> origin"
DESC[tinyproxy]="wrk -> tinyproxy forward proxy -> origin"
DESC[squid]="wrk -> squid forward proxy (no cache) -> origin"
DESC[pipelock-query]="wrk -> pipelock -> origin, GET with a 4-parameter query string"
DESC[pipelock-post]="wrk -> pipelock (body scanning on) -> origin, POST of 2 KB JSON"
DESC[pipelock-post-noscan]="wrk -> pipelock (body scanning off) -> origin, POST of 2 KB JSON"

# Per target: space-separated per-round figures (R_*), their medians, error total, smallest
# bytes/response, state (ok < FLAG < FAILED, worst round wins; or skipped) and notes.
declare -A R_RPS R_P50 R_P99 RPS P50 P99 ERRS BPR STATE NOTE CMD AUDIT
declare -A MEM_IDLE MEM_WITH MEM_PER MEM_STATE MEM_NOTE
FAILED=0
ROUND=1
PIDS=() # every server process started here; stopped by cleanup()
TMP=""

say() { printf '%s\n' "$*"; }
warn() { printf 'bench: %s\n' "$*" >&2; }
section() { printf '== [%3ds] %s\n' "$SECONDS" "$*"; }
in_targets() { case " $TARGETS " in *" $1 "*) return 0 ;; esac; return 1; }
any_pipelock_target() { case " $TARGETS " in *" pipelock"*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- process management

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    rm -f /run/squid/"$SQUID_NAME"-*.ipc 2>/dev/null
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        save_logs
        rm -rf "$TMP"
    fi
}

# Stop one process we started: SIGTERM, up to 10 s grace, then SIGKILL.
stop_pid() {
    local pid=$1
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            warn "pid $pid did not stop in 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    return 0
}

# Stop a server started by start_bg and forget it.
stop_server() {
    local pid=$1 p keep=()
    stop_pid "$pid"
    for p in "${PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# start_bg LOGFILE CMD... : start CMD in the background; its pid is in BG_PID.
start_bg() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 </dev/null &
    BG_PID=$!
    PIDS+=("$BG_PID")
}

# wait_ready NAME PORT PID SECONDS : wait for PORT to accept connections while PID lives.
wait_ready() {
    local name=$1 port=$2 pid=$3 secs=$4 rc
    "$PY" "$CLIENT" wait "127.0.0.1:$port" "$secs" "$pid"
    rc=$?
    case $rc in
    0) return 0 ;;
    2) warn "$name exited during startup" ;;
    *) warn "$name not listening on 127.0.0.1:$port after ${secs}s" ;;
    esac
    return 1
}

# Keep the generated configs and the last lines of every server log (bench/out/).
save_logs() {
    local f dir
    mkdir -p "$OUT/logs" "$OUT/conf"
    for f in "$TMP"/*/*; do
        [ -f "$f" ] || continue
        dir=$(basename "$(dirname "$f")")
        case $f in
        *.conf | *.yaml) cp "$f" "$OUT/conf/$dir-$(basename "$f")" ;;
        */pipelock-audit.log | */access.log) ;;
        *.log) tail -n 200 "$f" >"$OUT/logs/$dir-$(basename "$f")" ;;
        esac
    done
}

# ---------------------------------------------------------------- servers

nginx_temp_paths() {
    local t
    for t in client_body proxy fastcgi uwsgi scgi; do
        printf '    %s_temp_path %s/%s_temp;\n' "$t" "$1" "$t"
    done
}

# The origin: nginx serving /1k, a 1024-byte text/plain file.
start_origin() {
    local d="$TMP/origin"
    mkdir -p "$d/www"
    "$PY" -c '
import sys
line = b"pipelock benchmark payload: the quick brown fox jumps over the lazy dog.\n"
open(sys.argv[1], "wb").write((line * 20)[:1023] + b"\n")' "$d/www/1k"
    cat >"$d/nginx.conf" <<EOF
$NGINX_USER
worker_processes $BENCH_ORIGIN_WORKERS;
worker_rlimit_nofile 20000;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 10000; }
http {
    access_log off;
    default_type text/plain;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 120s;
    keepalive_requests 100000;
    open_file_cache max=100 inactive=60s;
$(nginx_temp_paths "$d")
    server {
        listen 127.0.0.1:$ORIGIN_PORT reuseport;
        root $d/www;
        location = /1k { }
        # POST target: the request body is read and discarded, the answer is 3 bytes.
        location = /post { return 200 "ok\n"; }
    }
}
EOF
    start_bg "$d/nginx.log" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    ORIGIN_PID=$BG_PID
    CMD[origin]="nginx -p \$TMP/origin -c \$TMP/origin/nginx.conf    # worker_processes $BENCH_ORIGIN_WORKERS, access_log off"
    wait_ready origin "$ORIGIN_PORT" "$ORIGIN_PID" 10
}

start_nginx_hop() {
    local d="$TMP/nginx-hop"
    mkdir -p "$d"
    cat >"$d/nginx.conf" <<EOF
$NGINX_USER
worker_processes $BENCH_WORKERS;
worker_rlimit_nofile 20000;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 10000; }
http {
    access_log off;
    keepalive_timeout 120s;
    keepalive_requests 100000;
$(nginx_temp_paths "$d")
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
        keepalive_requests 100000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:$HOP_PORT reuseport;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    start_bg "$d/nginx.log" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    SERVER_PID=$BG_PID
    CMD[nginx-hop]="nginx -p \$TMP/nginx-hop -c \$TMP/nginx-hop/nginx.conf    # worker_processes $BENCH_WORKERS, upstream keepalive 64, access_log off"
    wait_ready nginx-hop "$HOP_PORT" "$SERVER_PID" 10
}

# start_pipelock [noscan] : start pipelock with the bench config; with "noscan", with a
# copy that also sets request_body_scanning.enabled: false (pipelock-post-noscan).
start_pipelock() {
    local d="$TMP/pipelock" variant=${1:-} conf
    mkdir -p "$d"
    rm -f "$d/pipelock-audit.log"
    conf="$d/pipelock-bench.yaml"
    [ "$variant" = noscan ] && conf="$d/pipelock-bench-noscan.yaml"
    # The committed config, with logging.file pointed into the temp directory and
    # server.workers set to BENCH_WORKERS.
    sed -e "s|^\(  file:\).*|\1 $d/pipelock-audit.log|" \
        -e "s|^\(  workers:\).*|\1 $BENCH_WORKERS|" "$PIPELOCK_CONFIG_SRC" >"$conf"
    if [ "$variant" = noscan ]; then
        printf '\nrequest_body_scanning:\n  enabled: false\n' >>"$conf"
        CMD[pipelock-noscan]="$PIPELOCK_BIN run --config bench/pipelock-bench.yaml --listen 127.0.0.1:$PIPELOCK_PORT    # pipelock-post-noscan: copy as above, plus request_body_scanning: {enabled: false}"
    else
        CMD[pipelock]="$PIPELOCK_BIN run --config bench/pipelock-bench.yaml --listen 127.0.0.1:$PIPELOCK_PORT    # copy with logging.file: \$TMP/pipelock/pipelock-audit.log, server.workers: $BENCH_WORKERS"
    fi
    start_bg "$d/pipelock.log" "$PIPELOCK_BIN" run --config "$conf" \
        --listen "127.0.0.1:$PIPELOCK_PORT"
    SERVER_PID=$BG_PID
    if ! wait_ready pipelock "$PIPELOCK_PORT" "$SERVER_PID" 10; then
        tail -n 20 "$d/pipelock.log" >&2
        return 1
    fi
}

start_tinyproxy() {
    local d="$TMP/tinyproxy" level=Warning
    [ "$BENCH_PROXY_LOGS" = on ] && level=Info
    mkdir -p "$d"
    chmod 777 "$d" # tinyproxy writes its log after dropping to nobody
    cat >"$d/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $TINY_PORT
Listen 127.0.0.1
Timeout 120
MaxClients 10000
LogFile "$d/tinyproxy.log"
LogLevel $level
PidFile "$d/tinyproxy.pid"
EOF
    start_bg "$d/stderr.log" tinyproxy -d -c "$d/tinyproxy.conf"
    SERVER_PID=$BG_PID
    CMD[tinyproxy]="tinyproxy -d -c \$TMP/tinyproxy/tinyproxy.conf    # LogLevel $level"
    wait_ready tinyproxy "$TINY_PORT" "$SERVER_PID" 10
}

start_squid() {
    local d="$TMP/squid" alog
    alog=none
    [ "$BENCH_PROXY_LOGS" = on ] && alog="stdio:$d/access.log"
    mkdir -p "$d"
    cat >"$d/squid.conf" <<EOF
http_port 127.0.0.1:$SQUID_PORT
workers $BENCH_WORKERS
$SQUID_USER
visible_hostname pipelock-bench
pid_filename $d/squid.pid
cache_log $d/cache.log
access_log $alog
cache_store_log none
logfile_rotate 0
coredump_dir $d
dns_nameservers 127.0.0.1
pinger_enable off
max_filedescriptors 20000
shutdown_lifetime 1 seconds
cache deny all
cache_mem 0 MB
http_access allow localhost
http_access deny all
EOF
    if [ -n "$SQUID_OWNER" ]; then
        chown -R "$SQUID_OWNER" "$d"
        # SMP mode needs squid's compiled-in IPC socket directory.
        mkdir -p /run/squid && chown "$SQUID_OWNER" /run/squid
    fi
    start_bg "$d/stderr.log" squid -f "$d/squid.conf" -n "$SQUID_NAME" --foreground
    SERVER_PID=$BG_PID
    CMD[squid]="squid -f \$TMP/squid/squid.conf -n $SQUID_NAME --foreground    # workers $BENCH_WORKERS, cache deny all, access_log $([ "$alog" = none ] && echo none || echo on)"
    # Squid's coordinator and SMP workers take a few seconds to come up.
    if ! wait_ready squid "$SQUID_PORT" "$SERVER_PID" 30; then
        tail -n 20 "$d/cache.log" >&2
        return 1
    fi
}

# ---------------------------------------------------------------- load

# run_wrk SECONDS URL [PROXIED_URL [BODY_FILE]] : run wrk with output to $WRK_OUT; command
# in WRK_CMD. With BODY_FILE, wrk POSTs that file's content with bench/wrk-post.lua.
run_wrk() {
    local secs=$1 url=$2 purl=${3:-} body=${4:-} pin=() lua=$LUA lua_name=bench/wrk.lua
    [ -n "$body" ] && lua=$LUA_POST lua_name=bench/wrk-post.lua
    [ -n "$BENCH_WRK_CPUS" ] && pin=(taskset -c "$BENCH_WRK_CPUS")
    WRK_CMD="wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS -d${secs}s --timeout 2s --latency -s $lua_name $url"
    [ -n "$body" ] && WRK_CMD="BENCH_BODY_FILE=\$TMP/post-body.json $WRK_CMD"
    case $purl in
    *[\?\&]*) WRK_CMD="BENCH_PROXY_URL='$purl' $WRK_CMD" ;; # quoted for copy and paste
    ?*) WRK_CMD="BENCH_PROXY_URL=$purl $WRK_CMD" ;;
    esac
    [ ${#pin[@]} -gt 0 ] && WRK_CMD="${pin[*]} $WRK_CMD"
    BENCH_PROXY_URL="$purl" BENCH_BODY_FILE="$body" timeout -k 5 $((secs + 30)) "${pin[@]}" \
        wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${secs}s" --timeout 2s --latency \
        -s "$lua" "$url" >"$WRK_OUT" 2>&1
}

# write_post_body FILE : the POST targets' request body, a chat-completion-like JSON request
# of about 2 KB (English prose, a few numbers, one URL; no secrets, so nothing is flagged).
write_post_body() {
    "$PY" - "$1" <<'PYEOF'
import json, sys
system = ("You are a careful technical assistant for a small software team. Answer in plain "
          "English, keep code samples short, and say when you are not sure about a detail.")
user = (
    "We are moving our nightly report job from a cron script to a queue worker. The job "
    "reads about 12,500 rows from the orders table, groups them by region and writes one "
    "CSV file per region. Last month it took 41 minutes on average, and on 3 nights it ran "
    "past 06:00, when the first users log in.\n\n"
    "The new worker pulls tasks in batches of 250 and retries a failed batch twice with a "
    "delay of 30 seconds. I read the guide at https://docs.example.com/queues/retries.html "
    "but I am not sure how retries interact with the visibility timeout, which is set to "
    "300 seconds.\n\n"
    "Could you explain what happens when a batch takes longer than the timeout, whether "
    "the same rows can be processed twice, and how to make the CSV step safe to repeat? "
    "A short outline of the changes would help, with the order in which to make them.\n\n"
    "For context, the worker runs on two small machines with 4 cores and 8 GB of memory "
    "each, and the database is a managed instance that already handles the daytime "
    "traffic. We would rather not add more hardware this quarter, so anything that keeps "
    "the load on the database steady during the night is welcome.")
assistant = (
    "Here is a first outline. Keep the batch size at 250 for now, measure how long one "
    "batch takes at the 95th percentile, and set the visibility timeout to at least "
    "three times that figure.")
follow = ("Thanks. The 95th percentile is about 70 seconds per batch. Should we also split "
          "the regions into separate queues, or is one queue with 8 workers enough?")
req = {
    "model": "gpt-4o-mini",
    "temperature": 0.2,
    "max_tokens": 800,
    "top_p": 1,
    "stream": False,
    "user": "team-reports-7",
    "messages": [
        {"role": "system", "content": system},
        {"role": "user", "content": user},
        {"role": "assistant", "content": assistant},
        {"role": "user", "content": follow},
    ],
}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(req, indent=1) + "\n")
PYEOF
}

# post_check HOST:PORT URL BODY_FILE SIZE : one proxied keep-alive POST of BODY_FILE
# (Content-Type: application/json) in absolute form; expect 200 with a SIZE-byte body.
post_check() {
    "$PY" - "$@" <<'PYEOF'
import http.client, sys
hostport, url, body_file, size = sys.argv[1:5]
host, _, port = hostport.rpartition(":")
body = open(body_file, "rb").read()
try:
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.request("POST", url, body=body,
              headers={"Content-Type": "application/json", "User-Agent": "pipelock-bench"})
    r = c.getresponse()
    data = r.read()
except Exception as e:
    print("POST %s via %s: %s" % (url, hostport, e))
    sys.exit(1)
print("POST %s via %s (%d-byte body): status %d, %d body bytes"
      % (url, hostport, len(body), r.status, len(data)))
sys.exit(0 if r.status == 200 and len(data) == int(size) else 1)
PYEOF
}

# measure TARGET PORT MODE : preflight check, warm-up, measured run, parse.
#   MODE direct: wrk requests http://127.0.0.1:PORT/1k
#   MODE proxy:  wrk connects to PORT and requests the origin URL in absolute form
#   MODE query:  as proxy, the origin URL with the query string $QUERY
#   MODE post:   as proxy, POST of $POST_BODY to the origin's /post (answers "ok\n")
measure() {
    local target=$1 port=$2 mode=$3 url purl="" chk line sfx="" body="" what
    [ "$BENCH_ROUNDS" -gt 1 ] && sfx="-r$ROUND"
    EXPECT_SIZE=$BODY_SIZE
    url="http://127.0.0.1:$port/"
    case $mode in
    proxy) purl="$ORIGIN_URL" ;;
    query) purl="$ORIGIN_URL?$QUERY" ;;
    post) purl="$ORIGIN_POST_URL" body=$POST_BODY EXPECT_SIZE=$POST_RESP_SIZE ;;
    *) url="http://127.0.0.1:$port/1k" ;;
    esac
    what="one GET, expect 200 with a $EXPECT_SIZE-byte body"
    if [ "$mode" = post ]; then
        what="one POST of the $(wc -c <"$POST_BODY")-byte JSON body, expect 200 with a $EXPECT_SIZE-byte body"
        chk=()
    elif [ -n "$purl" ]; then
        chk=(check "127.0.0.1:$port" "$purl" "$BODY_SIZE" --proxy)
    else
        chk=(check "127.0.0.1:$port" "$url" "$BODY_SIZE")
    fi
    say "-- $target: preflight: $what"
    if [ "$mode" = post ]; then
        post_check "127.0.0.1:$port" "$purl" "$POST_BODY" "$EXPECT_SIZE"
    else
        "$PY" "$CLIENT" "${chk[@]}"
    fi || {
        fail_target "$target" "preflight failed: not 200 with a $EXPECT_SIZE-byte body"
        return 1
    }
    say "-- $target: warm-up ${BENCH_WARMUP}s"
    WRK_OUT="$OUT/wrk-$target$sfx-warmup.txt"
    if ! run_wrk "$BENCH_WARMUP" "$url" "$purl" "$body"; then
        cat "$WRK_OUT"
        fail_target "$target" "wrk warm-up failed"
        return 1
    fi
    say "-- $target: measured run ${BENCH_SECONDS}s"
    WRK_OUT="$OUT/wrk-$target$sfx.txt"
    run_wrk "$BENCH_SECONDS" "$url" "$purl" "$body"
    CMD[wrk-$target]=$WRK_CMD
    say "\$ $WRK_CMD"
    cat "$WRK_OUT"
    line=$(grep '^BENCH_RESULT' "$WRK_OUT" | tail -n 1)
    if [ -z "$line" ]; then
        fail_target "$target" "wrk produced no result"
        return 1
    fi
    parse_result "$target" "$line"
}

# Pull one field out of a "KEY=VALUE KEY=VALUE" line.
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

state_rank() { case $1 in FAILED) echo 3 ;; FLAG) echo 2 ;; ok) echo 1 ;; *) echo 0 ;; esac; }

# set_state TARGET STATE [NOTE] : keep the worst state seen; collect notes.
set_state() {
    local t=$1 s=$2 note=${3:-} rank_old rank_new
    rank_old=$(state_rank "${STATE[$t]:-}") rank_new=$(state_rank "$s")
    [ "$rank_new" -gt "$rank_old" ] && STATE[$t]=$s
    if [ -n "$note" ]; then
        [ "$BENCH_ROUNDS" -gt 1 ] && note="round $ROUND: $note"
        NOTE[$t]="${NOTE[$t]:+${NOTE[$t]}; }$note"
    fi
}

fail_target() {
    set_state "$1" FAILED "$2"
    FAILED=1
    warn "$1: FAILED: $2"
}

# parse_result TARGET LINE : record one round from the BENCH_RESULT line of bench/wrk.lua.
parse_result() {
    local t=$1 line=$2 req dur bytes econn eread ewrite estatus etime errs rps p50 p99 bpr
    local state=ok note=""
    req=$(field "$line" requests) dur=$(field "$line" duration_us) bytes=$(field "$line" bytes)
    econn=$(field "$line" err_connect) eread=$(field "$line" err_read)
    ewrite=$(field "$line" err_write) estatus=$(field "$line" err_status)
    etime=$(field "$line" err_timeout)
    errs=$((econn + eread + ewrite + estatus + etime))
    rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", (d > 0 ? r / (d / 1e6) : 0) }')
    p50=$(awk -v u="$(field "$line" p50_us)" 'BEGIN { printf "%.2f", u / 1000 }')
    p99=$(awk -v u="$(field "$line" p99_us)" 'BEGIN { printf "%.2f", u / 1000 }')
    bpr=$(awk -v b="$bytes" -v r="$req" 'BEGIN { printf "%.0f", (r > 0 ? b / r : 0) }')
    if [ "$req" -eq 0 ]; then
        state=FLAG note="no request completed"
    fi
    if [ "$errs" -ne 0 ]; then
        state=FLAG
        note="${note:+$note; }wrk errors: connect $econn, read $eread, write $ewrite, status>399 $estatus, timeout $etime"
        # A server that closes after each response without "Connection: close" makes wrk
        # count one read error per response (wrk then reconnects); say so when that is all.
        if [ $((econn + ewrite + estatus + etime)) -eq 0 ] &&
            [ "$eread" -le $((req + BENCH_CONNECTIONS)) ] && [ "$eread" -ge $((req * 9 / 10)) ]; then
            case ${NOTE[$t]:-} in
            *"no client keep-alive"*) note="$note (one per response, as above)" ;;
            *) note="$note (about one read error per response: the server closed the connection after each complete response without announcing it, i.e. no client keep-alive; wrk reconnects)" ;;
            esac
        fi
    fi
    # Each response is the expected body (1024 bytes; 3 for POST) plus headers; fewer bytes
    # per response means some responses were not that 200 (wrk does not count 3xx as errors).
    if [ "$bpr" -lt "$EXPECT_SIZE" ]; then
        state=FLAG note="${note:+$note; }only $bpr bytes/response (< $EXPECT_SIZE-byte body)"
    fi
    R_RPS[$t]="${R_RPS[$t]:-} $rps" R_P50[$t]="${R_P50[$t]:-} $p50" R_P99[$t]="${R_P99[$t]:-} $p99"
    ERRS[$t]=$((${ERRS[$t]:-0} + errs))
    if [ -z "${BPR[$t]:-}" ] || [ "$bpr" -lt "${BPR[$t]}" ]; then BPR[$t]=$bpr; fi
    set_state "$t" "$state" "$note"
    say "-- $t: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errs, $bpr bytes/response [$state]"
    [ -n "$note" ] && say "-- $t: FLAGGED: $note"
    return 0
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; m = int((NR + 1) / 2); if (NR % 2) print v[m]; else printf "%.2f\n", (v[m] + v[m + 1]) / 2 }'; }

# Medians over the rounds.
finalize() {
    local t
    for t in $TARGETS; do
        [ -n "${R_RPS[$t]:-}" ] || continue
        RPS[$t]=$(printf '%s' "${R_RPS[$t]}" | median)
        RPS[$t]=$(printf '%.0f' "${RPS[$t]}")
        P50[$t]=$(printf '%s' "${R_P50[$t]}" | median)
        P99[$t]=$(printf '%s' "${R_P99[$t]}" | median)
    done
}

# ---------------------------------------------------------------- targets

bench_direct() {
    measure direct "$ORIGIN_PORT" direct
}

bench_nginx_hop() {
    start_nginx_hop || { fail_target nginx-hop "nginx reverse proxy did not start"; return 1; }
    measure nginx-hop "$HOP_PORT" direct
    stop_server "$SERVER_PID"
}

# run_pipelock TARGET MODE [noscan] : one pipelock target (see measure for MODE).
run_pipelock() {
    local t=$1 mode=$2 variant=${3:-} audit="$TMP/pipelock/pipelock-audit.log" lines
    if [ "$BENCH_SKIP_PIPELOCK" = 1 ]; then
        STATE[$t]=skipped NOTE[$t]="BENCH_SKIP_PIPELOCK=1"
        say "-- $t: skipped (BENCH_SKIP_PIPELOCK=1)"
        return 0
    fi
    start_pipelock "$variant" || { fail_target "$t" "pipelock did not start ($PIPELOCK_BIN)"; return 1; }
    measure "$t" "$PIPELOCK_PORT" "$mode"
    stop_server "$SERVER_PID"
    # The audit log must be on: about one line per request (preflight + warm-up + run).
    if [ -s "$audit" ]; then
        lines=$(wc -l <"$audit")
        AUDIT[$t]="${AUDIT[$t]:-}${AUDIT[$t]:+, }$lines lines, $(du -h "$audit" | cut -f1)"
        say "-- $t: audit log: $lines lines, $(du -h "$audit" | cut -f1) (preflight + warm-up + measured run)"
        # Findings on the clean inputs would mean a false positive (the POST body is clean).
        lines=$(grep -c -i -E '"(findings|warn|warning)"|body_dlp|"action":"(warn|block)"' "$audit")
        if [ "$lines" -gt 0 ]; then
            say "-- $t: note: $lines audit lines mention a finding or warning; first one:"
            grep -m1 -i -E '"(findings|warn|warning)"|body_dlp|"action":"(warn|block)"' "$audit" | cut -c1-600
        fi
    else
        set_state "$t" FLAG "no audit log written to logging.file"
        say "-- $t: FLAGGED: no audit log written to $audit"
    fi
}

bench_pipelock() { run_pipelock pipelock proxy; }
bench_pipelock_query() { run_pipelock pipelock-query query; }
bench_pipelock_post() { run_pipelock pipelock-post post; }
bench_pipelock_post_noscan() { run_pipelock pipelock-post-noscan post noscan; }

bench_tinyproxy() {
    command -v tinyproxy >/dev/null || { fail_target tinyproxy "tinyproxy not installed"; return 1; }
    start_tinyproxy || { fail_target tinyproxy "tinyproxy did not start"; return 1; }
    measure tinyproxy "$TINY_PORT" proxy
    stop_server "$SERVER_PID"
}

bench_squid() {
    command -v squid >/dev/null || { fail_target squid "squid not installed"; return 1; }
    start_squid || { fail_target squid "squid did not start"; return 1; }
    measure squid "$SQUID_PORT" proxy
    stop_server "$SERVER_PID"
    # Squid leaves its SMP IPC sockets behind, named after our -n service name.
    rm -f /run/squid/"$SQUID_NAME"-*.ipc 2>/dev/null
}

# ---------------------------------------------------------------- memory

# mem_test NAME PORT MODE PID : RSS after startup and a 1 s settle, then RSS with
# BENCH_IDLE_CONNS idle keep-alive connections that each carried one GET. RSS is summed over
# PID and its descendants (nginx: master + workers; pipelock: one process).
mem_test() {
    local name=$1 port=$2 mode=$3 pid=$4 url proxy_flag=() line rc out="$OUT/idle-$1.txt"
    if [ "$mode" = proxy ]; then
        url=$ORIGIN_URL proxy_flag=(--proxy)
    else
        url="http://127.0.0.1:$port/1k"
    fi
    sleep 1
    MEM_IDLE[$name]=$("$PY" "$CLIENT" rss "$pid")
    say "-- $name: idle RSS ${MEM_IDLE[$name]} KB; opening $BENCH_IDLE_CONNS keep-alive connections"
    "$PY" "$CLIENT" idle "127.0.0.1:$port" "$url" "$BODY_SIZE" "$BENCH_IDLE_CONNS" \
        "${proxy_flag[@]}" --pids "$pid" --settle 1 >"$out" 2>&1
    rc=$?
    cat "$out"
    line=$(grep '^IDLE_RESULT' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        MEM_STATE[$name]=FAILED MEM_NOTE[$name]="idle-connection client produced no result"
        FAILED=1
        return 1
    fi
    MEM_WITH[$name]=$(field "$line" rss_kb)
    MEM_PER[$name]=$(awk -v a="${MEM_IDLE[$name]}" -v b="${MEM_WITH[$name]}" -v n="$BENCH_IDLE_CONNS" \
        'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
    MEM_STATE[$name]=ok
    [ $rc -ne 0 ] && MEM_STATE[$name]=FLAG
    MEM_NOTE[$name]="$(field "$line" opened) opened, $(field "$line" ok) answered 200 with 1 KB, $(field "$line" still_open) still open when RSS was read; set up in $(field "$line" elapsed_s) s"
    say "-- $name: RSS with $BENCH_IDLE_CONNS idle connections ${MEM_WITH[$name]} KB," \
        "${MEM_PER[$name]} bytes per connection (${MEM_NOTE[$name]}) [${MEM_STATE[$name]}]"
}

mem_pipelock() {
    if [ "$BENCH_SKIP_PIPELOCK" = 1 ]; then
        MEM_STATE[pipelock]=skipped
        say "-- pipelock: skipped (BENCH_SKIP_PIPELOCK=1)"
        return 0
    fi
    start_pipelock || {
        MEM_STATE[pipelock]=FAILED MEM_NOTE[pipelock]="pipelock did not start"
        FAILED=1
        return 1
    }
    mem_test pipelock "$PIPELOCK_PORT" proxy "$SERVER_PID"
    stop_server "$SERVER_PID"
}

mem_nginx_hop() {
    start_nginx_hop || {
        MEM_STATE[nginx-hop]=FAILED MEM_NOTE[nginx-hop]="nginx reverse proxy did not start"
        FAILED=1
        return 1
    }
    mem_test nginx-hop "$HOP_PORT" direct "$SERVER_PID"
    stop_server "$SERVER_PID"
}

# ---------------------------------------------------------------- report

# ratio NUM DEN OP LIMIT : "x.xx PASS|MISS", or "n/a" when a side is missing.
ratio() {
    local num=$1 den=$2 op=$3 limit=$4
    if [ -z "$num" ] || [ -z "$den" ]; then
        echo "n/a"
        return
    fi
    awk -v n="$num" -v d="$den" -v op="$op" -v l="$limit" 'BEGIN {
        if (d + 0 == 0) { print "n/a"; exit }
        r = n / d
        ok = (op == ">=") ? (r >= l) : (r <= l)
        printf "%.2f %s\n", r, (ok ? "PASS" : "MISS") }'
}

# Figures of runs that completed (ok or FLAG) enter a ratio; FAILED/skipped ones do not.
val() {
    local -n arr=$1
    case ${STATE[$2]:-} in ok | FLAG) printf '%s' "${arr[$2]:-}" ;; esac
}

# ratio_row LABEL ARRAY A B OP LIMIT : one table row for A/B, marking flagged inputs.
ratio_row() {
    local label=$1 arr=$2 a=$3 b=$4 op=$5 limit=$6 mark=""
    [ "${STATE[$a]:-}" = FLAG ] && mark=" ($a run flagged)"
    [ "${STATE[$b]:-}" = FLAG ] && mark="$mark ($b run flagged)"
    echo "| $label | $(ratio "$(val "$arr" "$a")" "$(val "$arr" "$b")" "$op" "$limit")$mark | $op $limit |"
}

mem_verdict() {
    [ "${MEM_STATE[pipelock]:-}" = ok ] || [ "${MEM_STATE[pipelock]:-}" = FLAG ] || {
        echo "n/a"
        return
    }
    if [ "$1" = idle ]; then
        awk -v k="${MEM_IDLE[pipelock]}" -v l="$T_IDLE_MB" \
            'BEGIN { printf "%.1f MiB %s", k / 1024, (k <= l * 1024 ? "PASS" : "MISS") }'
    else
        awk -v b="${MEM_PER[pipelock]}" -v l="$T_PER_CONN_KB" \
            'BEGIN { printf "%.1f KiB %s", b / 1024, (b <= l * 1024 ? "PASS" : "MISS") }'
    fi
}

# cost A B : "x.x% PASS|MISS" for 1 - A/B against T_POST_SCAN, or "n/a".
cost() {
    if [ -z "$1" ] || [ -z "$2" ]; then
        echo "n/a"
        return
    fi
    awk -v a="$1" -v b="$2" -v l="$T_POST_SCAN" 'BEGIN {
        if (b + 0 == 0) { print "n/a"; exit }
        printf "%.1f%% %s\n", (1 - a / b) * 100, (a / b >= l ? "PASS" : "MISS") }'
}

# round_costs : "; per round: a%, b%, ..." (each round's post / post-noscan pair), when
# both POST targets completed more than one round.
round_costs() {
    local a b out="" i
    [ "$BENCH_ROUNDS" -gt 1 ] && [ -n "$(val RPS pipelock-post)" ] && [ -n "$(val RPS pipelock-post-noscan)" ] || return 0
    read -r -a a <<<"${R_RPS[pipelock-post]}"
    read -r -a b <<<"${R_RPS[pipelock-post-noscan]}"
    [ "${#a[@]}" -eq "${#b[@]}" ] || return 0
    for i in "${!a[@]}"; do
        out="$out${out:+, }$(cost "${a[$i]}" "${b[$i]}" | cut -d' ' -f1)"
    done
    printf '; per round: %s' "$out"
}

kb() { awk -v k="$1" 'BEGIN { printf "%d KB (%.1f MiB)", k, k / 1024 }'; }

report() {
    local t rounds_col="" rounds_sep=""
    if [ "$BENCH_ROUNDS" -gt 1 ]; then
        rounds_col=" req/s per round |" rounds_sep="---|"
    fi
    echo "# pipelock benchmark results"
    echo
    echo "Generated $(date -u '+%Y-%m-%d %H:%M:%S UTC') by \`make bench\` (bench/run.sh), in $SECONDS s."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
    echo "- Memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "- Kernel: $(uname -srm)"
    # shellcheck source=/dev/null
    echo "- OS: $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")"
    echo "- Load average before the run: $LOADAVG_START"
    echo
    echo "## Versions"
    echo
    echo "- pipelock: $PIPELOCK_VERSION"
    echo "- wrk: $(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
    echo "- nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //')"
    echo "- tinyproxy: $(tinyproxy -v 2>&1 | head -n 1)"
    echo "- squid: $(squid -v 2>&1 | head -n 1)"
    echo
    echo "## Settings"
    echo
    local rounds="one round"
    [ "$BENCH_ROUNDS" -gt 1 ] && rounds="$BENCH_ROUNDS rounds, medians reported"
    echo "- wrk: $BENCH_THREADS threads, $BENCH_CONNECTIONS keep-alive connections, ${BENCH_WARMUP} s warm-up then ${BENCH_SECONDS} s measured per target, $rounds; GET of a ${BODY_SIZE}-byte text/plain file"
    if in_targets pipelock-query; then
        echo "- pipelock-query: the same GET with the query string \`?$QUERY\`"
    fi
    if in_targets pipelock-post || in_targets pipelock-post-noscan; then
        echo "- pipelock-post, pipelock-post-noscan: POST of a $(wc -c <"$POST_BODY")-byte chat-completion-like JSON body (\`Content-Type: application/json\`, bench/wrk-post.lua) to the origin's /post, which answers 200 \"ok\\n\"; pipelock-post runs the bench config (request body and header scanning on, action warn), pipelock-post-noscan the same config plus \`request_body_scanning: {enabled: false}\`"
    fi
    echo "- CPU placement: ${BENCH_WRK_CPUS:+wrk pinned to CPU(s) $BENCH_WRK_CPUS, servers not pinned}${BENCH_WRK_CPUS:-nothing pinned}; wrk, the origin and the server under test share the $(nproc) CPUs"
    echo "- origin: nginx, worker_processes $BENCH_ORIGIN_WORKERS, access_log off, keepalive_requests 100000"
    echo "- nginx-hop, pipelock, squid: $BENCH_WORKERS workers; tinyproxy: one process, one thread per client connection (no worker setting)"
    echo "- per-request logging: pipelock audit log on (full checks on); squid access.log and tinyproxy LogLevel Info: $BENCH_PROXY_LOGS; nginx: off"
    echo
    echo "## Commands"
    echo
    echo "Configs are generated by bench/run.sh into a temp directory (\$TMP); copies are in bench/out/conf/."
    echo
    echo '```'
    echo "make bench    # = scripts/install-deps bench && bench/run.sh"
    [ -n "${CMD[origin]:-}" ] && echo "${CMD[origin]}"
    for t in nginx-hop pipelock pipelock-noscan tinyproxy squid; do
        [ -n "${CMD[$t]:-}" ] && echo "${CMD[$t]}"
    done
    for t in $TARGETS; do
        [ -n "${CMD[wrk-$t]:-}" ] && echo "${CMD[wrk-$t]}"
    done
    echo '```'
    echo
    echo "## Throughput and latency"
    echo
    echo "| target | path | req/s | p50 ms | p99 ms | errors | bytes/resp | run |$rounds_col"
    echo "|---|---|---:|---:|---:|---:|---:|---|$rounds_sep"
    for t in $TARGETS; do
        echo "| $t | ${DESC[$t]} | ${RPS[$t]:--} | ${P50[$t]:--} | ${P99[$t]:--} | ${ERRS[$t]:--} | ${BPR[$t]:--} | ${STATE[$t]:-not run} |${rounds_col:+ ${R_RPS[$t]:--} |}"
    done
    echo
    for t in $TARGETS; do
        [ -n "${NOTE[$t]:-}" ] && echo "- $t: ${NOTE[$t]}"
    done
    for t in $TARGETS; do
        [ -n "${AUDIT[$t]:-}" ] && echo "- $t audit log: ${AUDIT[$t]}"
    done
    echo
    echo "## Ratios"
    echo
    echo "Targets are reported as PASS/MISS; a MISS never fails the build."
    echo
    echo "| ratio | value | target |"
    echo "|---|---:|---|"
    ratio_row "pipelock / nginx-hop req/s" RPS pipelock nginx-hop '>=' $T_RPS_HOP
    ratio_row "pipelock / tinyproxy req/s" RPS pipelock tinyproxy '>=' $T_RPS_TINY
    ratio_row "pipelock / squid req/s" RPS pipelock squid '>=' $T_RPS_SQUID
    ratio_row "pipelock p99 / nginx-hop p99" P99 pipelock nginx-hop '<=' $T_P99_HOP
    ratio_row "pipelock-post / pipelock-post-noscan req/s (body scan)" RPS pipelock-post pipelock-post-noscan '>=' $T_POST_SCAN
    echo
    echo "Body-scan cost (1 - pipelock-post / pipelock-post-noscan req/s; target <= 5%): $(cost "$(val RPS pipelock-post)" "$(val RPS pipelock-post-noscan)")$(round_costs)."
    echo
    echo "For reference (no target): nginx-hop / direct req/s $(ratio "$(val RPS nginx-hop)" "$(val RPS direct)" '>=' 0 | cut -d' ' -f1), tinyproxy / nginx-hop $(ratio "$(val RPS tinyproxy)" "$(val RPS nginx-hop)" '>=' 0 | cut -d' ' -f1), squid / nginx-hop $(ratio "$(val RPS squid)" "$(val RPS nginx-hop)" '>=' 0 | cut -d' ' -f1), pipelock-query / pipelock req/s $(ratio "$(val RPS pipelock-query)" "$(val RPS pipelock)" '>=' 0 | cut -d' ' -f1), pipelock-post / pipelock-post-noscan p99 $(ratio "$(val P99 pipelock-post)" "$(val P99 pipelock-post-noscan)" '>=' 0 | cut -d' ' -f1)."
    echo
    if [ "$BENCH_IDLE_CONNS" -gt 0 ]; then
        echo "## Memory: $BENCH_IDLE_CONNS idle keep-alive connections"
        echo
        echo "Each connection carried one GET (proxied for pipelock), then stayed open and idle. RSS is VmRSS from /proc after a 1 s settle."
        echo
        echo "| server | idle RSS | RSS with $BENCH_IDLE_CONNS idle | bytes per idle connection | run |"
        echo "|---|---:|---:|---:|---|"
        for t in pipelock nginx-hop; do
            in_targets "$t" || continue
            if [ -n "${MEM_WITH[$t]:-}" ]; then
                echo "| $t | $(kb "${MEM_IDLE[$t]}") | $(kb "${MEM_WITH[$t]}") | ${MEM_PER[$t]} | ${MEM_STATE[$t]} |"
            else
                echo "| $t | - | - | - | ${MEM_STATE[$t]:-not run} |"
            fi
        done
        echo
        for t in pipelock nginx-hop; do
            [ -n "${MEM_NOTE[$t]:-}" ] && echo "- $t: ${MEM_NOTE[$t]}"
        done
        echo "- nginx-hop RSS is summed over its master and $BENCH_WORKERS worker processes (shared pages count in each)."
        echo
        echo "pipelock targets: idle RSS <= $T_IDLE_MB MiB: $(mem_verdict idle); <= $T_PER_CONN_KB KiB per idle connection: $(mem_verdict per)."
    fi
}

# ---------------------------------------------------------------- main

main() {
    local tool ports t lo hi
    for tool in wrk nginx timeout; do
        command -v "$tool" >/dev/null || { warn "$tool not found (run: scripts/install-deps bench)"; exit 2; }
    done
    [ -x "$PY" ] || { warn "$PY not found"; exit 2; }
    for t in $TARGETS; do
        [ -n "${DESC[$t]:-}" ] || { warn "unknown target '$t' (known: $ALL_TARGETS)"; exit 2; }
    done

    # 5,000 idle clients plus the proxies' upstream sockets need more than 1024 fds.
    ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
    if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((BENCH_IDLE_CONNS * 2 + 100)) ]; then
        warn "open-file limit $(ulimit -n) is low for $BENCH_IDLE_CONNS idle connections"
    fi
    # Listening ports inside the ephemeral range can be taken by the benchmark's own
    # outgoing connections (tinyproxy opens one per request) between runs.
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    if [ "$BENCH_PORT_BASE" -ge "$lo" ] && [ "$BENCH_PORT_BASE" -le "$hi" ]; then
        warn "BENCH_PORT_BASE $BENCH_PORT_BASE is inside the ephemeral port range $lo-$hi"
    fi

    NGINX_USER="" SQUID_USER="" SQUID_OWNER=""
    if [ "$(id -u)" = 0 ]; then
        # nginx and squid drop privileges when started as root.
        NGINX_USER="user root;"
        if id proxy >/dev/null 2>&1; then
            SQUID_USER="cache_effective_user proxy" SQUID_OWNER=proxy
        else
            SQUID_USER="cache_effective_user nobody" SQUID_OWNER=nobody
        fi
    fi

    any_pipelock_target || BENCH_SKIP_PIPELOCK=1
    PIPELOCK_VERSION="(skipped)"
    if [ "$BENCH_SKIP_PIPELOCK" != 1 ]; then
        [ -x "$PIPELOCK_BIN" ] ||
            warn "$PIPELOCK_BIN not found or not executable (set PIPELOCK_BIN, or BENCH_SKIP_PIPELOCK=1)"
        PIPELOCK_VERSION=$("$PIPELOCK_BIN" version 2>&1 | head -n 1)
        [ -n "$PIPELOCK_VERSION" ] || PIPELOCK_VERSION="unknown ('$PIPELOCK_BIN version' printed nothing)"
    fi

    mkdir -p "$OUT"
    rm -rf "$OUT"/wrk-*.txt "$OUT"/idle-*.txt "$OUT/logs" "$OUT/conf"
    TMP=$(mktemp -d /tmp/pipelock-bench.XXXXXX) || exit 2
    chmod 755 "$TMP"
    trap cleanup EXIT
    trap 'warn "interrupted"; exit 130' INT TERM HUP

    ports=$("$PY" "$CLIENT" ports "$BENCH_PORT_BASE" 5) || { warn "no free ports from $BENCH_PORT_BASE"; exit 2; }
    read -r ORIGIN_PORT HOP_PORT PIPELOCK_PORT TINY_PORT SQUID_PORT <<<"$ports"
    ORIGIN_URL="http://127.0.0.1:$ORIGIN_PORT/1k"
    ORIGIN_POST_URL="http://127.0.0.1:$ORIGIN_PORT/post"
    POST_BODY="$TMP/post-body.json"
    write_post_body "$POST_BODY" || { warn "could not write $POST_BODY"; exit 2; }
    LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
    if awk -v l="${LOADAVG_START%% *}" 'BEGIN { exit !(l > 0.5) }'; then
        warn "load average is $LOADAVG_START before the run: other work on this machine will make the figures noisy"
    fi
    say "== pipelock benchmark: targets: $TARGETS; ${BENCH_WARMUP} s warm-up + ${BENCH_SECONDS} s" \
        "per target, rounds: $BENCH_ROUNDS, $BENCH_CONNECTIONS connections, $BENCH_THREADS wrk threads"
    say "== temp dir $TMP; ports: origin $ORIGIN_PORT, nginx-hop $HOP_PORT, pipelock" \
        "$PIPELOCK_PORT, tinyproxy $TINY_PORT, squid $SQUID_PORT; load average $LOADAVG_START"

    if ! start_origin; then
        tail -n 20 "$TMP/origin/error.log" >&2
        warn "origin nginx did not start"
        exit 2
    fi

    for ROUND in $(seq 1 "$BENCH_ROUNDS"); do
        for t in $TARGETS; do
            if [ "$BENCH_ROUNDS" -gt 1 ]; then
                section "$t (round $ROUND of $BENCH_ROUNDS): ${DESC[$t]}"
            else
                section "$t: ${DESC[$t]}"
            fi
            "bench_${t//-/_}"
        done
    done
    finalize
    if [ "$BENCH_IDLE_CONNS" -gt 0 ]; then
        if in_targets pipelock; then section "memory: pipelock"; mem_pipelock; fi
        if in_targets nginx-hop; then section "memory: nginx-hop"; mem_nginx_hop; fi
    fi

    report >"$OUT/results.md"
    say
    cat "$OUT/results.md"
    say
    say "== written: bench/out/results.md; raw wrk output: bench/out/wrk-*.txt; configs: bench/out/conf/"
    if [ "$FAILED" != 0 ]; then
        warn "at least one target failed to run (see above)"
        exit 1
    fi
    exit 0
}

main "$@"
