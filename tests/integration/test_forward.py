"""Forward proxy (absolute-form requests): real clients, what the origin receives, framing,
keep-alive, pipelining, header hygiene, streaming with bounded memory, failures, git."""

import hashlib
import json
import os
import subprocess
import time

import pytest

from clients import NODE, H11Client, curl, hdr, httpx_client, node_get, requests_session
from pltest import rawhttp
from pltest.origin import Reply, RecordingOrigin
from pltest.util import (GUARD, big_transfer_bytes, clean_env, closed_port, is_asan,
                         pattern_chunks, wait_until)

MEM_LIMIT_KB = 64 * 1024

# Large-transfer tests are about streaming, so they switch off the features that by design
# look at (and may hold) a bounded prefix of a body, and lift the response-size cap.
STREAMING = {
    "request_body_scanning": {"enabled": False},
    "response_scanning": {"enabled": False},
    "media_policy": {"enabled": False},
    "fetch_proxy": {"max_response_mb": 4096},
}


def only_request(origin, path):
    origin.settle()
    reqs = origin.find(path)
    assert len(reqs) == 1, f"origin saw {len(reqs)} requests for {path}: {[r.raw_head for r in reqs]}"
    return reqs[0]


def assert_proxied_shape(req, origin, host=None):
    """What every forwarded request must look like at the origin."""
    assert req.target.startswith("/"), f"origin got a non-origin-form target {req.target!r}"
    assert req.header_all("host") == [host or origin.authority]
    assert req.header_all("via") == ["1.1 pipelock"], req.headers
    for h in ("proxy-connection", "proxy-authorization", "x-pipelock-agent", "keep-alive"):
        assert h not in req.header_names(), f"{h} reached the origin"


def assert_mem_bounded(p, what):
    st = p.proc_status()
    if is_asan():
        return  # ASan's allocator quarantine makes RSS meaningless here
    assert st["VmHWM"] < MEM_LIMIT_KB, (
        f"pipelock peak RSS {st['VmHWM']} KiB after {what} (limit {MEM_LIMIT_KB} KiB): "
        "the body was buffered instead of streamed")


# ------------------------------------------------------------------ real clients


def test_curl_get_through_proxy(pipelock, origin):
    p = pipelock()
    r = curl("-x", p.url, "-o", "-", "-w", "\n%{http_code}", origin.url("/curl?x=1"))
    assert r.returncode == 0, r.stderr
    body, _, code = r.stdout.rpartition(b"\n")
    assert code == b"200" and body == b"ok GET /curl?x=1\n"
    req = only_request(origin, "/curl")
    assert req.target == "/curl?x=1"
    assert_proxied_shape(req, origin)
    assert req.header("user-agent", "").startswith("curl/")


def test_requests_get_through_proxy(pipelock, origin):
    p = pipelock()
    with requests_session(p) as s:
        r = s.get(origin.url("/requests"), timeout=GUARD)
    assert r.status_code == 200 and r.content == b"ok GET /requests\n"
    assert_proxied_shape(only_request(origin, "/requests"), origin)


def test_httpx_get_through_proxy(pipelock, origin):
    p = pipelock()
    with httpx_client(p) as c:
        r = c.get(origin.url("/httpx"))
    assert r.status_code == 200 and r.content == b"ok GET /httpx\n"
    assert_proxied_shape(only_request(origin, "/httpx"), origin)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_node_http_request_through_proxy(pipelock, origin):
    p = pipelock()
    out = node_get(p, origin.url("/node"), origin.authority)
    assert out == {"status": 200, "body": "ok GET /node\n"}
    req = only_request(origin, "/node")
    assert_proxied_shape(req, origin)
    assert req.header("x-client") == "node"


