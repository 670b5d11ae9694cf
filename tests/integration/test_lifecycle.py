"""Process lifecycle and the local surface: /health, 404s, startup/shutdown events, timeouts,
connection limits, graceful drain on SIGTERM."""

import hashlib
import json
import re
import signal
import socket
import time
from datetime import datetime

import pytest

from pltest import rawhttp
from pltest.util import GUARD, wait_until


def test_health_reports_status_version_mode_uptime(pipelock):
    p = pipelock()
    r = rawhttp.get(p.port, "/health")
    assert r.status == 200
    assert (r.header("content-type") or "").startswith("application/json")
    h = json.loads(r.body)
    assert h["status"] == "healthy"
    assert isinstance(h["version"], str) and h["version"]
    assert h["mode"] == "balanced"
    assert isinstance(h["uptime_seconds"], (int, float)) and h["uptime_seconds"] >= 0
    assert h["forward_proxy_enabled"] is True


def test_health_reflects_config(pipelock):
    p = pipelock({"mode": "strict", "api_allowlist": ["allowed.test"],
                  "forward_proxy": {"enabled": False}})
    h = p.health()
    assert h["mode"] == "strict" and h["forward_proxy_enabled"] is False


def test_uptime_increases(pipelock):
    p = pipelock()
    first = p.health()["uptime_seconds"]
    wait_until(lambda: p.health()["uptime_seconds"] > first, what="uptime to advance")


def test_forward_and_connect_refused_when_forward_proxy_disabled(pipelock, origin):
    p = pipelock({"forward_proxy": {"enabled": False}})
    r = rawhttp.proxy_get(p.port, origin.url("/disabled"))
    assert r.status == 405, f"got {r.status} {r.text!r}"
    resp, _, s = rawhttp.connect_tunnel(p.port, origin.authority)
    s.close()
    assert resp.status == 405
    origin.assert_untouched()


@pytest.mark.parametrize("path", ["/", "/nope", "/health/extra", "/fetchx"])
def test_unknown_local_path_is_404(pipelock, path):
    p = pipelock()
    r = rawhttp.get(p.port, path)
    assert r.status == 404, f"{path}: {r.status}"


# ------------------------------------------------------------------ audit log


def test_startup_event_and_all_lines_are_json(pipelock):
    p = pipelock()
    ev = p.wait_event("startup")
    assert ev["listen"] == f"127.0.0.1:{p.port}"
    assert ev["mode"] == "balanced"
    assert ev["version"] == p.health()["version"]
    assert ev["config_hash"] == hashlib.sha256(p.config_path.read_bytes()).hexdigest()
    assert ev["component"] == "pipelock" and ev["level"] == "info" and ev["message"]
    rawhttp.get(p.port, "/health")
    p.stop()
    lines = p.stdout_lines()
    assert lines
    for ln in lines:
        obj = json.loads(ln)  # every stdout line is one JSON object
        assert isinstance(obj, dict)
        for k in ("level", "time", "component", "event", "message"):
            assert k in obj, f"audit line without {k}: {ln}"
        assert obj["component"] == "pipelock"
        t = obj["time"].replace("Z", "+00:00")
        datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", t))  # RFC 3339
    names = [json.loads(ln)["event"] for ln in lines]
    assert names[0] == "startup" and "shutdown" in names
    sd = [json.loads(ln) for ln in lines if json.loads(ln)["event"] == "shutdown"][0]
    assert sd.get("reason")


def test_startup_banner_on_stderr(pipelock):
    p = pipelock()
    err = p.stderr_text()
    assert str(p.port) in err, f"banner does not mention the listen address: {err!r}"
    assert not any(ln.startswith("{") for ln in err.splitlines()), "audit JSON went to stderr"


# ------------------------------------------------------------------ timeouts and limits


def wait_for_close(sock):
    """Read until EOF/reset; return the bytes received. The socket guard fails a hang."""
    got = b""
    while True:
        try:
            d = sock.recv(65536)
        except ConnectionResetError:
            return got
        except socket.timeout:
            raise AssertionError(f"connection still open after {GUARD}s")
        if not d:
            return got
        got += d


def test_incomplete_head_is_closed_by_header_timeout(pipelock, origin):
    p = pipelock({"server": {"header_timeout_seconds": 1}})
    s = rawhttp.connect(p.port)
    s.sendall(f"GET {origin.url('/partial')} HTTP/1.1\r\nHost: {origin.authority}\r\n".encode())
    got = wait_for_close(s)
    s.close()
    assert got == b"" or got.startswith(b"HTTP/1.1 408"), got[:200]
    origin.assert_untouched()


def test_trickled_head_does_not_extend_header_timeout(pipelock, origin):
    p = pipelock({"server": {"header_timeout_seconds": 1}})
    s = rawhttp.connect(p.port)
    s.sendall(f"GET {origin.url('/trickle')} HTTP/1.1\r\nHost: {origin.authority}\r\n"
              "X-Slow: ".encode())
    closed = False
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        try:
            s.sendall(b"a")
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        s.settimeout(0.2)
        try:
            d = s.recv(4096)
            if d == b"" or d.startswith(b"HTTP/1.1 408"):
                closed = True
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
            break
    s.close()
    assert closed, "a client trickling header bytes kept the connection open past the timeout"
    origin.assert_untouched()


def test_idle_keepalive_connection_is_closed(pipelock, origin):
    p = pipelock({"server": {"keepalive_timeout_seconds": 1}})
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url("/ka"), [("Host", origin.authority)]))
    r = rawhttp.Reader(s)
    assert r.read_response().status == 200
    assert r.buf == bytearray()
    got = wait_for_close(s)
    s.close()
    assert got == b"", f"unexpected bytes on an idle keep-alive connection: {got[:200]!r}"


