"""SSRF protection and URL policy: internal targets in every spelling, names that resolve to
internal addresses, allowlists and exemptions, DNS failures and rebinding, private addresses in
a network namespace, blocklist and strict-mode allowlist.

Every target here is either on loopback or inside a namespace the test creates, so a proxy that
wrongly connects still sends nothing off this machine."""

import pytest

from pltest import rawhttp

PUBLIC_LOOKING = "203.0.113.7"  # TEST-NET-3; routed into the test namespace, never off-host
METADATA = "169.254.169.254"


def get_via(p, url, host_header=None):
    return rawhttp.proxy_get(p.port, url, host_header=host_header)


def assert_blocked(resp, ssrf=True):
    assert resp.status == 403, f"expected 403, got {resp.status}: {resp.text!r}"
    assert resp.text.startswith("blocked: "), resp.text
    assert (resp.header("content-type") or "").startswith("text/plain")
    if ssrf:
        assert "SSRF" in resp.text, resp.text


# ------------------------------------------------------------------ loopback in every spelling

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "127.1",
    "0x7f.0.0.1",
    "127.000.000.001",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[0:0:0:0:0:0:0:1]",
    "localhost",
    "LOCALHOST",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_target_is_blocked_by_default(pipelock, origin, dns, host):
    p = pipelock(allow_loopback=False)
    resp = get_via(p, f"http://{host}:{origin.port}/ssrf")
    assert_blocked(resp)
    origin.assert_untouched(f"target host {host}")
    if host.lower() != "localhost":
        # IP literals in any notation are canonicalised, never sent to DNS (a lookup that
        # fails would also "block", for the wrong reason).
        assert not dns.queried(host.strip("[]")), f"{host} was looked up in DNS"
    ev = p.wait_event("blocked", scanner="ssrf")
    assert ev["mitre_technique"] == "T1046"
    assert ev["method"] == "GET" and ev["client_ip"] == "127.0.0.1" and ev["reason"]


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f000001", "2130706433", "[::1]",
                                  "[::ffff:127.0.0.1]"])
def test_connect_to_loopback_spelling_is_blocked(pipelock, origin, host):
    p = pipelock(allow_loopback=False)
    resp, _, s = rawhttp.connect_tunnel(p.port, f"{host}:{origin.port}")
    s.close()
    assert resp.status == 403 and resp.text.startswith("CONNECT blocked:"), resp.text
    origin.assert_untouched(f"CONNECT {host}")


def test_loopback_allowed_when_ip_allowlisted(pipelock, origin):
    """The counterpart of the blocks above: same target, ssrf.ip_allowlist → forwarded."""
    p = pipelock(allow_loopback=True)
    resp = get_via(p, f"http://127.0.0.1:{origin.port}/allowed")
    assert resp.status == 200 and resp.body == b"ok GET /allowed\n"


def test_allowlist_covers_only_the_listed_range(pipelock, origin):
    p = pipelock({"ssrf": {"ip_allowlist": ["127.0.0.2/32"]}}, allow_loopback=False)
    assert_blocked(get_via(p, f"http://127.0.0.1:{origin.port}/not-listed"))
    origin.assert_untouched()


# ------------------------------------------------------------------ names resolving inward


def test_hostname_resolving_to_loopback_is_blocked(pipelock, origin, dns):
    dns.set("internal.test", "127.0.0.1")
    p = pipelock(allow_loopback=False)
    assert_blocked(get_via(p, f"http://internal.test:{origin.port}/name"))
    origin.assert_untouched()
    assert dns.queried("internal.test"), "the proxy never asked the configured resolver"
    ev = p.wait_event("blocked", scanner="ssrf")
    assert ev["mitre_technique"] == "T1046"


def test_hostname_resolving_to_v6_loopback_is_blocked(pipelock, origin, dns):
    dns.set("internal6.test", "::1")
    p = pipelock(allow_loopback=False)
    assert_blocked(get_via(p, f"http://internal6.test:{origin.port}/name6"))
    origin.assert_untouched()