def test_forward_http_audit_event_describes_the_exchange(pipelock, origin):
    p = pipelock()
    url = origin.url("/audited")
    r = rawhttp.proxy_get(p.port, url, headers=[("X-Pipelock-Agent", "tester-1")])
    assert r.status == 200
    ev = p.wait_event("forward_http", pred=lambda e: e.get("url") == url)
    assert ev["method"] == "GET" and ev["status_code"] == 200
    assert ev["client_ip"] == "127.0.0.1"
    assert ev["agent"] == "tester-1"
    assert ev["size_bytes"] == len(b"ok GET /audited\n")
    assert isinstance(ev["duration_ms"], (int, float)) and ev["duration_ms"] >= 0
    assert ev["level"] == "info" and ev["component"] == "pipelock" and ev["message"]
    assert ev["request_id"]
    r2 = rawhttp.proxy_get(p.port, url)
    assert r2.status == 200
    ev2 = wait_until(lambda: [e for e in p.events("forward_http") if e.get("url") == url][1:],
                     what="second forward_http event")[0]
    assert ev2["request_id"] != ev["request_id"]
    assert only_request_count(origin, "/audited") == 2
    for req in origin.find("/audited"):
        assert "x-pipelock-agent" not in req.header_names()


def only_request_count(origin, path):
    origin.settle()
    return len(origin.find(path))


# ------------------------------------------------------------------ bodies and framing


