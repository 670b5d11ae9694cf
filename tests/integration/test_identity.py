"""Agent identity: the reference's self-declared identity (§2.13) and the proxy_auth extension.

Reference behaviour:
- `X-Pipelock-Agent: name` (any request) or `/fetch?url=...&agent=name` names the agent shown
  in audit events' `agent` field. Names are sanitised: characters outside [a-zA-Z0-9._-]
  become '_', at most 64 characters are kept, an empty name is "anonymous".
- Order: bind_default_agent_identity + default_agent_identity → always the default; else the
  header; else default_agent_identity; else ?agent= (only /fetch); else "anonymous".
- X-Pipelock-Agent never reaches the origin.

proxy_auth (an extension section):
- `Proxy-Authorization: Basic base64(user:pass)` or `Bearer <token>` (scheme
  case-insensitive) matching an entry of proxy_auth.agents names the agent, overriding every
  self-declared source and bind_default_agent_identity. /fetch accepts `Authorization` too.
- Credentials present but wrong → 407 with `Proxy-Authenticate: Basic realm=...` and
  `Proxy-Authenticate: Bearer realm=...` (401 with WWW-Authenticate for /fetch), body
  "invalid proxy credentials\\n", nothing reaches the origin, a `blocked` event with scanner
  proxy_auth and the target redacted. With required: true, no credentials get the same answer
  with "proxy credentials required\\n" (not for /health, /metrics, /stats or unknown paths).
- Proxy-Authorization is never forwarded, and when it proved identity it is not header-DLP
  scanned. Metrics label authenticated agents; self-declared names count as "_default".
- `pipelock check` rejects inconsistent proxy_auth sections without printing the secrets.

All traffic goes to 127.0.0.1 (origins and proxies) and to the suite's fake DNS."""

import base64
import json
import re
import subprocess

import pytest
import requests

from clients import curl
from pltest import rawhttp
from pltest.util import GUARD, pipelock_bin, wait_until
from pltest.yamlw import dump

USER = "claude"
PASSWORD = "hunter2hunter2"
TOKEN = "abcdefghijklmnopqrstuvwxyz"
GH_TOKEN = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"  # ghp_ + 36 alphanumerics
GH_OTHER = "ghp_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"
assert len(GH_TOKEN) == 40 and len(GH_OTHER) == 40

AGENTS = [
    {"name": "claude", "username": USER, "password": PASSWORD},
    {"name": "ci-bot", "token": TOKEN},
]

SECRET_PATH = "/private/s3cr3t-path-value"  # must never appear in a log line
INVALID = b"invalid proxy credentials\n"
REQUIRED = b"proxy credentials required\n"


# ------------------------------------------------------------------ helpers


def basic(user=USER, password=PASSWORD, scheme="Basic"):
    return f"{scheme} " + base64.b64encode(f"{user}:{password}".encode()).decode()


def bearer(token=TOKEN, scheme="Bearer"):
    return f"{scheme} {token}"


def auth_cfg(agents=None, **kw):
    sec = {"agents": AGENTS if agents is None else agents}
    sec.update(kw)
    return {"proxy_auth": sec}


def forward(p, origin, path, headers=(), close=True):
    """One absolute-URI GET through the proxy on a fresh connection."""
    return rawhttp.proxy_get(p.port, origin.url(path), headers=list(headers), close=close)


def fetch_raw(p, target_url, agent=None, headers=()):
    """GET /fetch?url=... in origin form with the target left unencoded (raw socket)."""
    path = f"/fetch?url={target_url}"
    if agent is not None:
        path += f"&agent={agent}"
    return rawhttp.get(p.port, path, headers=list(headers))


def fetch(p, target_url, agent=None, headers=None, auth=None):
    """GET /fetch with requests (query encoded); returns the requests.Response."""
    params = {"url": target_url}
    if agent is not None:
        params["agent"] = agent
    with requests.Session() as s:
        s.trust_env = False
        return s.get(p.url + "/fetch", params=params, headers=headers or {}, auth=auth,
                     timeout=GUARD, allow_redirects=False)


def forward_event(p, origin, path):
    return p.wait_event("forward_http", url=origin.url(path))


def fetch_event(p, url):
    return p.wait_event("allowed", url=url)