def test_hostname_resolving_to_loopback_allowed_with_ip_allowlist(pipelock, origin, dns):
    dns.set("internal.test", "127.0.0.1")
    p = pipelock(allow_loopback=True)
    resp = get_via(p, f"http://internal.test:{origin.port}/name-ok")
    assert resp.status == 200 and resp.body == b"ok GET /name-ok\n"
    origin.settle()
    assert origin.find("/name-ok")[0].header("host") == f"internal.test:{origin.port}"


def test_trusted_domains_exempts_by_name_only(pipelock, origin, dns):
    dns.set("trusted.test", "127.0.0.1")
    dns.set("untrusted.test", "127.0.0.1")
    p = pipelock({"trusted_domains": ["trusted.test", "127.0.0.1"]}, allow_loopback=False)
    ok = get_via(p, f"http://trusted.test:{origin.port}/trusted")
    assert ok.status == 200 and ok.body == b"ok GET /trusted\n"
    origin.reset()
    assert_blocked(get_via(p, f"http://untrusted.test:{origin.port}/untrusted"))
    # IP literals never match trusted_domains.
    assert_blocked(get_via(p, f"http://127.0.0.1:{origin.port}/literal"))
    origin.assert_untouched()


def test_empty_internal_list_disables_name_checks_but_keeps_literal_floor(pipelock, origin, dns):
    dns.set("named.test", "127.0.0.1")
    p = pipelock({"internal": []}, allow_loopback=False)
    ok = get_via(p, f"http://named.test:{origin.port}/named")
    assert ok.status == 200, f"internal: [] should disable the hostname SSRF check: {ok.text!r}"
    origin.reset()
    resp = get_via(p, f"http://127.0.0.1:{origin.port}/literal")
    assert resp.status == 403 and resp.text.startswith("blocked: "), resp.text
    origin.assert_untouched("core literal-IP floor")


def test_nxdomain_blocks_without_connecting(pipelock, origin, dns):
    p = pipelock(allow_loopback=True)
    resp = get_via(p, f"http://missing.test:{origin.port}/nx")
    assert resp.status in (403, 502), f"got {resp.status}: {resp.text!r}"
    origin.assert_untouched()
    assert dns.queried("missing.test"), "the proxy never asked the configured resolver"


def test_servfail_blocks_without_connecting(pipelock, origin, dns):
    dns.servfail("broken.test")
    p = pipelock(allow_loopback=True)
    resp = get_via(p, f"http://broken.test:{origin.port}/sf")
    assert resp.status in (403, 502), f"got {resp.status}: {resp.text!r}"
    origin.assert_untouched()


def test_name_with_one_internal_address_among_loopback_is_blocked(pipelock, origin, dns):
    """Mixed answers where every address is on this machine: 127.0.0.2 is allowlisted, 127.0.0.1
    is not; the name must be refused because one answer is internal and not exempt."""
    dns.set("mixed.test", "127.0.0.2", "127.0.0.1")
    p = pipelock({"ssrf": {"ip_allowlist": ["127.0.0.2/32"]}}, allow_loopback=False)
    assert_blocked(get_via(p, f"http://mixed.test:{origin.port}/mixed"))
    origin.assert_untouched()


# ------------------------------------------------------------------ namespaces: private ranges


@pytest.mark.netns
def test_private_address_in_namespace_is_blocked(pipelock, netns):
    ns = netns()
    lst = ns.listen()
    p = pipelock(allow_loopback=False)
    assert_blocked(get_via(p, f"http://{ns.ns_ip}:{lst.port}/private"))
    lst.assert_untouched("private 10.x target")
    resp, _, s = rawhttp.connect_tunnel(p.port, f"{ns.ns_ip}:{lst.port}")
    s.close()
    assert resp.status == 403
    lst.assert_untouched("CONNECT to private 10.x target")


