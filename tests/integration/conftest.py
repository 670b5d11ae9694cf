"""Fixtures for pipelock's integration suite.

The suite starts the real binary ($PIPELOCK_BIN, default <repo>/build/pipelock) on an
ephemeral loopback port with a config written by each test, drives it with real clients (curl,
requests, httpx, node, git, raw sockets) against real origins on loopback, and asserts on
statuses, the bytes the origins received, and audit events.

Network rule: traffic goes only to loopback, or to addresses inside network namespaces that a
test creates (pltest/netns.py). Every proxy config points DNS at the suite's fake resolver on
127.0.0.1, so a name lookup never leaves the machine either.
"""

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pltest import netns as netns_mod  # noqa: E402
from pltest.dns import FakeDNS  # noqa: E402
from pltest.gitrepo import GIT_HTTP_BACKEND, cgi_route, make_bare_repo  # noqa: E402
from pltest.origin import RecordingOrigin  # noqa: E402
from pltest.proc import PipelockFactory  # noqa: E402
from pltest.tlscerts import make_pki  # noqa: E402


# ---------------------------------------------------------------- session-wide servers


@pytest.fixture(scope="session")
def fake_dns_server():
    d = FakeDNS().start()
    yield d
    d.stop()


@pytest.fixture
def dns(fake_dns_server):
    """The fake resolver, emptied before and after the test (unknown names → NXDOMAIN)."""
    fake_dns_server.clear()
    yield fake_dns_server
    fake_dns_server.clear()


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl CLI not installed")
    return make_pki(tmp_path_factory.mktemp("pki"))


# ---------------------------------------------------------------- per-test servers


@pytest.fixture
def origin():
    """A fresh recording HTTP origin on 127.0.0.1 and [::1] (same port)."""
    o = RecordingOrigin(name="origin").start()
    yield o
    o.stop()


@pytest.fixture
def origin_factory():
    made = []

    def make(**kw):
        o = RecordingOrigin(**kw).start()
        made.append(o)
        return o

    yield make
    for o in made:
        o.stop()


@pytest.fixture
def tls_origin(pki):
    """A recording HTTPS origin (certificate for localhost, origin.test, 127.0.0.1, ::1)."""
    o = RecordingOrigin(ssl_context=pki.server_context(), name="tls-origin").start()
    yield o
    o.stop()


@pytest.fixture(scope="session")
def git_repo(tmp_path_factory):
    if not Path(GIT_HTTP_BACKEND).exists():
        pytest.skip(f"{GIT_HTTP_BACKEND} not installed (package git)")
    root = tmp_path_factory.mktemp("gitrepo")
    home = tmp_path_factory.mktemp("githome")
    bare, head, files = make_bare_repo(root, home)
    return {"root": root, "bare": bare, "head": head, "files": files, "home": home}


@pytest.fixture
def git_origin(git_repo):
    """A recording origin serving /repo.git over git's smart HTTP protocol (CGI)."""
    o = RecordingOrigin(name="git-origin")
    o.route("/repo.git", cgi_route(git_repo["root"]))
    o.start()
    yield o
    o.stop()


# ---------------------------------------------------------------- the proxy


@pytest.fixture
def pipelock(tmp_path, fake_dns_server):
    """Factory: pipelock(overrides=None, allow_loopback=True, ...) → started Pipelock.

    The config is base_config() (forward proxy on, fake DNS, rate limit out of the way, loopback
    exempt from SSRF when allow_loopback) deep-merged with overrides. Every proxy is stopped at
    the end of the test with SIGTERM; exit code 0 and clean sanitizer output are asserted."""
    f = PipelockFactory(tmp_path, dns=fake_dns_server)
    yield f
    f.close()


# ---------------------------------------------------------------- network namespaces


@pytest.fixture(scope="session")
def netns_available():
    ok, why = netns_mod.can_use_netns()
    if not ok:
        pytest.skip(f"network-namespace tests skipped: {why}")
    return True


@pytest.fixture
def netns(netns_available, tmp_path):
    """Factory: netns(extra_addrs=()) → NetNS with a veth on an unused 10.231.K.0/30.

    Torn down at the end of the test (veth, routes and namespace)."""
    made = []

    def make(extra_addrs=()):
        n = netns_mod.NetNS(tmp_path, extra_addrs=extra_addrs)
        try:
            n.create()
        except RuntimeError as e:
            pytest.skip(f"could not set up a test namespace: {e}")
        made.append(n)
        return n

    yield make
    for n in made:
        n.teardown()


def pytest_configure(config):
    config.addinivalue_line("markers", "netns: needs root and network namespaces")
    config.addinivalue_line("markers", "slow: large transfers")


@pytest.fixture(scope="module")
def shared(tmp_path_factory, fake_dns_server):
    """shared(overrides=None, allow_loopback=True) -> a proxy started once per config for the
    module (starting one costs more than most tests). Tests that read audit events or depend
    on fresh state (rate limits) start their own with the `pipelock` fixture."""
    f = PipelockFactory(tmp_path_factory.mktemp("shared-pipelock"), dns=fake_dns_server)
    made = {}

    def get(overrides=None, allow_loopback=True):
        key = json.dumps([overrides, allow_loopback], sort_keys=True)
        if key not in made:
            made[key] = f(overrides, allow_loopback=allow_loopback)
        return made[key]

    yield get
    f.close()
