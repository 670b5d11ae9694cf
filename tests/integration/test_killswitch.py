"""The kill switch: an emergency deny-all with four OR-composed sources (config, admin API,
SIGUSR1, sentinel file), its exemptions, its admin API, its audit events, and cutting the
connections that are already open when it turns on.

- While active, every request on the main listener gets 503 application/json
  {"error": "kill_switch_active", "message": <kill_switch.message>}: absolute-URI forward
  requests, CONNECT, /fetch and unknown paths alike. Exempt: GET /health (health_exempt),
  /metrics (metrics_exempt; /stats is not exempt), the two API paths on the main port
  (api_exempt, no api_listen), and clients in allowlist_ips.
- Turning one source off never clears another.
- Activation closes established CONNECT tunnels, responses still streaming and idle
  keep-alive connections, except those of allowlisted clients. The tests wait for that with
  bounded polls (CUT_WAIT); they never measure how fast it happened.
- A request that arrives while the kill switch turns on still gets an answer (200 for
  /health, the 503 otherwise); only idle connections are closed unanswered.
- Audit: kill_switch_deny (endpoint is the proxy's own path, "forward", "connect" or "other",
  never the agent's URL) and kill_switch_change for every source change.
- The admin API: POST /api/v1/killswitch {"active": bool} and GET /api/v1/killswitch/status,
  Bearer token (config api_token, overridden by PIPELOCK_KILLSWITCH_API_TOKEN), strict body,
  10 toggles a minute, optionally on its own listener (api_listen).

Every request goes to 127.0.0.1; "other" client addresses are 127.0.0.2 (still loopback), bound
as the source address of the client socket."""

import json
import signal
import socket
import threading
import time

import pytest

from pltest import rawhttp
from pltest.origin import Reply, sse_event, sse_reply
from pltest.util import GUARD, free_port, wait_until
from pltest.yamlw import deep_merge

TOKEN = "ks-test-token-5b0e9c1d"
DEFAULT_MSG = "Emergency deny-all active"
API = "/api/v1/killswitch"
STATUS = "/api/v1/killswitch/status"
CUT_WAIT = 3.0  # bound for "an open connection is cut after activation"
STATE_WAIT = 5.0  # bound for asynchronous state changes (signal delivery, sentinel polling)
OTHER_IP = "127.0.0.2"  # a second loopback client address for allowlist tests

# Long server-side idle timeouts, so that only the kill switch can close an idle connection
# within CUT_WAIT.
PATIENT_SERVER = {"server": {"header_timeout_seconds": 60, "keepalive_timeout_seconds": 120},
                  "forward_proxy": {"idle_timeout_seconds": 120}}


@pytest.fixture(autouse=True)
def _no_inherited_token(monkeypatch):
    """A token in the developer's environment would change what the API accepts."""
    monkeypatch.delenv("PIPELOCK_KILLSWITCH_API_TOKEN", raising=False)


# ------------------------------------------------------------------ helpers


def ks(**kw):
    """Config overrides with a kill_switch section."""
    return {"kill_switch": kw}


def connect(port, source=None, timeout=GUARD):
    """A TCP connection to 127.0.0.1:port, optionally from another loopback source address."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def send(port, method, target, headers=(), body=b"", host=None, source=None):
    """One request on a fresh connection (Connection: close); returns the response."""
    hdrs = [("Host", host or f"127.0.0.1:{port}"), *headers]
    if body or method in ("POST", "PUT", "PATCH"):
        hdrs.append(("Content-Length", str(len(body))))
    hdrs.append(("Connection", "close"))
    s = connect(port, source=source)
    try:
        rawhttp.send_all_tolerant(s, rawhttp.request_bytes(method, target, hdrs, body))
        return rawhttp.Reader(s).read_response(method=method)
    finally:
        s.close()


def local(p, path, method="GET", **kw):
    """A request to the proxy's own endpoints (origin form)."""
    return send(p.port, method, path, **kw)


def forward(p, origin, path, method="GET", source=None, body=b""):
    """An absolute-URI request through the forward proxy."""
    return send(p.port, method, origin.url(path), host=origin.authority, source=source,
                body=body)


def connect_request(port, authority, source=None):
    """CONNECT authority; returns (response, reader, sock) with the socket left open."""
    s = connect(port, source=source)
    s.sendall(rawhttp.request_bytes("CONNECT", authority, [("Host", authority)]))
    r = rawhttp.Reader(s)
    return r.read_response(method="CONNECT"), r, s


def auth(token=TOKEN):
    return [("Authorization", f"Bearer {token}")]


def api_toggle(port, active=None, body=None, token=TOKEN, method="POST", path=API,
               headers=None):
    """POST {"active": active} (or the raw body) to the kill switch API on port."""
    if body is None:
        body = json.dumps({"active": active}).encode() if active is not None else b""
    hdrs = list(auth(token) if headers is None else headers)
    if body:
        hdrs.append(("Content-Type", "application/json"))
    return send(port, method, path, headers=hdrs, body=body)


def api_status(port, token=TOKEN, headers=None):
    return send(port, "GET", STATUS, headers=auth(token) if headers is None else headers)


def as_json(resp):
    try:
        return json.loads(resp.body)
    except ValueError:
        raise AssertionError(f"expected a JSON body, got {resp.status} {resp.body[:300]!r}")


def ctype(resp):
    return (resp.header("content-type") or "").split(";")[0].strip().lower()


def assert_denied(resp, message=DEFAULT_MSG, what="request"):
    assert resp.status == 503, (f"{what}: expected the kill switch's 503, got {resp.status} "
                                f"{resp.body[:300]!r}")
    assert ctype(resp) == "application/json", \
        f"{what}: 503 with Content-Type {resp.header('content-type')!r}"
    assert as_json(resp) == {"error": "kill_switch_active", "message": message}, \
        f"{what}: unexpected 503 body {resp.body[:300]!r}"


def is_denied(resp):
    if resp.status != 503:
        return False
    try:
        return json.loads(resp.body).get("error") == "kill_switch_active"
    except ValueError:
        return False