@pytest.mark.netns
def test_private_address_in_namespace_allowed_with_ip_allowlist(pipelock, netns):
    """Proves the namespace setup works end to end, so the block above means something."""
    ns = netns()
    lst = ns.listen()
    p = pipelock({"ssrf": {"ip_allowlist": [ns.subnet]}}, allow_loopback=False)
    resp = get_via(p, f"http://{ns.ns_ip}:{lst.port}/private-ok")
    assert resp.status == 200 and resp.body == f"ns-ok {ns.ns_ip}\n".encode()
    assert lst.requests() == ["GET /private-ok HTTP/1.1"]


@pytest.mark.netns
def test_metadata_address_in_namespace_is_blocked(pipelock, netns):
    ns = netns(extra_addrs=[METADATA])
    lst = ns.listen(addrs=[METADATA])
    p = pipelock(allow_loopback=False)
    assert_blocked(get_via(p, f"http://{METADATA}:{lst.port}/latest/meta-data/"))
    lst.assert_untouched("169.254.169.254")
    p2 = pipelock({"ssrf": {"ip_allowlist": [f"{METADATA}/32"]}}, allow_loopback=False)
    resp = get_via(p2, f"http://{METADATA}:{lst.port}/allowed-md")
    assert resp.status == 200 and resp.body == f"ns-ok {METADATA}\n".encode()


@pytest.mark.netns
def test_metadata_address_in_decimal_spelling_is_blocked(pipelock, netns):
    ns = netns(extra_addrs=[METADATA])
    lst = ns.listen(addrs=[METADATA])
    p = pipelock(allow_loopback=False)
    for spelling in ("2852039166", "0xa9fea9fe", "0251.0376.0251.0376"):
        assert_blocked(get_via(p, f"http://{spelling}:{lst.port}/md"))
    lst.assert_untouched("alternative spellings of 169.254.169.254")


@pytest.mark.netns
def test_public_looking_name_reaches_namespace_listener(pipelock, netns, dns):
    """Control for the rebinding tests: a name with only the public-looking address works, so
    the blocks below are due to the internal answer and not to the namespace plumbing."""
    ns = netns(extra_addrs=[PUBLIC_LOOKING])
    lst = ns.listen(addrs=[PUBLIC_LOOKING])
    dns.set("public.test", PUBLIC_LOOKING)
    p = pipelock(allow_loopback=False)
    resp = get_via(p, f"http://public.test:{lst.port}/pub")
    assert resp.status == 200 and resp.body == f"ns-ok {PUBLIC_LOOKING}\n".encode()
    assert lst.requests() == ["GET /pub HTTP/1.1"]


@pytest.mark.netns
@pytest.mark.parametrize("order", ["public-first", "internal-first"])
def test_name_with_public_and_internal_addresses_is_blocked(pipelock, netns, dns, origin_factory,
                                                            order):
    ns = netns(extra_addrs=[PUBLIC_LOOKING])
    origin = origin_factory(name="loopback-origin")
    # Same port on both addresses, so a dial to either answer would be recorded.
    lst = ns.listen(addrs=[PUBLIC_LOOKING], port=origin.port)
    ips = [PUBLIC_LOOKING, "127.0.0.1"] if order == "public-first" else \
        ["127.0.0.1", PUBLIC_LOOKING]
    dns.set("rebind.test", *ips)
    p = pipelock(allow_loopback=False)
    assert_blocked(get_via(p, f"http://rebind.test:{origin.port}/rebind"))
    lst.assert_untouched("mixed public/internal answer")
    origin.assert_untouched("mixed public/internal answer")