def assert_challenge(resp, status, body, realm="pipelock"):
    """The refusal: status, the two challenges in the right header, the body."""
    assert resp.status == status, f"expected {status}, got {resp.status}: {resp.body[:300]!r}"
    name = "Proxy-Authenticate" if status == 407 else "WWW-Authenticate"
    other = "WWW-Authenticate" if status == 407 else "Proxy-Authenticate"
    got = resp.header_all(name)
    assert sorted(got) == sorted([f'Basic realm="{realm}"', f'Bearer realm="{realm}"']), (
        f"{name} headers: {got}; all headers: {resp.headers}")
    assert not resp.header_all(other), f"unexpected {other}: {resp.headers}"
    assert resp.body == body, f"body {resp.body!r}"


def no_auth_headers_reached(origin):
    origin.settle()
    for req in origin.requests:
        names = req.header_names()
        assert "proxy-authorization" not in names, f"Proxy-Authorization forwarded: {req.headers}"
        assert "x-pipelock-agent" not in names, f"X-Pipelock-Agent forwarded: {req.headers}"


def metrics_text(p):
    r = rawhttp.get(p.port, "/metrics")
    assert r.status == 200, f"/metrics answered {r.status}"
    return r.text


def metric(text, name, **labels):
    """The value of the series name{labels} (label order as rendered is irrelevant), or None."""
    for ln in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}\s+(\S+)$", ln)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        if got == labels:
            return float(m.group(3))
    return None


def pl_check(cfg_path):
    b = pipelock_bin()
    assert b.exists(), f"pipelock binary not found at {b}"
    return subprocess.run([str(b), "check", "--config", str(cfg_path)], capture_output=True,
                          text=True, timeout=GUARD, stdin=subprocess.DEVNULL)


# ------------------------------------------------------------------ reference identity


def test_header_names_the_agent_and_is_not_forwarded(pipelock, origin):
    p = pipelock()
    r = forward(p, origin, "/ref-header", [("X-Pipelock-Agent", "research-bot")])
    assert r.status == 200, r.body
    assert forward_event(p, origin, "/ref-header")["agent"] == "research-bot"
    no_auth_headers_reached(origin)
    assert b"research-bot" not in bytes(origin.connections[0].raw)


def test_no_identity_is_anonymous(pipelock, origin):
    p = pipelock()
    r = forward(p, origin, "/ref-anon")
    assert r.status == 200
    assert forward_event(p, origin, "/ref-anon")["agent"] == "anonymous"


@pytest.mark.parametrize("sent,logged", [
    ("bad name/with*chars", "bad_name_with_chars"),
    ("a" * 100, "a" * 64),
    ("x.y_z-1", "x.y_z-1"),
    ("caf\u00e9", "caf_"),
    ("", "anonymous"),
], ids=["specials", "long", "allowed-punct", "latin1", "empty"])
def test_header_agent_is_sanitised(pipelock, origin, sent, logged):
    p = pipelock()
    r = forward(p, origin, "/ref-sanitise", [("X-Pipelock-Agent", sent)])
    assert r.status == 200
    assert forward_event(p, origin, "/ref-sanitise")["agent"] == logged


def test_fetch_agent_parameter_is_sanitised_and_not_forwarded(pipelock, origin):
    p = pipelock()
    url = origin.url("/ref-fetch-agent")
    r = fetch(p, url, agent="some agent!" + "b" * 80)
    assert r.status_code == 200, r.text
    want = ("some_agent_" + "b" * 80)[:64]
    assert r.json()["agent"] == want
    assert fetch_event(p, url)["agent"] == want
    origin.settle()
    req = origin.find("/ref-fetch-agent")[0]
    assert req.target == "/ref-fetch-agent", f"the agent parameter reached the origin: {req.target}"
    assert b"bbbbbbbb" not in bytes(origin.connections[0].raw)


@pytest.mark.parametrize("cfg,header,query,want", [
    ({"default_agent_identity": "pinned", "bind_default_agent_identity": True}, "hdr", "qry",
     "pinned"),
    ({"default_agent_identity": "pinned", "bind_default_agent_identity": True}, None, None,
     "pinned"),
    ({"default_agent_identity": "dflt"}, "hdr", "qry", "hdr"),
    ({"default_agent_identity": "dflt"}, None, "qry", "dflt"),
    ({}, "hdr", "qry", "hdr"),
    ({}, None, "qry", "qry"),
    ({}, None, None, "anonymous"),
    ({"bind_default_agent_identity": True}, "hdr", None, "hdr"),
], ids=["bind-over-all", "bind-alone", "header-over-default", "default-over-query",
        "header-over-query", "query", "nothing", "bind-without-default"])
