"""Self-tests for the suite's own fixtures (no pipelock binary needed).

If these fail, the proxy tests cannot be trusted: they check that the recording origin records
exactly what it receives, that the fake DNS answers as configured, that the TLS origin and the
git origin work with real clients directly, and that namespaces keep their addresses local."""

import hashlib
import json
import socket
import ssl
import subprocess

import pytest

from pltest import rawhttp
from pltest.dns import QTYPE_AAAA, build_query, parse_answer
from pltest.util import clean_env, closed_port, pattern_chunks, pattern_sha256
from pltest.yamlw import deep_merge, dump


def direct(port, data, method="GET", host="127.0.0.1"):
    resp, reader, s = rawhttp.exchange(port, data, method=method, host=host)
    return resp, reader, s


def test_origin_records_exact_bytes_and_keeps_connection_alive(origin):
    req1 = rawhttp.request_bytes("GET", "/one", [("Host", origin.authority), ("X-A", "1")])
    req2 = rawhttp.request_bytes("POST", "/two", [("Host", origin.authority),
                                                  ("Content-Length", "5")], b"hello")
    s = rawhttp.connect(origin.port)
    r = rawhttp.Reader(s)
    s.sendall(req1)
    a = r.read_response()
    s.sendall(req2)
    b = r.read_response()
    s.close()
    assert (a.status, a.body) == (200, b"ok GET /one\n")
    assert (b.status, b.body) == (200, b"ok POST /two\n")
    origin.settle()
    assert origin.n_connections() == 1
    conn = origin.connections[0]
    assert bytes(conn.raw) == req1 + req2
    assert [x.path for x in conn.requests] == ["/one", "/two"]
    assert conn.requests[1].body == b"hello" and conn.requests[1].framing == "length"
    assert conn.requests[0].header("x-a") == "1"


def test_origin_decodes_chunked_request_and_records_framing(origin):
    body = b"4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n"
    data = rawhttp.request_bytes("POST", "/upload", [("Host", origin.authority),
                                                     ("Transfer-Encoding", "chunked")], body)
    resp, _, s = direct(origin.port, data)
    s.close()
    got = json.loads(resp.body)
    assert got == {"len": 9, "sha256": hashlib.sha256(b"wikipedia").hexdigest()}
    req = origin.find("/upload")[0]
    assert req.framing == "chunked" and req.chunk_sizes == [4, 5, 0]
    assert req.chunk_extensions == [b"ext=1"] and req.trailers == [b"X-T: 1"]


def test_origin_replies_chunked_with_extensions_and_trailer(origin):
    data = rawhttp.request_bytes("GET", "/chunked?n=3&size=4", [("Host", origin.authority)])
    resp, _, s = direct(origin.port, data)
    s.close()
    assert resp.framing == "chunked" and resp.body == b"AAAABBBBCCCC"
    assert resp.chunk_extensions and resp.trailers == [b"X-Trailer-Field: t1"]


def test_origin_big_reply_matches_pattern(origin):
    n = 3 * 65536 + 17
    h = hashlib.sha256()
    data = rawhttp.request_bytes("GET", f"/big?bytes={n}", [("Host", origin.authority)])
    s = rawhttp.connect(origin.port)
    s.sendall(data)
    resp = rawhttp.Reader(s).read_response(sink=h.update)
    s.close()
    assert resp.body_len == n and h.hexdigest() == pattern_sha256(n)
    assert origin.find("/big")[0].sent_sha256 == h.hexdigest()


def test_origin_gate_holds_second_half_until_opened(origin):
    data = rawhttp.request_bytes("GET", "/gated?half=1000&gate=g1", [("Host", origin.authority)])
    s = rawhttp.connect(origin.port)
    s.sendall(data)
    r = rawhttp.Reader(s)
    head = rawhttp.parse_head(r.read_head())
    assert head.header("content-length") == "2000"
    got = bytes(r.buf)  # body bytes that arrived with the head
    while len(got) < 1000:
        got += s.recv(4096)
    assert got == b"a" * 1000  # nothing of the second half before the gate opens
    origin.open_gate("g1")
    while len(got) < 2000:
        got += s.recv(4096)
    s.close()
    assert got[1000:] == b"b" * 1000


def test_origin_sync_sees_connections_made_before_it(origin):
    origin.assert_untouched()
    c = socket.create_connection(("127.0.0.1", origin.port))
    c6 = socket.create_connection(("::1", origin.port))
    origin.sync()
    assert origin.n_connections() == 2
    c.close()
    c6.close()
    with pytest.raises(AssertionError):
        origin.assert_untouched()


def test_origin_answers_expect_100_continue(origin):
    data = rawhttp.request_bytes("POST", "/upload", [("Host", origin.authority),
                                                     ("Content-Length", "3"),
                                                     ("Expect", "100-continue")])
    s = rawhttp.connect(origin.port)
    s.sendall(data)
    r = rawhttp.Reader(s)
    interim = rawhttp.parse_head(r.read_head())
    assert interim.status == 100
    s.sendall(b"abc")
    resp = r.read_response()
    s.close()
    assert json.loads(resp.body)["len"] == 3