PROBE = "/ks-probe-unknown-path"  # 404 normally, the kill switch's 503 while active


def probe_denied(p):
    """True/False for the probe path; None when the connection was closed unanswered (a probe
    racing an activation; test_requests_racing_activation_are_answered covers that)."""
    try:
        r = local(p, PROBE)
    except rawhttp.Closed:
        return None
    assert r.status in (404, 503), f"probe {PROBE} answered {r.status}: {r.body[:200]!r}"
    return is_denied(r)


def wait_state(p, active, timeout=STATE_WAIT, why=""):
    """Poll until the main listener denies (active) or serves (not active) the probe path."""
    wait_until(lambda: probe_denied(p) == active, timeout, interval=0.02,
               what=f"kill switch to become {'active' if active else 'inactive'} {why}")


def wait_stderr(p, text, timeout=STATE_WAIT):
    try:
        wait_until(lambda: text in p.stderr_text(), timeout, what=f"{text!r} on stderr")
    except AssertionError:
        raise AssertionError(f"{text!r} not on pipelock's stderr within {timeout}s; stderr:\n"
                             f"{p.stderr_text()[-2000:]}")


def wait_peer_closed(sock, reader=None, timeout=CUT_WAIT, what="connection"):
    """Read until the proxy closes (EOF or reset) within timeout; returns the bytes seen."""
    seen = bytearray(reader.buf if reader is not None else b"")
    if reader is not None:
        reader.buf.clear()
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{what} still open {timeout}s after the kill switch turned on "
                                 f"({len(seen)} bytes received meanwhile)")
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return bytes(seen)
        except socket.timeout:
            continue
        if not d:
            return bytes(seen)
        seen += d


def tunnel_get(reader, sock, authority, path):
    """A keep-alive GET through an open tunnel; returns the response."""
    sock.settimeout(GUARD)
    sock.sendall(rawhttp.request_bytes("GET", path, [("Host", authority)]))
    return reader.read_response()


def open_tunnel(p, origin, source=None, path="/in-tunnel"):
    """An established tunnel to origin that has relayed one request and is kept open."""
    resp, reader, s = connect_request(p.port, origin.authority, source=source)
    assert resp.status == 200, f"CONNECT answered {resp.status}: {resp.body[:200]!r}"
    r = tunnel_get(reader, s, origin.authority, path)
    assert r.status == 200 and r.body == f"ok GET {path}\n".encode()
    return reader, s


def open_keepalive(p, origin, source=None, path="/keepalive"):
    """A client connection that got one forwarded response and now sits idle."""
    s = connect(p.port, source=source)
    s.sendall(rawhttp.request_bytes("GET", origin.url(path), [("Host", origin.authority)]))
    reader = rawhttp.Reader(s)
    r = reader.read_response()
    assert r.status == 200 and r.body == f"ok GET {path}\n".encode(), (r.status, r.body)
    assert not r.has_token("connection", "close"), "the proxy did not keep the connection open"
    return reader, s


def open_gated_stream(p, origin, half=200_000, gate="hold"):
    """A forwarded response whose first half has arrived and whose second half the origin
    holds back (gate). Returns (sock, response head, body bytes received)."""
    s = connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url(f"/gated?half={half}&gate={gate}"),
                                    [("Host", origin.authority)]))
    reader = rawhttp.Reader(s)
    head = rawhttp.parse_head(reader.read_head())
    assert head.status == 200, f"gated stream answered {head.status}"
    got = bytearray(reader.buf)
    reader.buf.clear()
    while len(got) < half:
        d = s.recv(65536)
        assert d, f"proxy closed the stream after {len(got)} bytes, before any activation"
        got += d
    return s, head, bytes(got)


def deny_events(p, **match):
    return p.events("kill_switch_deny", **match)


def touch(path):
    with open(path, "w") as f:
        f.write("stop\n")


# ------------------------------------------------------------------ config source


def test_disabled_by_default_traffic_flows_and_health_says_inactive(pipelock, origin):
    p = pipelock()
    r = forward(p, origin, "/plain")
    assert r.status == 200 and r.body == b"ok GET /plain\n"
    assert p.health().get("kill_switch_active") is False
    assert local(p, PROBE).status == 404


def test_config_enabled_denies_forward_request_and_origin_sees_nothing(pipelock, origin):
    p = pipelock(ks(enabled=True))
    r = forward(p, origin, "/denied")
    assert_denied(r, what="forward GET")
    assert r.has_token("connection", "close"), r.headers
    assert_denied(forward(p, origin, "/denied-post", method="POST", body=b"x" * 100),
                  what="forward POST with a body")
    origin.assert_untouched("the kill switch is on")


def test_config_enabled_denies_connect(pipelock, origin):
    p = pipelock(ks(enabled=True))
    resp, _reader, s = connect_request(p.port, origin.authority)
    s.close()
    assert_denied(resp, what="CONNECT")
    origin.assert_untouched("the kill switch is on")


@pytest.mark.parametrize("path", ["/fetch?url=http%3A%2F%2F127.0.0.1%3A{port}%2Fvia-fetch",
                                  "/no-such-endpoint", "/", "/healthz", "/health/x",
                                  "/api/v1/killswitch/other"])
def test_config_enabled_denies_local_paths(pipelock, origin, path):
    p = pipelock(ks(enabled=True, api_token=TOKEN))
    assert_denied(local(p, path.format(port=origin.port)), what=f"GET {path}")
    origin.assert_untouched("the kill switch is on")


def test_custom_message_is_returned(pipelock, origin):
    msg = "Agents paused by ops \u2014 ticket #4711"
    p = pipelock(ks(enabled=True, message=msg))
    assert_denied(forward(p, origin, "/m"), message=msg)
    resp, _r, s = connect_request(p.port, origin.authority)
    s.close()
    assert_denied(resp, message=msg, what="CONNECT")