def test_fetch_resolution_order(pipelock, origin, cfg, header, query, want):
    p = pipelock(cfg)
    url = origin.url("/ref-order")
    r = fetch(p, url, agent=query, headers={"X-Pipelock-Agent": header} if header else None)
    assert r.status_code == 200, r.text
    assert fetch_event(p, url)["agent"] == want


@pytest.mark.parametrize("cfg,header,want", [
    ({"default_agent_identity": "pinned", "bind_default_agent_identity": True}, "hdr", "pinned"),
    ({"default_agent_identity": "dflt"}, "hdr", "hdr"),
    ({"default_agent_identity": "dflt"}, None, "dflt"),
], ids=["bind", "header-over-default", "default"])
def test_forward_resolution_order(pipelock, origin, cfg, header, want):
    p = pipelock(cfg)
    hdrs = [("X-Pipelock-Agent", header)] if header else []
    r = forward(p, origin, "/ref-order-fwd", hdrs)
    assert r.status == 200
    assert forward_event(p, origin, "/ref-order-fwd")["agent"] == want
    no_auth_headers_reached(origin)


# ------------------------------------------------------------------ proxy_auth: identity


@pytest.mark.parametrize("value,agent", [
    (basic(), "claude"),
    (basic(scheme="basic"), "claude"),
    (basic(scheme="BASIC"), "claude"),
    (bearer(), "ci-bot"),
    (bearer(scheme="bearer"), "ci-bot"),
    (bearer(scheme="BEARER"), "ci-bot"),
], ids=["Basic", "basic", "BASIC", "Bearer", "bearer", "BEARER"])
def test_credentials_name_the_agent_over_the_header(pipelock, origin, value, agent):
    p = pipelock(auth_cfg())
    r = forward(p, origin, "/pa-ok", [("Proxy-Authorization", value),
                                      ("X-Pipelock-Agent", "impostor")])
    assert r.status == 200, r.body
    assert r.body == b"ok GET /pa-ok\n"
    assert forward_event(p, origin, "/pa-ok")["agent"] == agent
    no_auth_headers_reached(origin)
    raw = bytes(origin.connections[0].raw)
    assert value.split(" ", 1)[1].encode() not in raw, "the credential reached the origin"
    assert b"impostor" not in raw


def test_credentials_override_bound_default_identity(pipelock, origin):
    p = pipelock({**auth_cfg(), "default_agent_identity": "pinned",
                  "bind_default_agent_identity": True})
    r = forward(p, origin, "/pa-bound", [("Proxy-Authorization", basic())])
    assert r.status == 200
    assert forward_event(p, origin, "/pa-bound")["agent"] == "claude"
    r = forward(p, origin, "/pa-unbound", [("X-Pipelock-Agent", "someone")])
    assert r.status == 200
    assert forward_event(p, origin, "/pa-unbound")["agent"] == "pinned"


def test_curl_proxy_userinfo_authenticates(pipelock, origin):
    p = pipelock(auth_cfg(required=True))
    proxy = f"http://{USER}:{PASSWORD}@127.0.0.1:{p.port}"
    res = curl("-x", proxy, "-H", "X-Pipelock-Agent: impostor", "-o", "-", "-w",
               "\n%{http_code}", origin.url("/pa-curl"))
    assert res.returncode == 0, res.stderr
    body, code = res.stdout.rsplit(b"\n", 1)
    assert code == b"200", res.stdout
    assert body == b"ok GET /pa-curl\n"
    assert forward_event(p, origin, "/pa-curl")["agent"] == "claude"
    no_auth_headers_reached(origin)
    assert PASSWORD.encode() not in bytes(origin.connections[0].raw)


def test_curl_without_credentials_gets_407_when_required(pipelock, origin):
    p = pipelock(auth_cfg(required=True))
    res = curl("-x", p.url, "-o", "/dev/null", "-w", "%{http_code}", origin.url("/pa-curl-none"))
    assert res.stdout == b"407", (res.stdout, res.stderr)
    origin.assert_untouched()