def test_post_with_content_length_body_arrives_intact(pipelock, origin):
    p = pipelock()
    body = os.urandom(200_000)
    with requests_session(p) as s:
        r = s.post(origin.url("/upload"), data=body, timeout=GUARD)
    assert r.status_code == 200
    assert r.json() == {"len": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    req = only_request(origin, "/upload")
    assert req.framing == "length" and req.header("content-length") == str(len(body))
    assert req.body == body


def test_chunked_request_body_from_curl_is_rechunked_intact(pipelock, origin, tmp_path):
    # the streaming body path (bodies are held whole when they are scanned)
    p = pipelock({"request_body_scanning": {"enabled": False}})
    body = os.urandom(300_000)
    f = tmp_path / "body.bin"
    f.write_bytes(body)
    r = curl("-x", p.url, "-H", "Transfer-Encoding: chunked", "--data-binary", f"@{f}",
             origin.url("/upload"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"len": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    req = only_request(origin, "/upload")
    assert req.framing == "chunked"
    assert "content-length" not in req.header_names()


def test_chunked_request_extensions_and_trailers_are_dropped(pipelock, origin):
    # the streaming body path (bodies are held whole when they are scanned)
    p = pipelock({"request_body_scanning": {"enabled": False}})
    chunked = (b"5;name=value;x=\"q\"\r\nhello\r\n"
               b"1A\r\n" + b"z" * 26 + b"\r\n"
               b"000c;ext\r\n, world!!!!\n\r\n"
               b"0\r\nX-Secret-Trailer: t0p\r\nX-Other: 1\r\n\r\n")
    expected = b"hello" + b"z" * 26 + b", world!!!!\n"
    data = rawhttp.request_bytes("POST", origin.url("/upload"), [
        ("Host", origin.authority), ("Transfer-Encoding", "chunked"), ("Trailer", "X-Secret-Trailer"),
        ("Connection", "close")], chunked)
    resp, _, s = rawhttp.exchange(p.port, data)
    s.close()
    assert resp.status == 200
    assert json.loads(resp.body)["sha256"] == hashlib.sha256(expected).hexdigest()
    req = only_request(origin, "/upload")
    assert req.framing == "chunked" and bytes(req.body) == expected
    assert req.chunk_extensions == [] and req.trailers == []
    raw = bytes(origin.connections[0].raw)
    assert b"X-Secret-Trailer" not in raw and b"name=value" not in raw


def test_chunked_response_is_reframed_without_extensions_or_trailers(pipelock, origin):
    p = pipelock()
    c = H11Client(p.port)
    resp, body, trailers = c.request("GET", origin.url("/chunked?n=6&size=9"),
                                     [("Host", origin.authority)])
    c.close()
    assert resp.status_code == 200
    assert body == b"".join(bytes([0x41 + i]) * 9 for i in range(6))
    assert list(trailers) == []
    assert b"ext=1" not in c.raw_in and b"X-Trailer-Field" not in c.raw_in


def test_eof_delimited_upstream_body_is_delivered_intact(pipelock, origin):
    p = pipelock()
    c = H11Client(p.port)
    resp, body, _ = c.request("GET", origin.url("/eof"), [("Host", origin.authority)])
    c.close()
    assert resp.status_code == 200 and body == b"eof-delimited body\n"


def test_head_response_has_no_body_and_connection_stays_usable(pipelock, origin):
    p = pipelock()
    c = H11Client(p.port)
    resp, body, _ = c.request("HEAD", origin.url("/big?bytes=5000"), [("Host", origin.authority)])
    assert resp.status_code == 200 and body == b""
    assert hdr(resp, "content-length") == "5000"
    resp2, body2, _ = c.request("GET", origin.url("/after-head"), [("Host", origin.authority)])
    c.close()
    assert resp2.status_code == 200 and body2 == b"ok GET /after-head\n"


@pytest.mark.parametrize("kind", ["length", "chunked"])
def test_truncated_upstream_response_is_never_completed(pipelock, origin, kind):
    """Upstream dies mid-body: the client must see a broken response, never a complete one."""
    p = pipelock()
    if kind == "length":
        raw = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 40000
    else:
        raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\n" + b"x" * 16384 \
            + b"\r\n4000\r\n" + b"y" * 100
    origin.route("/truncated", lambda req: Reply(raw=raw))
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url("/truncated"), [("Host", origin.authority)]))
    r = rawhttp.Reader(s)
    try:
        resp = r.read_response()
    except rawhttp.Closed:
        resp = None  # head may have been relayed; the body then ends early: correct
    except (AssertionError, ValueError):
        resp = None  # broken framing seen by the client: also a visible failure, correct
    s.close()
    if resp is not None:
        assert resp.status >= 500, (
            f"a truncated upstream body was delivered as a complete {resp.status} response "
            f"of {resp.body_len} bytes ({resp.framing})")


# ------------------------------------------------------------------ keep-alive and pipelining


def test_two_requests_on_one_client_connection_reuse_one_upstream_connection(pipelock, origin):
    p = pipelock()
    c = H11Client(p.port)
    for path in ("/ka1", "/ka2", "/ka3"):
        resp, body, _ = c.request("GET", origin.url(path), [("Host", origin.authority)])
        assert resp.status_code == 200 and body == f"ok GET {path}\n".encode()
    c.close()
    origin.settle()
    assert origin.n_connections() == 1, "upstream connection was not reused"
    assert [r.path for r in origin.connections[0].requests] == ["/ka1", "/ka2", "/ka3"]


def test_upstream_connection_close_is_honoured_and_next_request_redials(pipelock, origin):
    p = pipelock()
    c = H11Client(p.port)
    resp, body, _ = c.request("GET", origin.url("/close"), [("Host", origin.authority)])
    assert resp.status_code == 200 and body == b"closing\n"
    resp, body, _ = c.request("GET", origin.url("/after-close"), [("Host", origin.authority)])
    c.close()
    assert resp.status_code == 200 and body == b"ok GET /after-close\n"
    origin.settle()
    assert origin.n_connections() == 2
    assert [r.path for r in origin.connections[1].requests] == ["/after-close"]


def test_pipelined_requests_are_answered_in_order(pipelock, origin):
    p = pipelock()
    a = origin.authority
    data = (rawhttp.request_bytes("GET", origin.url("/p1"), [("Host", a)])
            + rawhttp.request_bytes("POST", origin.url("/p2"), [("Host", a),
                                                                ("Content-Length", "4")], b"abcd")
            + rawhttp.request_bytes("GET", origin.url("/slow?n=3&ms=20"), [("Host", a)])
            + rawhttp.request_bytes("GET", origin.url("/p4"), [("Host", a),
                                                               ("Connection", "close")]))
    s = rawhttp.connect(p.port)
    s.sendall(data)
    r = rawhttp.Reader(s)
    bodies = [r.read_response().body for _ in range(4)]
    tail = r.read_until_eof()
    s.close()
    assert bodies[0] == b"ok GET /p1\n"
    assert bodies[1] == b"ok POST /p2\n"
    assert bodies[2] == b"0" * 1024 + b"1" * 1024 + b"2" * 1024
    assert bodies[3] == b"ok GET /p4\n"
    assert tail == b""
    origin.settle()
    assert [x.path for x in origin.requests] == ["/p1", "/p2", "/slow", "/p4"]
    assert origin.find("/p2")[0].body == b"abcd"


# ------------------------------------------------------------------ header hygiene


def test_hop_by_hop_and_identity_headers_are_stripped_and_via_added(pipelock, origin):
    p = pipelock()
    headers = [
        ("Host", origin.authority),
        ("Connection", "keep-alive, X-Hop-Custom"),
        ("X-Hop-Custom", "must-not-pass"),
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Connection", "keep-alive"),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz"),
        ("TE", "trailers"),
        ("Trailer", "X-Nothing"),
        ("Upgrade", "example/1"),
        ("Via", "1.0 attacker"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Port", "443"),
        ("X-Real-IP", "203.0.113.10"),
        ("Forwarded", "for=203.0.113.11"),
        ("X-Pipelock-Agent", "spoofed"),
        ("X-End-To-End", "kept"),
        ("User-Agent", "hygiene-test/1"),
    ]
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url("/hygiene"), headers))
    resp = rawhttp.Reader(s).read_response()
    s.close()
    assert resp.status == 200
    req = only_request(origin, "/hygiene")
    names = req.header_names()
    for h in ("connection", "x-hop-custom", "keep-alive", "proxy-connection",
              "proxy-authorization", "te", "trailer", "upgrade", "x-forwarded-for",
              "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-real-ip",
              "forwarded", "x-pipelock-agent"):
        if h == "connection":
            # a proxy may add its own Connection header upstream, but never the client's tokens
            assert all("x-hop-custom" not in v.lower() for v in req.header_all("connection"))
            continue
        assert h not in names, f"{h} reached the origin: {req.headers}"
    assert req.header_all("via") == ["1.1 pipelock"]
    assert req.header("x-end-to-end") == "kept"
    assert req.header("user-agent") == "hygiene-test/1"
    assert b"must-not-pass" not in bytes(origin.connections[0].raw)


