-- wrk script for the body-scan targets of bench/run.sh (pipelock-post, pipelock-post-noscan).
--
-- Every request is "POST http://127.0.0.1:<origin port>/post HTTP/1.1" (absolute form, sent
-- to the forward proxy given on wrk's command line) with the origin's Host header,
-- "Content-Type: application/json" and the body read once from BENCH_BODY_FILE: a
-- chat-completion-like request of about 2 KB, written by bench/run.sh (no secrets in it, so
-- nothing is blocked or flagged). The origin answers 200 "ok\n".
--
-- Environment: BENCH_PROXY_URL (absolute origin URL, required), BENCH_BODY_FILE (required).
-- done() prints the same BENCH_RESULT line as bench/wrk.lua. As there, no response()
-- function: status and size are checked by a preflight request and by bytes/requests.

local proxy_url = os.getenv("BENCH_PROXY_URL")
local body_file = os.getenv("BENCH_BODY_FILE")
if not proxy_url or proxy_url == "" or not body_file or body_file == "" then
    io.stderr:write("wrk-post.lua: BENCH_PROXY_URL and BENCH_BODY_FILE must be set\n")
    os.exit(2)
end
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = proxy_url
wrk.body = body
wrk.headers["Host"] = proxy_url:match("^http://([^/]+)")
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH_RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d " ..
        "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.status, e.timeout))
end