def test_requests_proxy_userinfo_authenticates(pipelock, origin):
    p = pipelock(auth_cfg(required=True))
    with requests.Session() as s:
        s.trust_env = False
        s.proxies = {"http": f"http://{USER}:{PASSWORD}@127.0.0.1:{p.port}"}
        r = s.get(origin.url("/pa-requests"), timeout=GUARD)
    assert r.status_code == 200, r.text
    assert forward_event(p, origin, "/pa-requests")["agent"] == "claude"
    no_auth_headers_reached(origin)


@pytest.mark.parametrize("header,value,agent", [
    ("Authorization", basic(), "claude"),
    ("Authorization", bearer(), "ci-bot"),
    ("Proxy-Authorization", basic(), "claude"),
    ("Proxy-Authorization", bearer(scheme="bearer"), "ci-bot"),
])
def test_fetch_accepts_authorization_and_proxy_authorization(pipelock, origin, header, value,
                                                             agent):
    p = pipelock({**auth_cfg(required=True), "default_agent_identity": "dflt"})
    url = origin.url("/pa-fetch")
    r = fetch(p, url, agent="qry", headers={header: value, "X-Pipelock-Agent": "hdr"})
    assert r.status_code == 200, r.text
    assert r.json()["agent"] == agent
    assert fetch_event(p, url)["agent"] == agent
    origin.settle()
    raw = bytes(origin.connections[0].raw)
    assert value.split(" ", 1)[1].encode() not in raw
    assert b"authorization" not in raw.lower()


def test_fetch_with_requests_basic_auth(pipelock, origin):
    p = pipelock(auth_cfg(required=True))
    url = origin.url("/pa-fetch-auth")
    r = fetch(p, url, auth=(USER, PASSWORD))
    assert r.status_code == 200, r.text
    assert r.json()["agent"] == "claude"
    r = fetch(p, url, auth=(USER, "not-the-password"))
    assert r.status_code == 401, r.text


# ------------------------------------------------------------------ proxy_auth: refusals

WRONG = {
    "bad-password": basic(password="hunter3hunter3"),
    "unknown-user": basic(user="mallory"),
    "unknown-token": bearer("zyxwvutsrqponmlkjihgfedcba"),
    "token-as-basic": "Basic " + base64.b64encode(TOKEN.encode()).decode(),
    "password-as-bearer": bearer(PASSWORD),
    "malformed-base64": "Basic !!!not-base64!!!",
    "digest": "Digest x",
    "bare-scheme": "Bearer",
}


@pytest.mark.parametrize("required", [False, True], ids=["optional", "required"])
@pytest.mark.parametrize("value", list(WRONG.values()), ids=list(WRONG))
def test_wrong_credentials_on_forward_get_407(pipelock, origin, value, required):
    p = pipelock(auth_cfg(required=required))
    r = forward(p, origin, SECRET_PATH, [("Proxy-Authorization", value)])
    assert_challenge(r, 407, INVALID)
    origin.assert_untouched("bad credentials")
    ev = p.wait_event("blocked", scanner="proxy_auth")
    assert ev["reason"] == "invalid proxy credentials", ev
    assert ev["url"] == f"http://127.0.0.1:{origin.port}/[redacted]", ev
    assert "s3cr3t-path-value" not in p.stdout_text()


def test_wrong_credentials_on_connect_get_407(pipelock, origin):
    p = pipelock(auth_cfg())
    hdr = [("Proxy-Authorization", WRONG["bad-password"])]
    resp, _reader, s = rawhttp.connect_tunnel(p.port, origin.authority, headers=hdr)
    s.close()
    assert_challenge(resp, 407, INVALID)
    origin.assert_untouched("bad credentials on CONNECT")
    ev = p.wait_event("blocked", scanner="proxy_auth")
    assert ev["reason"] == "invalid proxy credentials", ev
    assert ev["method"] == "CONNECT", ev
    assert not p.events("tunnel_open")
    # Like every other CONNECT event, the block names the CONNECT target (host:port).
    assert ev.get("target") == origin.authority, f"CONNECT block event without its target: {ev}"