@pytest.mark.netns
def test_answer_changing_after_the_check_cannot_redirect_the_dial(pipelock, netns, dns,
                                                                  origin_factory):
    """DNS rebinding: the first answer is public, later answers are 127.0.0.1. The proxy must
    connect to the address it checked (or refuse), never to loopback."""
    ns = netns(extra_addrs=[PUBLIC_LOOKING])
    origin = origin_factory(name="loopback-origin")
    lst = ns.listen(addrs=[PUBLIC_LOOKING], port=origin.port)
    dns.set_fn("flip.test", lambda qtype, n: ([PUBLIC_LOOKING] if n == 0 else ["127.0.0.1"])
               if qtype == 1 else [])
    p = pipelock(allow_loopback=False)
    resp = get_via(p, f"http://flip.test:{origin.port}/flip")
    assert resp.status in (200, 403, 502), resp.text
    if resp.status == 200:
        assert resp.body == f"ns-ok {PUBLIC_LOOKING}\n".encode()
        assert lst.requests() == ["GET /flip HTTP/1.1"]
    origin.assert_untouched("rebinding to loopback after the check")


# ------------------------------------------------------------------ blocklist and strict mode


def test_blocklisted_domain_is_blocked_before_dns(pipelock, origin, dns):
    for n in ("evil.test", "a.evil.test", "deep.sub.evil.test", "good.test"):
        dns.set(n, "127.0.0.1")
    p = pipelock({"fetch_proxy": {"monitoring": {"blocklist": ["*.evil.test"]}}})
    for host in ("a.evil.test", "deep.sub.evil.test", "evil.test", "A.EVIL.TEST"):
        resp = get_via(p, f"http://{host}:{origin.port}/bl")
        assert_blocked(resp, ssrf=False)
    origin.assert_untouched()
    for n in ("evil.test", "a.evil.test", "deep.sub.evil.test"):
        assert dns.queried(n) == [], f"blocklisted {n} was resolved"
    ev = p.wait_event("blocked", scanner="blocklist")
    assert ev["mitre_technique"] == "T1071.001" and ev["reason"]
    ok = get_via(p, f"http://good.test:{origin.port}/good")
    assert ok.status == 200 and ok.body == b"ok GET /good\n"


def test_strict_mode_allows_only_allowlisted_hosts(pipelock, origin, dns):
    dns.set("allowed.test", "127.0.0.1")
    dns.set("other.test", "127.0.0.1")
    p = pipelock({"mode": "strict", "api_allowlist": ["allowed.test", "*.api.test"]})
    ok = get_via(p, f"http://allowed.test:{origin.port}/strict-ok")
    assert ok.status == 200
    origin.reset()
    assert_blocked(get_via(p, f"http://other.test:{origin.port}/strict-no"), ssrf=False)
    assert_blocked(get_via(p, f"http://127.0.0.1:{origin.port}/strict-ip"), ssrf=False)
    origin.assert_untouched()
    assert dns.queried("other.test") == [], "a name outside the allowlist was resolved"
    ev = p.wait_event("blocked", scanner="allowlist")
    assert ev["mitre_technique"] == "T1071.001"
    resp, _, s = rawhttp.connect_tunnel(p.port, f"other.test:{origin.port}")
    s.close()
    assert resp.status == 403 and resp.text.startswith("CONNECT blocked:")
    origin.assert_untouched()


def test_blocked_event_has_all_fields(pipelock, origin):
    p = pipelock(allow_loopback=False)
    url = f"http://127.0.0.1:{origin.port}/fields"
    assert_blocked(rawhttp.proxy_get(p.port, url, headers=[("X-Pipelock-Agent", "agent-7")]))
    ev = p.wait_event("blocked", scanner="ssrf")
    for k in ("level", "time", "component", "event", "message", "method", "url", "client_ip",
              "request_id", "scanner", "reason", "agent", "mitre_technique"):
        assert k in ev, f"blocked event lacks {k}: {ev}"
    assert ev["level"] == "warn" and ev["component"] == "pipelock"
    assert ev["url"] == url and ev["agent"] == "agent-7"