def test_hop_by_hop_response_headers_are_stripped(pipelock, origin):
    p = pipelock()
    r = rawhttp.proxy_get(p.port, origin.url("/hop-resp"))
    assert r.status == 200 and r.body == b"hop\n"
    names = [k.lower() for k, _ in r.headers]
    assert "x-resp-hop" not in names and "keep-alive" not in names
    assert "proxy-authenticate" not in names
    assert r.header("x-end-to-end") == "kept"


def test_host_header_comes_from_the_absolute_uri(pipelock, origin, dns):
    dns.set("origin.test", "127.0.0.1")
    p = pipelock()
    url = f"http://origin.test:{origin.port}/named"
    r = rawhttp.proxy_get(p.port, url)
    assert r.status == 200 and r.body == b"ok GET /named\n"
    req = only_request(origin, "/named")
    assert req.target == "/named"
    assert req.header_all("host") == [f"origin.test:{origin.port}"]


def test_http10_request_without_host_gets_host_derived_from_uri(pipelock, origin, dns):
    dns.set("origin.test", "127.0.0.1")
    p = pipelock()
    data = rawhttp.request_bytes("GET", f"http://origin.test:{origin.port}/ten", [],
                                 version="HTTP/1.0")
    resp, r, s = rawhttp.exchange(p.port, data)
    s.close()
    assert resp.status == 200 and resp.body == b"ok GET /ten\n"
    req = only_request(origin, "/ten")
    assert req.header_all("host") == [f"origin.test:{origin.port}"]


def test_default_port_is_omitted_from_the_derived_host(pipelock, dns):
    try:
        o = RecordingOrigin(port=80, also_v6=False, name="origin80").start()
    except OSError:
        pytest.skip("127.0.0.1:80 is in use on this machine")
    try:
        dns.set("origin.test", "127.0.0.1")
        p = pipelock()
        r = rawhttp.proxy_get(p.port, "http://origin.test/port80", host_header="origin.test")
        assert r.status == 200 and r.body == b"ok GET /port80\n"
        req = only_request(o, "/port80")
        assert req.header_all("host") in (["origin.test"], ["origin.test:80"])
    finally:
        o.stop()


# ------------------------------------------------------------------ streaming and memory


@pytest.mark.slow
@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_large_download_streams_with_bounded_memory(pipelock, origin, framing):
    n = big_transfer_bytes() if framing == "length" else big_transfer_bytes() // 4
    p = pipelock(STREAMING)
    q = f"/big?bytes={n}" + ("&chunked=1" if framing == "chunked" else "")
    h = hashlib.sha256()
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url(q), [("Host", origin.authority)]))
    resp = rawhttp.Reader(s).read_response(sink=h.update)
    s.close()
    assert resp.status == 200 and resp.body_len == n
    sent = only_request(origin, "/big")
    assert sent.sent_len == n and h.hexdigest() == sent.sent_sha256
    assert_mem_bounded(p, f"a {n >> 20} MiB download")