@pytest.mark.parametrize("how", ["unencoded", "encoded"])
def test_wrong_credentials_on_fetch_get_401(pipelock, origin, how):
    p = pipelock(auth_cfg())
    target = origin.url(SECRET_PATH)
    hdr = [("Authorization", bearer("zyxwvutsrqponmlkjihgfedcba"))]
    if how == "unencoded":
        r = fetch_raw(p, target, headers=hdr)
    else:
        rr = fetch(p, target, headers=dict(hdr))
        r = rawhttp.Response(version="HTTP/1.1", status=rr.status_code, reason=rr.reason,
                             headers=list(getattr(rr.raw.headers, "iteritems",
                                                  rr.raw.headers.items)()),
                             body=rr.content)
    assert_challenge(r, 401, INVALID)
    origin.assert_untouched("bad credentials on /fetch")
    ev = p.wait_event("blocked", scanner="proxy_auth")
    assert ev["reason"] == "invalid proxy credentials", ev
    assert "s3cr3t-path-value" not in p.stdout_text()
    assert "s3cr3t" not in json.dumps(ev)
    # The fetched URL is what /fetch events log (scheme://host/[redacted] when redacted).
    assert ev["url"] == f"http://127.0.0.1:{origin.port}/[redacted]", ev


@pytest.mark.parametrize("kind", ["forward", "connect", "fetch"])
def test_required_without_credentials_is_refused(pipelock, origin, kind):
    p = pipelock(auth_cfg(required=True))
    if kind == "forward":
        r = forward(p, origin, SECRET_PATH, [("X-Pipelock-Agent", "claude")])
        assert_challenge(r, 407, REQUIRED)
    elif kind == "connect":
        r, _rd, s = rawhttp.connect_tunnel(p.port, origin.authority)
        s.close()
        assert_challenge(r, 407, REQUIRED)
    else:
        r = fetch_raw(p, origin.url(SECRET_PATH), agent="claude")
        assert_challenge(r, 401, REQUIRED)
    origin.assert_untouched("no credentials")
    ev = p.wait_event("blocked", scanner="proxy_auth")
    assert ev["reason"] == "proxy credentials required", ev
    assert "s3cr3t-path-value" not in p.stdout_text()


def test_custom_realm_is_used_in_challenges(pipelock, origin):
    p = pipelock(auth_cfg(required=True, realm="corp proxy"))
    r = forward(p, origin, "/realm")
    assert_challenge(r, 407, REQUIRED, realm="corp proxy")
    r = fetch_raw(p, origin.url("/realm"))
    assert_challenge(r, 401, REQUIRED, realm="corp proxy")


@pytest.mark.parametrize("path,status", [("/health", 200), ("/metrics", 200), ("/stats", 200),
                                         ("/no-such-endpoint", 404)])
def test_required_does_not_cover_local_endpoints(pipelock, path, status):
    p = pipelock(auth_cfg(required=True))
    r = rawhttp.get(p.port, path)
    assert r.status == status, f"{path} answered {r.status}: {r.body[:200]!r}"
    assert not r.header_all("WWW-Authenticate") and not r.header_all("Proxy-Authenticate")


def test_optional_without_credentials_follows_the_reference(pipelock, origin):
    p = pipelock(auth_cfg())
    r = forward(p, origin, "/opt-hdr", [("X-Pipelock-Agent", "self-named")])
    assert r.status == 200
    assert forward_event(p, origin, "/opt-hdr")["agent"] == "self-named"
    r = forward(p, origin, "/opt-anon")
    assert r.status == 200
    assert forward_event(p, origin, "/opt-anon")["agent"] == "anonymous"
    url = origin.url("/opt-fetch")
    rr = fetch(p, url, agent="query-named")
    assert rr.status_code == 200, rr.text
    assert fetch_event(p, url)["agent"] == "query-named"
    assert not p.events("blocked")


# ------------------------------------------------------------------ forwarding and DLP


def test_proxy_authorization_is_never_forwarded_without_proxy_auth(pipelock, origin):
    p = pipelock()
    r = forward(p, origin, "/pa-noconf", [("Proxy-Authorization", basic())])
    assert r.status == 200
    no_auth_headers_reached(origin)


DLP_BLOCK = {"request_body_scanning": {"action": "block"}}


def test_header_dlp_would_block_a_github_token_in_proxy_authorization(pipelock, origin):
    """The control for the next test: without proxy_auth the value is a secret in a header."""
    p = pipelock(DLP_BLOCK)
    r = forward(p, origin, "/dlp-control", [("Proxy-Authorization", bearer(GH_TOKEN))])
    assert r.status == 403, (r.status, r.body)
    origin.assert_untouched()