def test_api_deactivate_does_not_clear_config_source(pipelock, origin):
    p = pipelock(ks(enabled=True, api_token=TOKEN))
    r = api_toggle(p.port, False)
    assert r.status == 200, r.body
    assert as_json(r) == {"active": False, "source": "api"}
    assert_denied(forward(p, origin, "/still"))
    st = as_json(api_status(p.port))
    assert st["active"] is True
    assert st["sources"] == {"config": True, "api": False, "signal": False, "sentinel": False}
    assert st.get("message") == DEFAULT_MSG


# ------------------------------------------------------------------ admin API


def test_api_activate_and_deactivate(pipelock, origin):
    p = pipelock(ks(api_token=TOKEN))
    assert forward(p, origin, "/before").status == 200
    r = api_toggle(p.port, True)
    assert r.status == 200, r.body
    assert ctype(r) == "application/json"
    assert as_json(r) == {"active": True, "source": "api", "message": DEFAULT_MSG}
    assert_denied(forward(p, origin, "/during"))
    ev = p.wait_event("kill_switch_deny", source="api", timeout=STATE_WAIT)
    assert ev["deny_message"] == DEFAULT_MSG
    r = api_toggle(p.port, False)
    assert r.status == 200, r.body
    assert as_json(r) == {"active": False, "source": "api"}
    r = forward(p, origin, "/after")
    assert r.status == 200 and r.body == b"ok GET /after\n"
    origin.settle()
    assert [q.path for q in origin.requests] == ["/before", "/after"]


def test_api_status_reports_each_source(pipelock):
    p = pipelock(ks(api_token=TOKEN))
    r = api_status(p.port)
    assert r.status == 200, r.body
    assert ctype(r) == "application/json"
    st = as_json(r)
    assert st["active"] is False
    assert st["sources"] == {"config": False, "api": False, "signal": False, "sentinel": False}
    assert api_toggle(p.port, True).status == 200
    st = as_json(api_status(p.port))
    assert st["active"] is True
    assert st["sources"] == {"config": False, "api": True, "signal": False, "sentinel": False}
    assert st["message"] == DEFAULT_MSG


@pytest.mark.parametrize("headers", [
    [],
    [("Authorization", "Bearer wrong-token")],
    [("Authorization", f"Basic {TOKEN}")],
    [("Authorization", f"Bearer {TOKEN}x")],
], ids=["none", "wrong", "basic-scheme", "token-prefix"])
def test_api_toggle_without_valid_token_is_401_and_changes_nothing(pipelock, origin, headers):
    p = pipelock(ks(api_token=TOKEN))
    r = api_toggle(p.port, True, headers=headers)
    assert r.status == 401, (r.status, r.body)
    assert r.header("www-authenticate") == 'Bearer realm="pipelock"'
    assert forward(p, origin, "/not-active").status == 200, "an unauthenticated toggle applied"


def test_api_status_without_valid_token_is_401(pipelock):
    p = pipelock(ks(api_token=TOKEN))
    for headers in ([], [("Authorization", "Bearer nope")]):
        r = api_status(p.port, headers=headers)
        assert r.status == 401, (headers, r.status, r.body)
        assert r.header("www-authenticate") == 'Bearer realm="pipelock"'
        assert b"sources" not in r.body


def test_api_without_configured_token_is_503_not_configured(pipelock, origin):
    p = pipelock()
    for r in (api_toggle(p.port, True), api_status(p.port)):
        assert r.status == 503, (r.status, r.body)
        assert "kill switch API not configured (no api_token)" in r.text, r.text
        assert not is_denied(r), "this is not a kill switch denial"
    assert forward(p, origin, "/still-open").status == 200


def test_env_token_overrides_config_token(pipelock):
    p = pipelock(ks(api_token="config-token-abc"),
                 env={"PIPELOCK_KILLSWITCH_API_TOKEN": "env-token-xyz"})
    r = api_toggle(p.port, True, token="config-token-abc")
    assert r.status == 401, f"the config token still works although the env token overrides it: " \
                            f"{r.status} {r.body!r}"
    r = api_toggle(p.port, True, token="env-token-xyz")
    assert r.status == 200, (r.status, r.body)
    assert as_json(api_status(p.port, token="env-token-xyz"))["sources"]["api"] is True


def test_env_token_alone_enables_the_api(pipelock, origin):
    p = pipelock(env={"PIPELOCK_KILLSWITCH_API_TOKEN": "only-in-env-77"})
    r = api_toggle(p.port, True, token="only-in-env-77")
    assert r.status == 200, (r.status, r.body)
    assert_denied(forward(p, origin, "/x"))


BAD_BODIES = {
    "unknown-field": b'{"active": true, "extra": 1}',
    "missing-active": b"{}",
    "other-field-only": b'{"enabled": true}',
    "array": b"[true]",
    "bare-true": b"true",
    "string": b'"{\\"active\\": true}"',
    "active-not-bool": b'{"active": "yes"}',
    "active-null": b'{"active": null}',
    "two-objects": b'{"active": true}{"active": true}',
    "trailing-garbage": b'{"active": true} x',
    "truncated": b'{"active": tru',
    "empty": b"",
}