@pytest.mark.slow
@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_large_upload_streams_with_bounded_memory(pipelock, origin, framing):
    n = big_transfer_bytes() if framing == "length" else big_transfer_bytes() // 4
    p = pipelock(STREAMING)
    frame = [("Content-Length", str(n))] if framing == "length" else \
        [("Transfer-Encoding", "chunked")]
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("POST", origin.url("/upload"),
                                    [("Host", origin.authority), *frame]))
    h = hashlib.sha256()
    for piece in pattern_chunks(n):
        h.update(piece)
        if framing == "length":
            s.sendall(piece)
        else:
            s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
    if framing == "chunked":
        s.sendall(b"0\r\n\r\n")
    resp = rawhttp.Reader(s).read_response()
    s.close()
    assert resp.status == 200
    assert json.loads(resp.body) == {"len": n, "sha256": h.hexdigest()}
    assert only_request(origin, "/upload").framing == framing
    assert_mem_bounded(p, f"a {n >> 20} MiB upload")


def test_response_is_streamed_before_upstream_finishes(pipelock, origin):
    """The origin withholds the second half until the client has seen the first half through
    the proxy; a proxy that buffers whole responses deadlocks here and the guard fails it."""
    p = pipelock()
    half = 200_000
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url(f"/gated?half={half}&gate=dl"),
                                    [("Host", origin.authority)]))
    r = rawhttp.Reader(s)
    head = rawhttp.parse_head(r.read_head())
    assert head.status == 200
    got = bytearray(r.buf)
    r.buf.clear()
    while len(got) < half:
        d = s.recv(65536)
        assert d, "proxy closed before relaying the first half"
        got += d
    assert bytes(got[:half]) == b"a" * half
    origin.open_gate("dl")
    while len(got) < 2 * half:
        d = s.recv(65536)
        assert d, "proxy closed before relaying the second half"
        got += d
    s.close()
    assert bytes(got) == b"a" * half + b"b" * half


def test_request_body_is_streamed_before_client_finishes(pipelock, origin):
    """The client sends half the body and waits until the origin has it; a proxy that buffers
    whole request bodies never forwards it and the guard fails the test."""
    p = pipelock(STREAMING)
    half = 1 << 20
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("POST", origin.url("/upload"), [
        ("Host", origin.authority), ("Content-Length", str(2 * half))]) + b"a" * half)
    wait_until(lambda: any(r.body_len >= half for r in origin.find("/upload")),
               what="origin to receive the first half of the body")
    s.sendall(b"b" * half)
    resp = rawhttp.Reader(s).read_response()
    s.close()
    assert json.loads(resp.body) == {
        "len": 2 * half, "sha256": hashlib.sha256(b"a" * half + b"b" * half).hexdigest()}


@pytest.mark.slow
def test_slow_reading_client_gets_the_whole_response_with_bounded_memory(pipelock, origin):
    n = (96 if not is_asan() else 32) << 20
    p = pipelock(STREAMING)
    s = rawhttp.connect(p.port, rcvbuf=4096)
    s.sendall(rawhttp.request_bytes("GET", origin.url(f"/big?bytes={n}"),
                                    [("Host", origin.authority)]))
    time.sleep(1.0)  # stall: a proxy without backpressure would now pull everything upstream
    r = rawhttp.Reader(s)
    head = rawhttp.parse_head(r.read_head())
    assert head.status == 200 and head.header("content-length") == str(n)
    h = hashlib.sha256()
    h.update(bytes(r.buf))
    got = len(r.buf)
    r.buf.clear()
    while got < 1 << 20:  # first MiB in small sips
        d = s.recv(1024)
        assert d, "proxy closed early"
        h.update(d)
        got += len(d)
        time.sleep(0.0005)
    while got < n:
        d = s.recv(1 << 20)
        assert d, f"proxy closed after {got} of {n} bytes"
        h.update(d)
        got += len(d)
    s.close()
    sent = only_request(origin, "/big")
    assert got == n and h.hexdigest() == sent.sent_sha256
    assert_mem_bounded(p, "a slow reader")