@pytest.mark.parametrize("kind", ["forward", "connect"])
def test_configured_token_that_looks_like_a_secret_is_not_dlp_scanned(pipelock, origin, kind):
    p = pipelock({**DLP_BLOCK, **auth_cfg([{"name": "gh-agent", "token": GH_TOKEN}])})
    if kind == "forward":
        r = forward(p, origin, "/dlp-ok", [("Proxy-Authorization", bearer(GH_TOKEN))])
        assert r.status == 200, (r.status, r.body)
        assert forward_event(p, origin, "/dlp-ok")["agent"] == "gh-agent"
    else:
        r, reader, s = rawhttp.connect_tunnel(p.port, origin.authority,
                                              headers=[("Proxy-Authorization", bearer(GH_TOKEN))])
        try:
            assert r.status == 200, (r.status, r.body)
            s.sendall(rawhttp.request_bytes("GET", "/dlp-ok", [("Host", origin.authority),
                                                               ("Connection", "close")]))
            inner = reader.read_response()
            assert inner.status == 200 and inner.body == b"ok GET /dlp-ok\n"
        finally:
            s.close()
        assert p.wait_event("tunnel_open", target=origin.authority)["agent"] == "gh-agent"
    assert not p.events("header_dlp"), p.events("header_dlp")
    no_auth_headers_reached(origin)
    assert GH_TOKEN.encode() not in bytes(origin.connections[0].raw)
    # Still active for other headers: the same kind of secret elsewhere is blocked.
    r = forward(p, origin, "/dlp-other", [("Proxy-Authorization", bearer(GH_TOKEN)),
                                          ("X-Api-Key", GH_OTHER)])
    assert r.status == 403, (r.status, r.body)
    # An unconfigured token of the same shape proves nothing: refused as invalid.
    r = forward(p, origin, "/dlp-unknown", [("Proxy-Authorization", bearer(GH_OTHER))])
    assert r.status == 407, (r.status, r.body)


@pytest.mark.parametrize("header", ["Proxy-Authorization", "Authorization"])
def test_fetch_configured_token_that_looks_like_a_secret_is_not_dlp_scanned(pipelock, origin,
                                                                            header):
    """On /fetch, Authorization is a credential header like Proxy-Authorization: once it has
    proved the agent's identity it is pipelock's, not data to scan."""
    p = pipelock({**DLP_BLOCK, **auth_cfg([{"name": "gh-agent", "token": GH_TOKEN}])})
    url = origin.url("/dlp-fetch")
    r = fetch(p, url, headers={header: bearer(GH_TOKEN)})
    assert r.status_code == 200, r.text
    assert r.json()["agent"] == "gh-agent"
    assert not p.events("header_dlp"), p.events("header_dlp")
    # Control: header DLP is on for /fetch (the same shape in another sensitive header).
    r = fetch(p, url, headers={header: bearer(GH_TOKEN), "X-Api-Key": GH_OTHER})
    assert r.status_code == 403, r.text


# ------------------------------------------------------------------ metrics


def test_metrics_label_authenticated_agents_only(pipelock, origin):
    p = pipelock({**auth_cfg(), "agents": {"research": {}}})
    before = metrics_text(p)
    for a in ("research", "claude", "ci-bot", "_default"):
        assert metric(before, "pipelock_requests_total", result="allowed", agent=a) == 0, (
            f"no zero series for agent {a}:\n{before}")
    for i in range(2):
        assert forward(p, origin, f"/m-claude{i}", [("Proxy-Authorization", basic()),
                                                    ("X-Pipelock-Agent", "someone")]).status == 200
    assert forward(p, origin, "/m-someone", [("X-Pipelock-Agent", "someone")]).status == 200
    rr = fetch(p, origin.url("/m-fetch"), agent="someone-else")
    assert rr.status_code == 200

    def counted():
        t = metrics_text(p)
        ok = (metric(t, "pipelock_requests_total", result="allowed", agent="claude") == 2 and
              metric(t, "pipelock_requests_total", result="allowed", agent="_default") == 2)
        return t if ok else None

    text = wait_until(counted, what="allowed requests counted for claude and _default")
    assert metric(text, "pipelock_requests_total", result="allowed", agent="ci-bot") == 0
    assert metric(text, "pipelock_requests_total", result="allowed", agent="research") == 0
    assert "someone" not in text, "a self-declared agent name became a metric label"
    assert "agent=\"anonymous\"" not in text