def test_fake_dns_answers_a_aaaa_nxdomain_and_records(dns):
    dns.set("origin.test", "127.0.0.1", "::1")
    dns.servfail("broken.test")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)

    def ask(name, qtype=1):
        u.sendto(build_query(name, qtype), ("127.0.0.1", dns.port))
        return parse_answer(u.recv(4096))

    assert ask("origin.test") == (0, ["127.0.0.1"])
    assert ask("OrIgIn.TeSt", QTYPE_AAAA) == (0, ["::1"])  # 0x20 case randomisation
    assert ask("missing.test") == (3, [])
    assert ask("broken.test") == (2, [])
    dns.set_fn("flip.test", lambda qt, n: ["203.0.113.7"] if n == 0 else ["127.0.0.1"])
    assert ask("flip.test") == (0, ["203.0.113.7"])
    assert ask("flip.test") == (0, ["127.0.0.1"])
    u.close()
    assert ("origin.test", "A") in dns.queried("origin.test")
    assert ("origin.test", "AAAA") in dns.queried("origin.test")


def test_tls_origin_serves_https_with_test_ca(tls_origin, pki):
    ctx = pki.client_context()
    raw = socket.create_connection(("127.0.0.1", tls_origin.port))
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    s.sendall(rawhttp.request_bytes("GET", "/tls", [("Host", "localhost"),
                                                    ("Connection", "close")]))
    resp = rawhttp.Reader(s).read_response()
    s.close()
    assert resp.status == 200 and resp.body == b"ok GET /tls\n"
    assert tls_origin.find("/tls")[0].header("host") == "localhost"
    raw = socket.create_connection(("127.0.0.1", tls_origin.port))
    with pytest.raises(ssl.SSLError):
        ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
    raw.close()


def test_curl_direct_to_tls_origin(tls_origin, pki):
    p = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca_cert),
                        f"https://localhost:{tls_origin.port}/c"],
                       capture_output=True, env=clean_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"ok GET /c\n"


def test_git_origin_clone_directly(git_origin, git_repo, tmp_path):
    dest = tmp_path / "clone"
    p = subprocess.run(["git", "clone", "-q", f"http://127.0.0.1:{git_origin.port}/repo.git",
                        str(dest)], capture_output=True, text=True, timeout=120,
                       env=clean_env(HOME=git_repo["home"], GIT_CONFIG_NOSYSTEM=1,
                                     GIT_TERMINAL_PROMPT=0))
    assert p.returncode == 0, p.stderr
    assert (dest / "second.txt").read_text() == "second commit\n"
    assert any(r.path.endswith("git-upload-pack") and r.method == "POST"
               for r in git_origin.requests)


def _reader_over(data):
    a, b = socket.socketpair()
    a.sendall(data)
    a.close()
    return rawhttp.Reader(b), b


def test_raw_reader_parses_pipelined_interim_chunked_and_eof_responses():
    r, s = _reader_over(b"HTTP/1.1 100 Continue\r\n\r\n"
                        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n"
                        b"HTTP/1.0 200 OK\r\n\r\nuntil-eof")
    one = r.read_response()
    assert [i.status for i in one.interim] == [100] and one.body == b"abc"
    two = r.read_response()
    assert two.body == b"de" and two.chunk_extensions == [b"x=y"] and two.trailers == [b"T: 1"]
    three = r.read_response()
    assert three.framing == "eof" and three.body == b"until-eof"
    s.close()


def test_raw_reader_rejects_conflicting_lengths_and_reports_truncation():
    r, s = _reader_over(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
    with pytest.raises(AssertionError):
        r.read_response()
    s.close()
    r, s = _reader_over(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
    with pytest.raises(rawhttp.Closed):
        r.read_response()
    s.close()


def test_closed_port_refuses():
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port()), timeout=5)


def test_pattern_is_deterministic_and_block_indexed():
    a = b"".join(pattern_chunks(200000))
    assert len(a) == 200000 and a == b"".join(pattern_chunks(200000, piece=4096))
    assert a[:8] == (0).to_bytes(8, "big") and a[65536:65544] == (1).to_bytes(8, "big")


def test_yaml_writer_renders_nested_config():
    cfg = deep_merge({"a": {"b": 1, "c": [1, 2]}, "d": True}, {"a": {"c": ["x"]}, "d": None})
    assert dump(cfg) == 'a:\n  b: 1\n  c:\n    - "x"\n'
    assert dump({"e": [], "f": {}}) == "e: []\nf: {}\n"


@pytest.mark.netns
def test_netns_listener_is_reachable_only_through_the_veth(netns):
    ns = netns(extra_addrs=["169.254.169.254"])
    lst = ns.listen(addrs=[ns.ns_ip, "169.254.169.254"])
    lst.assert_untouched()
    for a in (ns.ns_ip, "169.254.169.254"):
        s = rawhttp.connect(lst.port, host=a)
        s.sendall(b"GET /probe HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = rawhttp.Reader(s).read_response()
        s.close()
        assert resp.status == 200 and resp.body == f"ns-ok {a}\n".encode()
    assert lst.requests() == ["GET /probe HTTP/1.1"] * 2
    assert len(lst.conns()) == 2
    route = subprocess.run(["ip", "route", "get", "169.254.169.254"], capture_output=True,
                           text=True).stdout
    assert ns.vh in route