def test_slow_origin_response_arrives_intact(pipelock, origin):
    p = pipelock()
    r = rawhttp.proxy_get(p.port, origin.url("/slow?n=10&ms=30"))
    assert r.status == 200
    assert r.body == b"".join(bytes([0x30 + i]) * 1024 for i in range(10))


# ------------------------------------------------------------------ failures


def test_upstream_refusing_connections_gives_502(pipelock):
    p = pipelock()
    port = closed_port()
    url = f"http://127.0.0.1:{port}/refused"
    r = rawhttp.proxy_get(p.port, url)
    assert r.status == 502, f"expected 502, got {r.status} {r.text!r}"
    ev = p.wait_event(None, pred=lambda e: e.get("url") == url
                      and e.get("event") in ("error", "forward_http", "blocked"))
    assert ev.get("event") != "forward_http" or ev.get("status_code") == 502


def test_proxy_keeps_serving_after_an_upstream_failure(pipelock, origin):
    p = pipelock()
    c = H11Client(p.port)
    dead = f"127.0.0.1:{closed_port()}"
    resp, _, _ = c.request("GET", f"http://{dead}/x", [("Host", dead)])
    assert resp.status_code == 502
    c.close()
    r = rawhttp.proxy_get(p.port, origin.url("/still-alive"))
    assert r.status == 200 and r.body == b"ok GET /still-alive\n"


# ------------------------------------------------------------------ git


def test_git_clone_over_http_through_the_proxy(pipelock, git_origin, git_repo, tmp_path):
    p = pipelock()
    dest = tmp_path / "cloned"
    env = clean_env(HOME=git_repo["home"], GIT_CONFIG_NOSYSTEM=1, GIT_TERMINAL_PROMPT=0)
    r = subprocess.run(["git", "-c", f"http.proxy={p.url}", "clone", "-q",
                        f"http://127.0.0.1:{git_origin.port}/repo.git", str(dest)],
                       capture_output=True, text=True, env=env, timeout=GUARD * 4)
    assert r.returncode == 0, f"git clone failed: {r.stderr}"
    head = subprocess.run(["git", "-C", str(dest), "rev-parse", "HEAD"], capture_output=True,
                          text=True, env=env).stdout.strip()
    assert head == git_repo["head"]
    for name, text in git_repo["files"].items():
        assert (dest / name).read_text() == text
    git_origin.settle()
    assert git_origin.requests, "the git origin saw nothing"
    for req in git_origin.requests:
        assert req.header_all("via") == ["1.1 pipelock"], "a git request bypassed the proxy"
    assert any(r.method == "POST" and r.path == "/repo.git/git-upload-pack"
               for r in git_origin.requests)


def test_pipelined_upload_buffered_behind_a_slow_response_still_flows(pipelock, origin):
    """The proxy stops reading a client at its input high-water mark while an earlier response is
    in flight. When that response ends, the upload goes to a second origin, so it starts from the
    upstream's connect callback, not from a client read event. Reading must resume and the whole
    8 MiB arrive intact (edge-triggered sockets give no new edge for bytes already queued)."""
    import threading
    # the streaming body path (bodies are held whole when they are scanned)
    p = pipelock({"request_body_scanning": {"enabled": False}})
    body = bytes(range(256)) * (32 * 1024)  # 8 MiB: more than the proxy buffers plus kernel queues
    with RecordingOrigin(name="second") as other:
        s = rawhttp.connect(p.port)
        s.sendall(rawhttp.request_bytes("GET", origin.url("/gated?half=0&gate=hold"),
                                        [("Host", origin.authority)]))
        wait_until(lambda: origin.find("/gated"), what="the gated request at the origin")
        upload = rawhttp.request_bytes("POST", other.url("/upload"),
                                       [("Host", other.authority),
                                        ("Content-Length", str(len(body))),
                                        ("Connection", "close")], body)
        sender = threading.Thread(target=s.sendall, args=(upload,), daemon=True)
        sender.start()
        sender.join(timeout=1.0)  # let the proxy's input fill; not an assertion on time
        origin.open_gate("hold")
        r = rawhttp.Reader(s)
        first = r.read_response()
        second = r.read_response()
        sender.join(timeout=GUARD)
        s.close()
    assert first.status == 200
    assert second.status == 200
    got = json.loads(second.body)
    assert got["len"] == len(body)
    assert got["sha256"] == hashlib.sha256(body).hexdigest()
