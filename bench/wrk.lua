-- wrk script used for every benchmark target (bench/run.sh).
--
-- Direct/reverse targets: run as is; wrk requests the URL given on its command line.
-- Forward-proxy targets: set BENCH_PROXY_URL to the absolute origin URL. wrk then connects
-- to the proxy given on its command line and sends the absolute-form request line
-- "GET http://127.0.0.1:<origin port>/1k HTTP/1.1" with the origin's Host header.
--
-- done() prints one machine-readable line that bench/run.sh parses:
--   BENCH_RESULT requests=N duration_us=N bytes=N p50_us=N p99_us=N max_us=N
--                err_connect=N err_read=N err_write=N err_status=N err_timeout=N
-- (err_status counts responses with status > 399, as wrk does.)
--
-- There is deliberately no response() function: defining one makes wrk run Lua for every
-- response, which slows the load generator and would skew the comparison. Status and body
-- size are checked by a preflight request per target and by bytes/requests after the run.

local proxy_url = os.getenv("BENCH_PROXY_URL")
if proxy_url and proxy_url ~= "" then
    local host = proxy_url:match("^http://([^/]+)")
    wrk.path = proxy_url
    wrk.headers["Host"] = host
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH_RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d " ..
        "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(99), latency.max,
        e.connect, e.read, e.write, e.status, e.timeout))
end