def test_metrics_count_refusals(pipelock, origin):
    p = pipelock(auth_cfg())
    assert forward(p, origin, "/m-bad", [("Proxy-Authorization", WRONG["bad-password"]),
                                         ("X-Pipelock-Agent", "liar")]).status == 407

    def counted():
        t = metrics_text(p)
        return t if metric(t, "pipelock_scanner_hits_total", scanner="proxy_auth",
                           agent="_default") == 1 else None

    text = wait_until(counted, what="proxy_auth scanner hit")
    assert "liar" not in text


# ------------------------------------------------------------------ keep-alive


def test_keepalive_407_then_good_credentials_with_requests(pipelock, origin):
    p = pipelock(auth_cfg())
    with requests.Session() as s:
        s.trust_env = False
        s.proxies = {"http": p.url}
        r1 = s.get(origin.url("/ka-1"), headers={"Proxy-Authorization": WRONG["bad-password"]},
                   timeout=GUARD)
        assert r1.status_code == 407, r1.text
        assert r1.text == INVALID.decode()
        r2 = s.get(origin.url("/ka-2"), headers={"Proxy-Authorization": basic()}, timeout=GUARD)
        assert r2.status_code == 200, r2.text
        assert r2.text == "ok GET /ka-2\n"
        managers = list(s.get_adapter(origin.url("/")).proxy_manager.values())
        assert len(managers) == 1, managers
        pool = managers[0].connection_from_url(origin.url("/"))
        assert pool.num_connections == 1, (
            f"requests opened {pool.num_connections} connections: the 407 was not kept alive")
    assert forward_event(p, origin, "/ka-2")["agent"] == "claude"
    assert not origin.find("/ka-1")


def test_keepalive_407_then_good_credentials_on_one_socket(pipelock, origin):
    p = pipelock(auth_cfg())
    s = rawhttp.connect(p.port)
    try:
        reader = rawhttp.Reader(s)
        s.sendall(rawhttp.request_bytes("GET", origin.url("/ks-1"), [
            ("Host", origin.authority),
            ("Proxy-Authorization", bearer("wrong-token-wrong-token"))]))
        r1 = reader.read_response()
        assert_challenge(r1, 407, INVALID)
        assert not r1.has_token("Connection", "close")
        s.sendall(rawhttp.request_bytes("GET", origin.url("/ks-2"), [
            ("Host", origin.authority), ("Proxy-Authorization", bearer())]))
        r2 = reader.read_response()
        assert r2.status == 200 and r2.body == b"ok GET /ks-2\n"
    finally:
        s.close()
    assert forward_event(p, origin, "/ks-2")["agent"] == "ci-bot"
    no_auth_headers_reached(origin)
    assert [r.path for r in origin.requests] == ["/ks-2"]


# ------------------------------------------------------------------ CONNECT


def test_connect_with_credentials_opens_a_working_tunnel(pipelock, origin):
    p = pipelock(auth_cfg(required=True))
    value = basic()
    s = rawhttp.connect(p.port)
    try:
        s.sendall((f"CONNECT {origin.authority} HTTP/1.1\r\nHost: {origin.authority}\r\n"
                   f"Proxy-Authorization: {value}\r\nX-Pipelock-Agent: impostor\r\n\r\n").encode())
        reader = rawhttp.Reader(s)
        r = reader.read_response(method="CONNECT")
        assert r.status == 200, (r.status, r.body)
        s.sendall(rawhttp.request_bytes("GET", "/in-tunnel", [("Host", origin.authority),
                                                              ("Connection", "close")]))
        inner = reader.read_response()
        assert inner.status == 200 and inner.body == b"ok GET /in-tunnel\n"
    finally:
        s.close()
    ev = p.wait_event("tunnel_open", target=origin.authority)
    assert ev["agent"] == "claude", ev
    origin.settle()
    raw = bytes(origin.connections[0].raw)
    assert value.split(" ", 1)[1].encode() not in raw and b"impostor" not in raw


def test_connect_with_bearer_and_wrong_credentials(pipelock, origin):
    p = pipelock(auth_cfg())
    r, reader, s = rawhttp.connect_tunnel(p.port, origin.authority,
                                          headers=[("Proxy-Authorization", bearer())])
    try:
        assert r.status == 200
        s.sendall(rawhttp.request_bytes("GET", "/t-bearer", [("Host", origin.authority),
                                                             ("Connection", "close")]))
        assert reader.read_response().status == 200
    finally:
        s.close()
    assert p.wait_event("tunnel_open", target=origin.authority)["agent"] == "ci-bot"
    n_before = len(origin.connections)
    r, _rd, s = rawhttp.connect_tunnel(p.port, origin.authority,
                                       headers=[("Proxy-Authorization", "Digest x")])
    s.close()
    assert_challenge(r, 407, INVALID)
    origin.sync()
    assert len(origin.connections) == n_before, "a refused CONNECT reached the origin"


