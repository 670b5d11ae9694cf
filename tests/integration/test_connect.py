"""CONNECT tunnels: real HTTPS clients through the proxy, opaque byte relay, tunnel audit
events, idle and lifetime limits, refusals."""

import hashlib
import socket

import pytest

from clients import curl, httpx_client, requests_session
from pltest import rawhttp
from pltest.util import GUARD, closed_port


def tunnel_http(reader, sock, method, target, host, body=b"", close=False):
    hdrs = [("Host", host)]
    if body:
        hdrs.append(("Content-Length", str(len(body))))
    if close:
        hdrs.append(("Connection", "close"))
    data = rawhttp.request_bytes(method, target, hdrs, body)
    sock.sendall(data)
    return data, reader.read_response(method=method)


def wait_closed(sock, reader=None):
    """Block until the peer closes the connection (EOF or reset); returns bytes seen first.

    The socket timeout (the suite's guard) turns "never closed" into a failure."""
    seen = bytearray(reader.buf if reader else b"")
    while True:
        try:
            d = sock.recv(65536)
        except ConnectionResetError:
            return bytes(seen)
        except socket.timeout:
            raise AssertionError(f"tunnel still open after {GUARD}s; it should have been closed")
        if not d:
            return bytes(seen)
        seen += d


# ------------------------------------------------------------------ real HTTPS clients


def test_curl_https_through_connect_tunnel(pipelock, tls_origin, pki):
    p = pipelock()
    r = curl("--cacert", str(pki.ca_cert), "-x", p.url,
             f"https://localhost:{tls_origin.port}/curl-tls")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"ok GET /curl-tls\n"
    tls_origin.settle()
    req = tls_origin.find("/curl-tls")[0]
    assert req.header("host") == f"localhost:{tls_origin.port}"
    assert "via" not in req.header_names(), "a tunnel must relay TLS bytes untouched"
    ev = p.wait_event("tunnel_open", target=f"localhost:{tls_origin.port}")
    assert ev["client_ip"] == "127.0.0.1" and ev["request_id"]


def test_requests_https_through_proxy(pipelock, tls_origin, pki, dns):
    dns.set("tls.test", "127.0.0.1")
    p = pipelock()
    with requests_session(p, verify=str(pki.ca_cert)) as s:
        r = s.get(f"https://tls.test:{tls_origin.port}/req-tls", timeout=GUARD)
    assert r.status_code == 200 and r.content == b"ok GET /req-tls\n"
    tls_origin.settle()
    assert tls_origin.find("/req-tls")[0].header("host") == f"tls.test:{tls_origin.port}"


def test_httpx_https_through_proxy(pipelock, tls_origin, pki):
    p = pipelock()
    with httpx_client(p, verify=str(pki.ca_cert)) as c:
        r = c.get(f"https://localhost:{tls_origin.port}/httpx-tls")
    assert r.status_code == 200 and r.content == b"ok GET /httpx-tls\n"


def test_large_https_download_through_tunnel_is_intact(pipelock, tls_origin, pki):
    p = pipelock()
    n = 24 << 20
    h = hashlib.sha256()
    with requests_session(p, verify=str(pki.ca_cert)) as s:
        with s.get(f"https://localhost:{tls_origin.port}/big?bytes={n}", stream=True,
                   timeout=GUARD) as r:
            assert r.status_code == 200
            got = 0
            for piece in r.iter_content(1 << 16):
                h.update(piece)
                got += len(piece)
    tls_origin.settle()
    assert got == n and h.hexdigest() == tls_origin.find("/big")[0].sent_sha256


# ------------------------------------------------------------------ opaque relay and events


def test_tunnel_relays_bytes_opaquely_and_reports_total_bytes(pipelock, origin):
    p = pipelock()
    authority = origin.authority
    resp, reader, s = rawhttp.connect_tunnel(p.port, authority)
    assert resp.status == 200, f"CONNECT answered {resp.status}"
    assert resp.version == "HTTP/1.1"
    sent = 0
    received = 0
    # Two requests on the tunnel; the proxy must not interpret them (no Via, one upstream conn).
    before = len(reader.buf)
    assert before == 0, "proxy sent bytes after 200 Connection Established before any request"
    d1, r1 = tunnel_http(reader, s, "POST", "/in-tunnel", authority, body=b"x" * 5000)
    d2, r2 = tunnel_http(reader, s, "GET", "/in-tunnel-2", authority, close=True)
    rest = wait_closed(s, reader)
    s.close()
    assert r1.status == 200 and r1.body == b"ok POST /in-tunnel\n"
    assert r2.status == 200 and rest == b""
    sent = len(d1) + len(d2)
    received = len(r1.raw_head) + r1.body_len + len(r2.raw_head) + r2.body_len
    origin.settle()
    assert origin.n_connections() == 1
    assert [r.path for r in origin.connections[0].requests] == ["/in-tunnel", "/in-tunnel-2"]
    assert bytes(origin.connections[0].raw) == d1 + d2, "tunnel altered the client's bytes"
    assert all("via" not in r.header_names() for r in origin.requests)
    op = p.wait_event("tunnel_open", target=authority)
    cl = p.wait_event("tunnel_close", target=authority)
    assert op["request_id"] == cl["request_id"]
    assert cl["client_ip"] == "127.0.0.1"
    assert sent + received <= cl["total_bytes"] <= sent + received + 64, (
        f"total_bytes {cl['total_bytes']} but {sent} bytes went up and {received} came back")
    assert cl["duration_ms"] >= 0


