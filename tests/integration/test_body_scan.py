"""Request body and header DLP through the running proxy (reference §5.2): bodies are held,
extracted by media type and scanned before anything goes upstream; warn logs, block refuses;
fail-closed conditions always refuse."""

import gzip
import json

import pytest

from clients import curl, requests_session
from pltest import rawhttp
from pltest.util import GUARD

FAKE_ANT = "sk-ant-api03-FAKEexampleKEYnotREAL0123"
FAKE_GH = "ghp_FAKE0123456789abcdefghijABCDEFGHIJ01"
BLOCK = {"request_body_scanning": {"action": "block"}}


def post(p, url, body, ctype="application/json", headers=(), chunked=False):
    hdrs = [("Content-Type", ctype), *headers]
    if chunked:
        from urllib.parse import urlsplit
        target = url
        hh = urlsplit(url).netloc
        data = f"POST {target} HTTP/1.1\r\nHost: {hh}\r\n".encode()
        for k, v in hdrs:
            data += f"{k}: {v}\r\n".encode()
        data += b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        for piece in body:
            data += b"%x\r\n" % len(piece) + piece + b"\r\n"
        data += b"0\r\n\r\n"
        resp, _, s = rawhttp.exchange(p.port, data, method="POST")
        s.close()
        return resp
    return rawhttp.proxy_get(p.port, url, headers=hdrs, method="POST", body=body)


def test_json_body_secret_blocked_in_block_mode(pipelock, origin):
    p = pipelock(BLOCK)
    body = json.dumps({"messages": [{"role": "user", "content": "use " + FAKE_ANT}]}).encode()
    r = post(p, origin.url("/v1/chat"), body)
    assert r.status == 403
    assert r.body.startswith(b"blocked: request body contains secret: Anthropic API Key")
    origin.settle()
    assert not origin.requests, "a blocked body must never reach the origin"
    ev = p.wait_event("body_dlp")
    assert ev["action"] == "block" and "Anthropic API Key" in ev["patterns"]
    assert ev["url"].endswith("/[redacted]")
    assert "FAKEexample" not in p.stdout_text()


def test_json_body_secret_warns_by_default_and_is_forwarded_intact(pipelock, origin):
    p = pipelock()
    body = json.dumps({"k": FAKE_ANT, "n": 1}).encode()
    r = post(p, origin.url("/v1/warn"), body)
    assert r.status == 200
    origin.settle()
    req = origin.find("/v1/warn")[0]
    assert req.body == body
    assert req.header("content-length") == str(len(body))
    ev = p.wait_event("body_dlp")
    assert ev["action"] == "warn"


@pytest.mark.parametrize("ctype,body", [
    ("application/x-www-form-urlencoded", ("token=" + FAKE_GH + "&x=1").encode()),
    ("text/plain", ("here: " + FAKE_GH).encode()),
    ("application/octet-stream", ("\x00\x01" + FAKE_GH).encode()),
    ("multipart/form-data; boundary=XyZ",
     ("--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" + FAKE_GH +
      "\r\n--XyZ--\r\n").encode()),
])
def test_each_media_type_is_scanned(pipelock, origin, ctype, body):
    p = pipelock(BLOCK)
    r = post(p, origin.url("/up"), body, ctype=ctype)
    assert r.status == 403 and b"GitHub Token" in r.body


def test_json_secret_split_across_fields_is_found(pipelock, origin):
    p = pipelock(BLOCK)
    body = json.dumps({"a": "sk-ant-api03-FAKEex", "b": "sk-ant-api03-FAKEexampleKEYnotREAL"[19:]})
    r = post(p, origin.url("/split"), body.encode())
    assert r.status == 403


def test_chunked_body_with_secret_split_across_chunks(pipelock, origin):
    p = pipelock(BLOCK)
    s = ("x=" + FAKE_ANT).encode()
    r = post(p, origin.url("/chunked"), [s[:9], s[9:17], s[17:]], ctype="text/plain",
             chunked=True)
    assert r.status == 403 and b"Anthropic API Key" in r.body


def test_clean_chunked_body_is_forwarded_with_a_length(pipelock, origin):
    p = pipelock(BLOCK)
    r = post(p, origin.url("/clean"), [b"hello ", b"world"], ctype="text/plain", chunked=True)
    assert r.status == 200
    origin.settle()
    req = origin.find("/clean")[0]
    assert req.body == b"hello world"
    assert req.header("content-length") == "11"
    assert req.header("transfer-encoding") is None