@pytest.mark.parametrize("body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_api_rejects_invalid_body_with_400(pipelock, origin, body):
    p = pipelock(ks(api_token=TOKEN))
    r = api_toggle(p.port, body=body)
    assert r.status == 400, f"body {body!r}: expected 400, got {r.status} {r.body[:200]!r}"
    st = as_json(api_status(p.port))
    assert st["active"] is False and st["sources"]["api"] is False, \
        f"body {body!r} changed the state: {st}"
    assert forward(p, origin, "/open").status == 200


def test_api_accepts_whitespace_around_the_object(pipelock):
    p = pipelock(ks(api_token=TOKEN))
    r = api_toggle(p.port, body=b' \n{ "active" : true }\r\n ')
    assert r.status == 200, (r.status, r.body)
    assert as_json(r)["active"] is True


def test_api_rejects_body_over_1024_bytes(pipelock, origin):
    p = pipelock(ks(api_token=TOKEN))
    body = b'{"active": true' + b" " * 2000 + b"}"  # valid JSON, but too large
    r = api_toggle(p.port, body=body)
    assert r.status in (400, 413), f"expected 400 or 413, got {r.status} {r.body[:200]!r}"
    assert as_json(api_status(p.port))["active"] is False, "an oversized body was applied"
    assert forward(p, origin, "/open").status == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_api_toggle_other_methods_are_405(pipelock, method):
    p = pipelock(ks(api_token=TOKEN))
    body = b'{"active": true}' if method in ("PUT", "PATCH") else b""
    r = send(p.port, method, API, headers=auth(), body=body)
    assert r.status == 405, (method, r.status, r.body)
    assert (r.header("allow") or "").replace(" ", "") == "POST", r.headers
    assert as_json(api_status(p.port))["active"] is False


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_api_status_other_methods_are_405(pipelock, method):
    p = pipelock(ks(api_token=TOKEN))
    r = send(p.port, method, STATUS, headers=auth(), body=b"")
    assert r.status == 405, (method, r.status, r.body)
    assert as_json(api_status(p.port))["active"] is False


def test_api_chunked_body_is_411(pipelock):
    p = pipelock(ks(api_token=TOKEN))
    body = b'{"active": true}'
    data = rawhttp.request_bytes("POST", API, [
        ("Host", f"127.0.0.1:{p.port}"), *auth(), ("Content-Type", "application/json"),
        ("Transfer-Encoding", "chunked"), ("Connection", "close")],
        b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    resp, _r, s = rawhttp.exchange(p.port, data, method="POST")
    s.close()
    assert resp.status == 411, (resp.status, resp.body)
    assert as_json(api_status(p.port))["active"] is False


def test_api_toggle_rate_limit_is_10_per_minute(pipelock):
    p = pipelock(ks(api_token=TOKEN))
    minute = int(time.time() // 60)
    codes = []
    for i in range(10):
        r = api_toggle(p.port, i % 2 == 0)  # on, off, on, ... ends off
        codes.append(r.status)
    assert codes == [200] * 10, codes
    r = api_toggle(p.port, True)
    if r.status != 429 and int(time.time() // 60) != minute:
        # a wall-clock aligned window may have rolled over during the burst: one more burst
        for _ in range(10):
            r = api_toggle(p.port, True)
            if r.status == 429:
                break
    assert r.status == 429, f"11th toggle within a minute answered {r.status} {r.body[:200]!r}"
    assert r.header("retry-after") == "60", r.headers
    st = api_status(p.port)  # status reads are not limited
    assert st.status == 200, st.status
    assert as_json(st)["sources"]["api"] is False, "the rate-limited toggle was applied"
    for _ in range(3):
        assert api_status(p.port).status == 200


# ------------------------------------------------------------------ separate admin listener


def start_with_admin(pipelock, **kw):
    port = free_port()
    p = pipelock(ks(api_token=TOKEN, api_listen=f"127.0.0.1:{port}", **kw))

    def up():
        try:
            return api_status(port).status == 200
        except OSError:
            return False

    wait_until(up, STATE_WAIT, what=f"the admin listener on 127.0.0.1:{port}")
    return p, port


def test_api_listen_serves_api_and_main_port_has_no_api(pipelock, origin):
    p, admin = start_with_admin(pipelock)
    for r in (api_toggle(p.port, True), api_status(p.port)):
        assert r.status == 404, f"API answered on the main port: {r.status} {r.body[:200]!r}"
    assert forward(p, origin, "/open").status == 200, "a main-port API call changed the state"
    r = api_toggle(admin, True)
    assert r.status == 200, (r.status, r.body)
    assert as_json(r) == {"active": True, "source": "api", "message": DEFAULT_MSG}
    assert_denied(forward(p, origin, "/closed"))


def test_api_listen_requires_token_on_admin_port(pipelock):
    p, admin = start_with_admin(pipelock)
    r = api_toggle(admin, True, headers=[])
    assert r.status == 401, (r.status, r.body)
    assert r.header("www-authenticate") == 'Bearer realm="pipelock"'
    assert as_json(api_status(admin))["active"] is False


def test_api_listen_keeps_working_while_active_and_main_port_denies_api(pipelock, origin):
    p, admin = start_with_admin(pipelock)
    assert api_toggle(admin, True).status == 200
    assert_denied(api_toggle(p.port, False), what="main-port POST /api/v1/killswitch")
    assert_denied(api_status(p.port), what="main-port GET /api/v1/killswitch/status")
    st = api_status(admin)
    assert st.status == 200 and as_json(st)["active"] is True
    r = api_toggle(admin, False)
    assert r.status == 200, (r.status, r.body)
    r = forward(p, origin, "/reopened")
    assert r.status == 200 and r.body == b"ok GET /reopened\n"


def test_api_listen_serves_nothing_else(pipelock, origin):
    """The admin listener is not a second way through the proxy."""
    p, admin = start_with_admin(pipelock)
    r = send(admin, "GET", origin.url("/via-admin"), host=origin.authority)
    assert not 200 <= r.status < 300, f"admin listener forwarded a request: {r.status}"
    resp, _r, s = connect_request(admin, origin.authority)
    s.close()
    assert resp.status != 200, "admin listener opened a CONNECT tunnel"
    r = send(admin, "GET", f"/fetch?url=http%3A%2F%2F127.0.0.1%3A{origin.port}%2Fvia-admin-f")
    assert not 200 <= r.status < 300, f"admin listener served /fetch: {r.status}"
    origin.assert_untouched("requests sent to the admin listener")


def test_api_listen_with_env_token_only(pipelock, origin):
    port = free_port()
    p = pipelock(ks(api_listen=f"127.0.0.1:{port}"),
                 env={"PIPELOCK_KILLSWITCH_API_TOKEN": "env-admin-tok"})
    wait_until(lambda: _status_code(port, "env-admin-tok") == 200, STATE_WAIT,
               what="the admin listener")
    assert api_toggle(port, True, token="env-admin-tok").status == 200
    assert_denied(forward(p, origin, "/x"))


def _status_code(port, token):
    try:
        return api_status(port, token=token).status
    except OSError:
        return None


def test_api_listen_without_any_token_is_a_config_error(pipelock):
    p = pipelock(ks(api_listen=f"127.0.0.1:{free_port()}"), start=False)
    with pytest.raises(AssertionError, match="requires kill_switch.api_token"):
        p.start()
    assert not p.running()


# ------------------------------------------------------------------ SIGUSR1


def test_sigusr1_toggles_the_kill_switch(pipelock, origin):
    p = pipelock(ks(api_token=TOKEN))
    p.signal(signal.SIGUSR1)
    wait_stderr(p, "pipelock: kill switch ACTIVATED via SIGUSR1")
    wait_state(p, True, why="after SIGUSR1")
    assert_denied(forward(p, origin, "/sig"))
    ev = p.wait_event("kill_switch_deny", source="signal", endpoint="forward",
                      timeout=STATE_WAIT)
    assert ev["deny_message"] == DEFAULT_MSG, ev
    assert as_json(api_status(p.port))["sources"]["signal"] is True
    p.signal(signal.SIGUSR1)
    wait_stderr(p, "pipelock: kill switch DEACTIVATED via SIGUSR1")
    wait_state(p, False, why="after the second SIGUSR1")
    assert forward(p, origin, "/sig-off").status == 200
    assert p.running()


def test_signal_and_api_sources_do_not_clear_each_other(pipelock, origin):
    p = pipelock(ks(api_token=TOKEN))
    assert api_toggle(p.port, True).status == 200
    p.signal(signal.SIGUSR1)
    wait_stderr(p, "kill switch ACTIVATED via SIGUSR1")
    p.signal(signal.SIGUSR1)
    wait_stderr(p, "kill switch DEACTIVATED via SIGUSR1")
    assert_denied(forward(p, origin, "/api-still-on"), what="after signal on/off with API on")
    st = as_json(api_status(p.port))
    assert st["sources"]["api"] is True and st["sources"]["signal"] is False
    # now the other way round: signal on, API off
    p.signal(signal.SIGUSR1)
    wait_until(lambda: p.stderr_text().count("kill switch ACTIVATED via SIGUSR1") >= 2,
               STATE_WAIT,
               what="the third SIGUSR1 to be acted on")
    assert api_toggle(p.port, False).status == 200
    wait_until(lambda: as_json(api_status(p.port))["sources"]["signal"], STATE_WAIT,
               what="the signal source to show as active")
    assert_denied(forward(p, origin, "/signal-still-on"), what="after API off with signal on")
    st = as_json(api_status(p.port))
    assert st["active"] is True
    assert st["sources"] == {"config": False, "api": False, "signal": True, "sentinel": False}


# ------------------------------------------------------------------ sentinel file


def test_sentinel_file_is_checked_on_each_request(pipelock, origin, tmp_path):
    sentinel = tmp_path / "ks-sentinel"
    p = pipelock(ks(sentinel_file=str(sentinel), api_token=TOKEN))
    assert forward(p, origin, "/before").status == 200
    touch(sentinel)
    assert_denied(forward(p, origin, "/present"), what="request right after creating the sentinel")
    p.wait_event("kill_switch_deny", source="sentinel", timeout=STATE_WAIT)
    st = as_json(api_status(p.port))
    assert st["active"] is True and st["sources"]["sentinel"] is True
    sentinel.unlink()
    r = forward(p, origin, "/removed")
    assert r.status == 200, f"request right after removing the sentinel: {r.status} {r.body!r}"
    assert as_json(api_status(p.port))["sources"]["sentinel"] is False


def test_sentinel_present_at_startup_denies_from_the_start(pipelock, origin, tmp_path):
    sentinel = tmp_path / "ks-sentinel-boot"
    touch(sentinel)
    p = pipelock(ks(sentinel_file=str(sentinel)))
    assert p.health()["kill_switch_active"] is True
    assert_denied(forward(p, origin, "/boot"))
    origin.assert_untouched("the sentinel existed at startup")


def test_api_deactivate_does_not_clear_sentinel(pipelock, origin, tmp_path):
    sentinel = tmp_path / "ks-sentinel-api"
    p = pipelock(ks(sentinel_file=str(sentinel), api_token=TOKEN))
    touch(sentinel)
    assert api_toggle(p.port, True).status == 200
    assert api_toggle(p.port, False).status == 200
    assert_denied(forward(p, origin, "/sentinel-wins"))
    assert sentinel.exists(), "the proxy must not remove the operator's sentinel file"


# ------------------------------------------------------------------ exemptions


def test_health_is_exempt_and_reports_active(pipelock):
    p = pipelock(ks(enabled=True))
    r = local(p, "/health")
    assert r.status == 200, (r.status, r.body)
    assert as_json(r)["kill_switch_active"] is True


def test_health_not_exempt_when_health_exempt_false(pipelock, tmp_path):
    # Started inactive (the suite's readiness check needs /health), then turned on by sentinel.
    sentinel = tmp_path / "ks-sentinel-health"
    p = pipelock(ks(sentinel_file=str(sentinel), health_exempt=False))
    touch(sentinel)
    assert_denied(local(p, "/health"), what="GET /health with health_exempt: false")
    sentinel.unlink()
    assert local(p, "/health").status == 200


def test_metrics_is_exempt_but_stats_is_not(pipelock):
    p = pipelock(ks(enabled=True))
    r = local(p, "/metrics")
    assert not is_denied(r), "/metrics was denied although metrics_exempt defaults to true"
    assert_denied(local(p, "/stats"), what="GET /stats")


def test_metrics_not_exempt_when_metrics_exempt_false(pipelock):
    p = pipelock(ks(enabled=True, metrics_exempt=False))
    assert_denied(local(p, "/metrics"), what="GET /metrics with metrics_exempt: false")
    assert local(p, "/health").status == 200


@pytest.mark.parametrize("path", ["/health", "/metrics", API])
def test_proxied_request_to_exempt_path_is_denied(pipelock, origin, path):
    """The exemptions are for pipelock's own endpoints, not for any host's /health."""
    p = pipelock(ks(enabled=True, api_token=TOKEN))
    assert_denied(forward(p, origin, path), what=f"forward GET http://origin{path}")
    origin.assert_untouched("an exemption must not open the forward proxy")


def test_api_paths_are_exempt_on_main_port_while_active(pipelock):
    p = pipelock(ks(enabled=True, api_token=TOKEN))
    st = api_status(p.port)
    assert st.status == 200, (st.status, st.body)
    assert as_json(st)["sources"]["config"] is True
    assert api_toggle(p.port, True).status == 200


def test_api_not_exempt_when_api_exempt_false(pipelock):
    p = pipelock(ks(api_token=TOKEN, api_exempt=False))
    assert api_toggle(p.port, True).status == 200  # reachable while inactive
    assert_denied(api_toggle(p.port, False), what="POST /api/v1/killswitch with api_exempt false")
    assert_denied(api_status(p.port), what="GET status with api_exempt false")


def test_allowlisted_client_ip_bypasses(pipelock, origin):
    p = pipelock(ks(enabled=True, allowlist_ips=[f"{OTHER_IP}/32"]))
    r = forward(p, origin, "/allowed", source=OTHER_IP)
    assert r.status == 200 and r.body == b"ok GET /allowed\n", (r.status, r.body)
    resp, reader, s = connect_request(p.port, origin.authority, source=OTHER_IP)
    try:
        assert resp.status == 200, f"allowlisted CONNECT answered {resp.status}"
        assert tunnel_get(reader, s, origin.authority, "/allowed-tunnel").status == 200
    finally:
        s.close()
    assert_denied(forward(p, origin, "/not-allowed"), what="client 127.0.0.1 (not allowlisted)")
    origin.settle()
    assert sorted(q.path for q in origin.requests) == ["/allowed", "/allowed-tunnel"]


# ------------------------------------------------------------------ cutting open connections


def test_api_activation_closes_open_connect_tunnel(pipelock, origin):
    p = pipelock(deep_merge(ks(api_token=TOKEN), PATIENT_SERVER))
    reader, s = open_tunnel(p, origin)
    try:
        assert api_toggle(p.port, True).status == 200
        wait_peer_closed(s, reader, what="the CONNECT tunnel")
    finally:
        s.close()
    # the upstream side of the tunnel goes too
    origin.sync()
    conn = origin.connections[0]
    wait_until(lambda: conn.closed, CUT_WAIT, what="the tunnel's upstream connection to close")
    assert_denied(connect_request(p.port, origin.authority)[0], what="a new CONNECT")


def test_api_activation_closes_idle_keepalive_connection(pipelock, origin):
    p = pipelock(deep_merge(ks(api_token=TOKEN), PATIENT_SERVER))
    reader, s = open_keepalive(p, origin)
    try:
        assert api_toggle(p.port, True).status == 200
        wait_peer_closed(s, reader, what="the idle keep-alive connection")
    finally:
        s.close()


def test_api_activation_stops_streaming_response(pipelock, origin):
    p = pipelock(deep_merge(ks(api_token=TOKEN), PATIENT_SERVER))
    half = 200_000
    s, head, got = open_gated_stream(p, origin, half)
    try:
        assert api_toggle(p.port, True).status == 200
        rest = wait_peer_closed(s, what="the streaming response")
    finally:
        s.close()
        origin.open_gate("hold")
    assert len(got) + len(rest) < 2 * half, "the whole response arrived"
    assert b"b" not in rest, "bytes the origin sent after activation reached the client"


def test_request_waiting_for_upstream_answer_gets_503_on_activation(pipelock, origin):
    p = pipelock(deep_merge(ks(api_token=TOKEN), PATIENT_SERVER))

    def slow_head(req):
        origin.gate("head").wait(GUARD * 2)
        return Reply(body=b"late answer\n")

    origin.route("/slow-head", slow_head)
    s = connect(p.port)
    try:
        s.sendall(rawhttp.request_bytes("GET", origin.url("/slow-head"),
                                        [("Host", origin.authority)]))
        wait_until(lambda: origin.find("/slow-head"), STATE_WAIT,
                   what="the request to reach the origin")
        assert api_toggle(p.port, True).status == 200
        s.settimeout(CUT_WAIT)
        try:
            resp = rawhttp.Reader(s).read_response()
        except socket.timeout:
            raise AssertionError(f"no answer {CUT_WAIT}s after activation")
        except rawhttp.Closed as e:
            raise AssertionError(f"connection closed without the 503 (got {e.partial!r})")
    finally:
        s.close()
        origin.open_gate("head")
    assert_denied(resp, what="in-flight request")


def test_signal_activation_stops_streaming_response(pipelock, origin):
    p = pipelock(PATIENT_SERVER)
    half = 200_000
    s, head, got = open_gated_stream(p, origin, half)
    try:
        p.signal(signal.SIGUSR1)
        rest = wait_peer_closed(s, timeout=CUT_WAIT, what="the streaming response")
    finally:
        s.close()
        origin.open_gate("hold")
    assert len(got) + len(rest) < 2 * half
    wait_stderr(p, "pipelock: kill switch ACTIVATED via SIGUSR1")
    assert p.running(), "pipelock died on SIGUSR1 (that also ends the stream)"


def test_signal_activation_closes_open_connect_tunnel(pipelock, origin):
    p = pipelock(PATIENT_SERVER)
    reader, s = open_tunnel(p, origin)
    try:
        p.signal(signal.SIGUSR1)
        wait_peer_closed(s, reader, what="the CONNECT tunnel")
    finally:
        s.close()
    wait_stderr(p, "pipelock: kill switch ACTIVATED via SIGUSR1")
    assert p.running(), "pipelock died on SIGUSR1 (that also closes the tunnel)"


def test_sentinel_activation_stops_sse_stream(pipelock, origin, tmp_path):
    sentinel = tmp_path / "ks-sentinel-sse"
    p = pipelock(deep_merge(ks(sentinel_file=str(sentinel)), PATIENT_SERVER))
    origin.route("/sse/ks", lambda req: sse_reply(origin, [sse_event("first"), "hold",
                                                           sse_event("after-the-cut")]))
    s = connect(p.port)
    try:
        s.sendall(rawhttp.request_bytes("GET", origin.url("/sse/ks"), [
            ("Host", origin.authority), ("Accept", "text/event-stream")]))
        reader = rawhttp.Reader(s)
        head = rawhttp.parse_head(reader.read_head())
        assert head.status == 200, head.status
        body = bytearray(reader.buf)
        reader.buf.clear()
        while b"data: first" not in body:
            d = s.recv(65536)
            assert d, f"stream ended before the first event: {bytes(body)!r}"
            body += d
        touch(sentinel)  # no request follows: only the sentinel poll can notice
        rest = wait_peer_closed(s, what="the SSE stream")
    finally:
        s.close()
        origin.open_gate("hold")
    assert b"after-the-cut" not in rest, "an event sent after activation reached the client"


def test_sentinel_activation_closes_idle_keepalive_and_tunnel(pipelock, origin, tmp_path):
    sentinel = tmp_path / "ks-sentinel-cut"
    p = pipelock(deep_merge(ks(sentinel_file=str(sentinel)), PATIENT_SERVER))
    ka_reader, ka = open_keepalive(p, origin)
    t_reader, t = open_tunnel(p, origin)
    try:
        touch(sentinel)
        wait_peer_closed(ka, ka_reader, what="the idle keep-alive connection")
        wait_peer_closed(t, t_reader, what="the CONNECT tunnel")
    finally:
        ka.close()
        t.close()


def test_allowlisted_clients_are_not_cut(pipelock, origin):
    p = pipelock(deep_merge(ks(api_token=TOKEN, allowlist_ips=[f"{OTHER_IP}/32"]), PATIENT_SERVER))
    al_reader, al_tunnel = open_tunnel(p, origin, source=OTHER_IP, path="/al-1")
    ka_reader, al_ka = open_keepalive(p, origin, source=OTHER_IP, path="/al-ka-1")
    other_reader, other = open_tunnel(p, origin, path="/other-1")
    try:
        assert api_toggle(p.port, True).status == 200
        # the non-allowlisted tunnel is cut: by then the cut has been applied everywhere
        wait_peer_closed(other, other_reader, what="the non-allowlisted tunnel")
        r = tunnel_get(al_reader, al_tunnel, origin.authority, "/al-2")
        assert r.status == 200 and r.body == b"ok GET /al-2\n", "allowlisted tunnel was cut"
        al_ka.settimeout(GUARD)
        al_ka.sendall(rawhttp.request_bytes("GET", origin.url("/al-ka-2"),
                                            [("Host", origin.authority)]))
        r = ka_reader.read_response()
        assert r.status == 200, f"allowlisted keep-alive connection got {r.status}"
    except rawhttp.Closed:
        raise AssertionError("an allowlisted client's connection was closed by the kill switch")
    finally:
        for s in (al_tunnel, al_ka, other):
            s.close()


def test_new_connections_work_after_deactivation(pipelock, origin):
    p = pipelock(deep_merge(ks(api_token=TOKEN), PATIENT_SERVER))
    reader, s = open_tunnel(p, origin)
    try:
        assert api_toggle(p.port, True).status == 200
        wait_peer_closed(s, reader, what="the CONNECT tunnel")
    finally:
        s.close()
    assert api_toggle(p.port, False).status == 200
    reader, s = open_tunnel(p, origin, path="/after")
    s.close()
    assert forward(p, origin, "/after-fwd").status == 200


# ------------------------------------------------------------------ /health field


def health_active(p):
    """/health's kill_switch_active, or None when the connection was closed unanswered (a
    request racing an activation; test_requests_racing_activation_are_answered covers that)."""
    try:
        return p.health()["kill_switch_active"]
    except rawhttp.Closed:
        return None


def test_health_field_follows_every_source(pipelock, tmp_path):
    sentinel = tmp_path / "ks-sentinel-hf"
    p = pipelock(ks(api_token=TOKEN, sentinel_file=str(sentinel)))
    assert p.health()["kill_switch_active"] is False
    assert api_toggle(p.port, True).status == 200
    wait_until(lambda: health_active(p) is True, STATE_WAIT, what="/health: API source on")
    assert api_toggle(p.port, False).status == 200
    assert p.health()["kill_switch_active"] is False
    p.signal(signal.SIGUSR1)
    wait_stderr(p, "pipelock: kill switch ACTIVATED via SIGUSR1")
    wait_until(lambda: health_active(p) is True, STATE_WAIT,
               what="/health kill_switch_active after SIGUSR1")
    p.signal(signal.SIGUSR1)
    wait_stderr(p, "pipelock: kill switch DEACTIVATED via SIGUSR1")
    wait_until(lambda: health_active(p) is False, STATE_WAIT,
               what="/health kill_switch_active after the second SIGUSR1")
    touch(sentinel)
    wait_until(lambda: health_active(p) is True, STATE_WAIT,
               what="/health kill_switch_active with the sentinel present")
    sentinel.unlink()
    wait_until(lambda: health_active(p) is False, STATE_WAIT,
               what="/health kill_switch_active with the sentinel removed")


def test_requests_racing_activation_are_answered(pipelock):
    """Requests that arrive while the kill switch turns on get an answer: 200 for the exempt
    /health, 404 or the 503 for other paths. A connection that carries a complete request is
    not an idle one and must not be closed unanswered by the cut."""
    p = pipelock()
    stop = threading.Event()
    lock = threading.Lock()
    seen = {"answered": 0, "closed": [], "bad": []}

    def hammer(path, ok):
        while not stop.is_set():
            try:
                r = local(p, path)
            except rawhttp.Closed as e:
                with lock:
                    seen["closed"].append((path, e.partial[:80]))
                continue
            with lock:
                seen["answered"] += 1
                if r.status not in ok:
                    seen["bad"].append((path, r.status, r.body[:120]))

    threads = [threading.Thread(target=hammer, args=("/health", (200,)), daemon=True)
               for _ in range(2)]
    threads += [threading.Thread(target=hammer, args=(PROBE, (404, 503)), daemon=True)
                for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(20):  # 10 activations, 10 deactivations
            p.signal(signal.SIGUSR1)
            wait_until(lambda: p.stderr_text().count("via SIGUSR1") >= i + 1, STATE_WAIT,
                       what=f"SIGUSR1 #{i + 1} to be acted on")
    finally:
        stop.set()
        for t in threads:
            t.join(GUARD)
    assert seen["answered"] > 0
    assert not seen["bad"], f"wrong answers while toggling: {seen['bad'][:5]}"
    assert not seen["closed"], (
        f"{len(seen['closed'])} of {len(seen['closed']) + seen['answered']} requests had their "
        f"connection closed without any answer while the kill switch was toggled (10 "
        f"activations); first: {seen['closed'][:3]}")


# ------------------------------------------------------------------ audit events


def test_deny_audit_event_for_forward_request(pipelock, origin):
    msg = "audit-check message"
    p = pipelock(ks(enabled=True, message=msg))
    assert_denied(forward(p, origin, "/ks-audit-fwd/secret-path-77?k=v"), message=msg)
    ev = p.wait_event("kill_switch_deny", timeout=STATE_WAIT)
    assert isinstance(ev.get("transport"), str) and ev["transport"], ev
    assert ev["endpoint"] == "forward", ev
    assert ev["source"] == "config"
    assert ev["deny_message"] == msg
    assert ev["client_ip"] == "127.0.0.1"
    # the (unscanned) target URL an agent chose is never logged
    assert "secret-path-77" not in p.stdout_text()


def test_deny_audit_events_name_connect_fetch_and_other(pipelock, origin):
    p = pipelock(ks(enabled=True))
    resp, _r, s = connect_request(p.port, origin.authority)
    s.close()
    assert_denied(resp, what="CONNECT")
    assert_denied(local(p, f"/fetch?url=http%3A%2F%2F127.0.0.1%3A{origin.port}%2Fks-f"))
    assert_denied(local(p, "/some/unknown-9931"))
    wait_until(lambda: len(deny_events(p)) >= 3, STATE_WAIT, what="three kill_switch_deny events")
    evs = deny_events(p)
    assert sorted(e["endpoint"] for e in evs) == ["/fetch", "connect", "other"], evs
    for ev in evs:
        assert ev["source"] == "config" and ev["client_ip"] == "127.0.0.1", ev
        assert ev["deny_message"] == DEFAULT_MSG and ev.get("transport"), ev
    assert "unknown-9931" not in p.stdout_text()


def test_deny_audit_event_records_other_client_ip(pipelock, origin):
    p = pipelock(ks(enabled=True, allowlist_ips=["127.0.0.3/32"]))
    assert_denied(forward(p, origin, "/from-other", source=OTHER_IP))
    ev = p.wait_event("kill_switch_deny", timeout=STATE_WAIT)
    assert ev["client_ip"] == OTHER_IP, ev


def test_no_deny_event_for_exempt_or_allowlisted_requests(pipelock, origin):
    p = pipelock(ks(enabled=True, allowlist_ips=[f"{OTHER_IP}/32"]))
    assert forward(p, origin, "/allowlisted", source=OTHER_IP).status == 200
    # /health, then a denied request, on one connection: the audit log is written in order per
    # worker, so once the denial's event is there, one for /health would be there too.
    s = connect(p.port)
    try:
        s.sendall(rawhttp.request_bytes("GET", "/health", [("Host", f"127.0.0.1:{p.port}")]))
        reader = rawhttp.Reader(s)
        assert reader.read_response().status == 200
        s.sendall(rawhttp.request_bytes("GET", PROBE, [("Host", f"127.0.0.1:{p.port}")]))
        assert_denied(reader.read_response(), what="probe after /health")
    finally:
        s.close()
    p.wait_event("kill_switch_deny", timeout=STATE_WAIT)
    p.wait_event("forward_http", client_ip=OTHER_IP, timeout=STATE_WAIT)
    evs = deny_events(p)
    assert len(evs) == 1 and evs[0]["client_ip"] == "127.0.0.1" \
        and evs[0]["endpoint"] == "other", evs


def test_kill_switch_change_events_for_each_source(pipelock, tmp_path):
    sentinel = tmp_path / "ks-sentinel-ev"
    p = pipelock(ks(api_token=TOKEN, sentinel_file=str(sentinel)))
    assert api_toggle(p.port, True).status == 200
    ev = p.wait_event("kill_switch_change", source="api", active=True, timeout=STATE_WAIT)
    assert ev["kill_switch_active"] is True, ev
    assert api_toggle(p.port, False).status == 200
    ev = p.wait_event("kill_switch_change", source="api", active=False, timeout=STATE_WAIT)
    assert ev["kill_switch_active"] is False, ev
    p.signal(signal.SIGUSR1)
    ev = p.wait_event("kill_switch_change", source="signal", active=True, timeout=STATE_WAIT)
    assert ev["kill_switch_active"] is True, ev
    touch(sentinel)
    ev = p.wait_event("kill_switch_change", source="sentinel", active=True, timeout=STATE_WAIT)
    assert ev["kill_switch_active"] is True, ev
    p.signal(signal.SIGUSR1)  # signal off: the sentinel still holds it on
    ev = p.wait_event("kill_switch_change", source="signal", active=False, timeout=STATE_WAIT)
    assert ev["kill_switch_active"] is True, f"the sentinel is still present: {ev}"