# ------------------------------------------------------------------ config validation


def check_cfg(tmp_path, proxy_auth, name="pa.yaml"):
    f = tmp_path / name
    f.write_text(dump({"proxy_auth": proxy_auth}))
    return pl_check(f)


def test_check_accepts_a_valid_proxy_auth(tmp_path):
    r = check_cfg(tmp_path, {"required": True, "realm": "corp", "agents": AGENTS})
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "Config validation: OK" in r.stdout
    out = r.stdout + r.stderr
    assert PASSWORD not in out and TOKEN not in out


P_SECRET = "pw-Sekrit-0xDEAD"
T_SECRET = "tok-Sekrit-0123456789abcdef"

BAD_CONFIGS = {
    "required-without-agents": ({"required": True}, "proxy_auth.required"),
    "required-with-empty-agents": ({"required": True, "agents": []}, "proxy_auth.required"),
    "token-and-userpass": ({"agents": [{"name": "a", "token": T_SECRET, "username": "u",
                                        "password": P_SECRET}]}, "proxy_auth.agents[0]"),
    "token-and-username": ({"agents": [{"name": "a", "token": T_SECRET, "username": "u"}]},
                           "proxy_auth.agents[0]"),
    "neither": ({"agents": [{"name": "a"}]}, "proxy_auth.agents[0]"),
    "username-without-password": ({"agents": [{"name": "a", "username": "u"}]},
                                  "proxy_auth.agents[0]"),
    "short-token": ({"agents": [{"name": "a", "token": "Sekrit-15-chars"}]},
                    "proxy_auth.agents[0].token"),
    "short-password": ({"agents": [{"name": "a", "username": "u", "password": "Sekrit7"}]},
                       "proxy_auth.agents[0].password"),
    "colon-in-username": ({"agents": [{"name": "a", "username": "u:v", "password": P_SECRET}]},
                          "proxy_auth.agents[0].username"),
    "duplicate-username": ({"agents": [{"name": "a", "username": "u", "password": P_SECRET},
                                       {"name": "b", "username": "u",
                                        "password": P_SECRET + "x"}]},
                           "proxy_auth.agents[1].username"),
    "duplicate-token": ({"agents": [{"name": "a", "token": T_SECRET},
                                    {"name": "b", "token": T_SECRET}]},
                        "proxy_auth.agents[1].token"),
    "name-anonymous": ({"agents": [{"name": "anonymous", "token": T_SECRET}]},
                       "proxy_auth.agents[0].name"),
    "name-default": ({"agents": [{"name": "_default", "token": T_SECRET}]},
                     "proxy_auth.agents[0].name"),
    "name-with-space": ({"agents": [{"name": "my agent", "token": T_SECRET}]},
                        "proxy_auth.agents[0].name"),
    "name-missing": ({"agents": [{"token": T_SECRET}]}, "proxy_auth.agents[0]"),
    "realm-with-quote": ({"realm": 'pipe"lock', "agents": [{"name": "a", "token": T_SECRET}]},
                         "proxy_auth.realm"),
}


@pytest.mark.parametrize("section,field", list(BAD_CONFIGS.values()), ids=list(BAD_CONFIGS))
def test_check_rejects_bad_proxy_auth(tmp_path, section, field):
    r = check_cfg(tmp_path, section)
    out = r.stdout + r.stderr
    assert r.returncode != 0, f"accepted: {dump({'proxy_auth': section})}\n{out}"
    assert field in out, f"the message does not name {field}: {out!r}"
    for secret in (P_SECRET, T_SECRET, "Sekrit-15-chars", "Sekrit7"):
        assert secret not in out, f"the error output contains a secret: {out!r}"


def test_run_refuses_a_bad_proxy_auth(pipelock):
    p = pipelock(auth_cfg([{"name": "a", "token": "Sekrit-short"}]), start=False)
    with pytest.raises(AssertionError, match="exited"):
        p.start()
    assert "proxy_auth.agents[0].token" in p.stderr_text()
    assert "Sekrit-short" not in p.stderr_text() + p.stdout_text()
    p.rc = p.proc.returncode  # exited on its own, as expected