def test_compressed_and_oversized_bodies_fail_closed(pipelock, origin):
    p = pipelock({"request_body_scanning": {"max_body_bytes": 1000}})
    r = post(p, origin.url("/gz"), gzip.compress(b"hello"), ctype="text/plain",
             headers=[("Content-Encoding", "gzip")])
    assert r.status == 403 and b"compressed" in r.body
    r = post(p, origin.url("/big"), b"a" * 1001, ctype="text/plain")
    assert r.status == 403 and b"max_body_bytes" in r.body
    r = post(p, origin.url("/bigc"), [b"a" * 600, b"a" * 600], ctype="text/plain", chunked=True)
    assert r.status == 403
    r = post(p, origin.url("/badjson"), b"{not json", ctype="application/json")
    assert r.status == 403 and b"JSON" in r.body
    origin.settle()
    assert not origin.requests


def test_header_secret_warns_by_default_and_blocks_in_block_mode(pipelock, origin):
    p = pipelock()
    r = rawhttp.proxy_get(p.port, origin.url("/h"), headers=[("Authorization", "Bearer " + FAKE_GH)])
    assert r.status == 200
    ev = p.wait_event("header_dlp")
    assert ev["header"] == "Authorization" and ev["action"] == "warn"
    p2 = pipelock(BLOCK)
    r = rawhttp.proxy_get(p2.port, origin.url("/h2"), headers=[("X-Api-Key", FAKE_GH)])
    assert r.status == 403 and r.body == b"blocked: request header contains secret\n"
    # not a sensitive header: not scanned in the default mode
    r = rawhttp.proxy_get(p2.port, origin.url("/h3"), headers=[("X-Other", FAKE_GH)])
    assert r.status == 200


def test_header_mode_all_scans_every_header(pipelock, origin):
    p = pipelock({"request_body_scanning": {"action": "block", "header_mode": "all"}})
    r = rawhttp.proxy_get(p.port, origin.url("/h"), headers=[("X-Other", FAKE_GH)])
    assert r.status == 403


def test_connect_header_secret_blocked(pipelock):
    p = pipelock(BLOCK)
    r, _, s = rawhttp.connect_tunnel(p.port, "example.test:443",
                                     headers=[("Proxy-Authorization", "Basic " + FAKE_GH)])
    s.close()
    assert r.status == 403 and r.body.startswith(b"CONNECT blocked: header DLP match")


def test_real_client_json_post(pipelock, origin):
    p = pipelock(BLOCK)
    with requests_session(p) as sess:
        r = sess.post(origin.url("/req"), json={"q": "hello", "n": 4111111111111111111},
                      timeout=GUARD)
        assert r.status_code == 200
        r = sess.post(origin.url("/req"), json={"card": 4111111111111111}, timeout=GUARD)
        assert r.status_code == 403, "a card number sent as a JSON number is found"


def test_expect_100_continue_is_answered_when_the_body_is_held(pipelock, origin):
    p = pipelock(BLOCK)
    s = rawhttp.connect(p.port)
    body = ("k=" + FAKE_ANT).encode()
    s.sendall(rawhttp.request_bytes("POST", origin.url("/e"), [
        ("Host", origin.authority), ("Content-Type", "text/plain"),
        ("Content-Length", str(len(body))), ("Expect", "100-continue")]))
    # The proxy reads the body to scan it, so it must say 100 Continue itself, before the body.
    first = s.recv(64)
    assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first
    s.sendall(body)
    reader = rawhttp.Reader(s)
    reader.buf = bytearray(first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):])
    resp = reader.read_response(method="POST")
    s.close()
    assert resp.status == 403 and b"Anthropic API Key" in resp.body
    origin.settle()
    assert not origin.requests


def test_stalled_body_is_cut_off(pipelock, origin):
    """A client that stops sending mid-body must not hold the request and its buffer forever."""
    p = pipelock({"fetch_proxy": {"timeout_seconds": 1}})
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("POST", origin.url("/stall"), [
        ("Host", origin.authority), ("Content-Type", "text/plain"), ("Content-Length", "100")])
        + b"only ten b")
    resp = rawhttp.Reader(s).read_response(method="POST")
    s.close()
    assert resp.status == 408
    origin.settle()
    assert not origin.requests