def _try_health(port):
    try:
        s = rawhttp.connect(port, timeout=10)
    except OSError:
        return None, None
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        r = rawhttp.Reader(s)
        return s, r.read_response()
    except (rawhttp.Closed, OSError):
        s.close()
        return None, None


def test_max_connections_limit_refuses_extra_connections(pipelock):
    p = pipelock({"server": {"max_connections": 4, "workers": 1}})
    held = []
    for _ in range(4):
        def open_one():
            s, resp = _try_health(p.port)
            if resp is not None and resp.status == 200:
                return s
            if s:
                s.close()
            return None  # the readiness probe may not be accounted closed yet: retry

        held.append(wait_until(open_one, what="a connection within the limit"))
    extra = rawhttp.connect(p.port, timeout=GUARD)
    try:
        extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        got = wait_for_close(extra)
    except (BrokenPipeError, ConnectionResetError):
        got = b""
    extra.close()
    assert got == b"" or got.startswith(b"HTTP/1.1 503"), (
        f"connection over max_connections was served: {got[:200]!r}")
    # Held connections still work, and after releasing one a new client gets in.
    for s in held:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    for s in held:
        assert rawhttp.Reader(s).read_response().status == 200
    held.pop().close()

    def new_client_ok():
        s, resp = _try_health(p.port)
        if s:
            s.close()
        return resp is not None and resp.status == 200

    wait_until(new_client_ok, what="a new connection after one was released")
    for s in held:
        s.close()
    assert p.running()


# ------------------------------------------------------------------ shutdown


def _sigterm_acknowledged(p):
    """SIGTERM was processed: the shutdown event is logged or the listener stopped accepting."""
    if p.events("shutdown"):
        return True
    try:
        socket.create_connection(("127.0.0.1", p.port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def test_sigterm_drains_in_flight_response_then_exits_zero(pipelock, origin):
    p = pipelock({"server": {"drain_seconds": 60}})
    half = 100_000
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url(f"/gated?half={half}&gate=drain"),
                                    [("Host", origin.authority)]))
    r = rawhttp.Reader(s)
    head = rawhttp.parse_head(r.read_head())
    assert head.status == 200
    got = bytearray(r.buf)
    while len(got) < half:
        d = s.recv(65536)
        assert d
        got += d
    p.signal(signal.SIGTERM)
    wait_until(lambda: _sigterm_acknowledged(p), what="pipelock to act on SIGTERM")
    assert p.running(), "pipelock exited with a response still in flight"
    origin.open_gate("drain")
    while len(got) < 2 * half:
        d = s.recv(65536)
        assert d, f"in-flight response cut at {len(got)} of {2 * half} bytes by shutdown"
        got += d
    s.close()
    assert bytes(got) == b"a" * half + b"b" * half
    assert p.wait_exit() == 0
    p.check_sanitizers()
    assert p.events("shutdown")


def test_drain_deadline_bounds_shutdown_with_stuck_response(pipelock, origin):
    p = pipelock({"server": {"drain_seconds": 1}})
    s = rawhttp.connect(p.port)
    s.sendall(rawhttp.request_bytes("GET", origin.url("/gated?half=1000&gate=never"),
                                    [("Host", origin.authority)]))
    r = rawhttp.Reader(s)
    assert rawhttp.parse_head(r.read_head()).status == 200
    p.signal(signal.SIGTERM)
    assert p.wait_exit() == 0, p.stderr_text()
    p.check_sanitizers()
    wait_for_close(s)
    s.close()
    origin.open_gate("never")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_with_idle_keepalive_connections_exits_zero(pipelock, origin, sig):
    p = pipelock()
    idle = []
    for i in range(3):
        s = rawhttp.connect(p.port)
        s.sendall(rawhttp.request_bytes("GET", origin.url(f"/idle{i}"),
                                        [("Host", origin.authority)]))
        assert rawhttp.Reader(s).read_response().status == 200
        idle.append(s)
    p.signal(sig)
    assert p.wait_exit() == 0, p.stderr_text()
    p.check_sanitizers()
    for s in idle:
        assert wait_for_close(s) == b""
        s.close()
    sd = p.events("shutdown")
    assert sd and sd[0].get("reason")


def test_text_log_format_writes_one_readable_line_per_event(tmp_path):
    """logging.format: text renders "TIME LVL message key=value" lines instead of JSON."""
    import signal
    import subprocess
    import time as _time
    from pltest.util import free_port, pipelock_bin, wait_until
    port = free_port()
    cfg = tmp_path / "text.yaml"
    cfg.write_text('forward_proxy: {enabled: true}\nlogging: {format: text}\n'
                   'dns: {resolvers: ["127.0.0.1:9"]}\n')
    out = open(tmp_path / "out.log", "wb")
    p = subprocess.Popen([str(pipelock_bin()), "run", "-c", str(cfg), "-l", f"127.0.0.1:{port}"],
                         stdout=out, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: b"pipelock started" in (tmp_path / "out.log").read_bytes(),
                   what="startup line")
        import socket
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET http://10.0.0.1/x HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 403")
        s.close()
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 0
        out.close()
    lines = (tmp_path / "out.log").read_text().splitlines()
    blocked = [l for l in lines if " WRN request blocked " in l]
    assert len(blocked) == 1, lines
    assert "scanner=ssrf" in blocked[0] and 'reason="SSRF blocked:' in blocked[0]
    assert not any(l.startswith("{") for l in lines), lines