def test_connect_established_response_has_no_body_framing(pipelock, origin):
    p = pipelock()
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("CONNECT", origin.authority, [("Host", origin.authority)]))
    r = rawhttp.Reader(s)
    head = rawhttp.parse_head(r.read_head())
    s.close()
    assert head.status == 200
    assert head.header("transfer-encoding") is None
    assert head.header("content-length") in (None, "0")


# ------------------------------------------------------------------ limits


def test_idle_tunnel_is_closed_by_idle_timeout(pipelock, origin):
    p = pipelock({"forward_proxy": {"idle_timeout_seconds": 1, "max_tunnel_seconds": 600}})
    resp, reader, s = rawhttp.connect_tunnel(p.port, origin.authority)
    assert resp.status == 200
    # Use the tunnel once (so any "first bytes" timer is out of the picture), then go idle.
    _, r1 = tunnel_http(reader, s, "GET", "/before-idle", origin.authority)
    assert r1.status == 200
    leftover = wait_closed(s, reader)
    s.close()
    assert leftover == b""
    p.wait_event("tunnel_close", target=origin.authority)


def test_busy_tunnel_is_closed_at_max_tunnel_seconds(pipelock, origin):
    p = pipelock({"forward_proxy": {"idle_timeout_seconds": 600, "max_tunnel_seconds": 2}})
    resp, reader, s = rawhttp.connect_tunnel(p.port, origin.authority)
    assert resp.status == 200
    exchanges = 0
    closed = False
    for _ in range(int(GUARD * 20)):  # ~0.05 s apart: never idle long, bounded by the guard
        try:
            s.sendall(rawhttp.request_bytes("GET", "/busy", [("Host", origin.authority)]))
            r = reader.read_response()
        except (rawhttp.Closed, ConnectionResetError, BrokenPipeError):
            closed = True
            break
        assert r.status == 200
        exchanges += 1
        try:
            s.settimeout(0.05)
            d = s.recv(1, socket.MSG_PEEK)
            if d == b"":
                closed = True
                break
        except socket.timeout:
            pass
        finally:
            s.settimeout(GUARD)
    s.close()
    assert closed, "an always-busy tunnel was never closed despite max_tunnel_seconds: 2"
    assert exchanges >= 2, "the tunnel closed before it was ever busy"
    p.wait_event("tunnel_close", target=origin.authority)


# ------------------------------------------------------------------ refusals


def test_connect_to_internal_address_is_blocked_and_origin_never_connected(pipelock, origin):
    p = pipelock(allow_loopback=False)
    resp, _, s = rawhttp.connect_tunnel(p.port, origin.authority)
    s.close()
    assert resp.status == 403
    assert resp.text.startswith("CONNECT blocked:") and "SSRF" in resp.text, resp.text
    assert (resp.header("content-type") or "").startswith("text/plain")
    origin.assert_untouched("CONNECT to an internal address")
    ev = p.wait_event("blocked", scanner="ssrf")
    assert ev["mitre_technique"] == "T1046"
    assert not p.events("tunnel_open")


def test_connect_without_port_is_rejected_with_400(pipelock, origin):
    p = pipelock()
    resp, _, s = rawhttp.connect_tunnel(p.port, "127.0.0.1")
    s.close()
    assert resp.status == 400, f"got {resp.status} {resp.text!r}"
    origin.assert_untouched()


def test_connect_to_a_refusing_port_gives_502(pipelock):
    p = pipelock()
    resp, _, s = rawhttp.connect_tunnel(p.port, f"127.0.0.1:{closed_port()}")
    s.close()
    assert resp.status == 502, f"got {resp.status} {resp.text!r}"
    assert not p.events("tunnel_open")


def test_connect_to_blocklisted_host_is_blocked(pipelock, origin, dns):
    dns.set("files.evil.test", "127.0.0.1")
    p = pipelock({"fetch_proxy": {"monitoring": {"blocklist": ["*.evil.test"]}}})
    resp, _, s = rawhttp.connect_tunnel(p.port, f"files.evil.test:{origin.port}")
    s.close()
    assert resp.status == 403 and resp.text.startswith("CONNECT blocked:"), resp.text
    origin.assert_untouched()
    ev = p.wait_event("blocked", scanner="blocklist")
    assert ev["mitre_technique"] == "T1071.001"
    assert dns.queried("files.evil.test") == [], "a blocklisted name was resolved"


@pytest.mark.parametrize("authority", ["[::1]:{port}", "localhost:{port}"])
def test_connect_by_other_names_for_loopback_is_blocked(pipelock, origin, authority):
    p = pipelock(allow_loopback=False)
    resp, _, s = rawhttp.connect_tunnel(p.port, authority.format(port=origin.port))
    s.close()
    assert resp.status == 403 and resp.text.startswith("CONNECT blocked:"), resp.text
    origin.assert_untouched()
