"""`pipelock verify-install`, run as the agent's uid inside a namespace lab: without
containment every direct probe gets an answer and fails; with the rules of `pipelock generate
firewall` applied, every direct probe is refused locally (EPERM) while the path through
pipelock still works.

Two namespaces, both created here: "host" (loopback, pipelock, the agent's processes) and
"net" (the fake internet on 10.233.200.2 and fd00:233::2: HTTP on 8080, TCP accept-and-close
on 80 and 443, UDP echo on 53, 443 and 5300), joined by a veth pair. Every verify-install run
happens inside a namespace created here, with --target/--target6 inside the lab, so no probe
can leave the machine. Deleting the namespaces removes everything, rules included.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pltest.proc import SANITIZER_MARKERS
import netlab
from netlab import delete_pair, make_pair, start_server
from pltest.util import GUARD, is_asan, pipelock_bin

AGENT, PROXY = 64021, 64022
NET4, NET6 = "10.233.200.2", "fd00:233::2"
HOST4, HOST6 = "10.233.200.1", "fd00:233::1"
LAB_URL = f"http://{NET4}:8080/"
RUN_GUARD = GUARD * (3 if is_asan() else 2)

PROBES = ["no_direct_http", "no_direct_https", "no_direct_dns", "no_direct_udp",
          "no_direct_ipv6"]
ROWS = ["config_valid", "proxy_health", "proxy_egress", "fetch_dlp", "forward_blocked",
        "scanning_dlp", "scanning_injection", "scanning_policy"] + PROBES
THROUGH = ["proxy_health", "proxy_egress", "fetch_dlp", "forward_blocked", "scanning_dlp",
           "scanning_injection"]

# The fake internet: argv = v4 v6 tcp-ports udp-ports (comma-separated). Everything is bound
# and listening before READY is printed.
SERVER = r'''
import http.server, socket, socketserver, sys, threading
v4, v6 = sys.argv[1], sys.argv[2]
tcp = [int(p) for p in sys.argv[3].split(",") if p]
udp = [int(p) for p in sys.argv[4].split(",") if p]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = b"net-ok\n"
        self.send_response(200); self.send_header("Content-Length", str(len(b)))
        self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
class S6(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
class S4(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
def udp_echo(s):
    while True:
        d, peer = s.recvfrom(2048); s.sendto(b"echo:" + d, peer)
def accept_close(s):
    while True:
        c, _ = s.accept(); c.close()
loops = []
for fam, a in ((socket.AF_INET, v4), (socket.AF_INET6, v6)):
    for p in udp:
        s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((a, p)); loops.append((udp_echo, s))
    for p in tcp:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, p)); s.listen(64); loops.append((accept_close, s))
web4, web6 = S4((v4, 8080), H), S6((v6, 8080), H)
for fn, s in loops:
    threading.Thread(target=fn, args=(s,), daemon=True).start()
threading.Thread(target=web6.serve_forever, daemon=True).start()
print("READY", flush=True)
web4.serve_forever()
'''

FULL = ("80,443", "53,443,5300")  # every direct probe gets an answer


def sh(*args, check=True, timeout=GUARD, **kw):
    return subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=timeout,
                          check=check, stdin=subprocess.DEVNULL, **kw)


def usable():
    if os.geteuid() != 0:
        return "needs root (network namespaces and nftables)"
    for tool in ("ip", "nft", "setpriv", "curl"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    return None


def _make_lab(server_ports):
    """Generator behind the lab fixtures: namespaces, veth, addresses, the fake internet."""
    why = usable()
    if why:
        pytest.skip(why)
    tag = f"plvi{os.getpid() % 100000}"
    host, net = f"{tag}h", f"{tag}n"
    procs = []
    workdir = Path(tempfile.mkdtemp(prefix="plvi-"))
    os.chmod(workdir, 0o755)
    out = workdir / "out"  # writable by the agent, for -o
    try:
        out.mkdir()
        os.chown(out, AGENT, AGENT)
        make_pair(tag, [f"{HOST4}/24", f"{HOST6}/64"], [f"{NET4}/24", f"{NET6}/64"])
        if server_ports is not None:
            procs.append(start_server(net, SERVER, NET4, NET6, *server_ports))
        yield {"host": host, "net": net, "dir": workdir, "out": out, "procs": procs}
    finally:
        for p in procs:
            p.kill()
            p.wait()
        delete_pair(host, net)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def lab():
    """The lab where every direct probe gets an answer (TCP 80/443, UDP 53/443)."""
    yield from _make_lab(FULL)


@pytest.fixture
def rst_lab():
    """The lab where "net" listens on no TCP port but 8080 and on UDP 53 only: TCP probes
    get a RST, the UDP datagram to 443 gets an ICMP port-unreachable."""
    yield from _make_lab(("", "53"))


@pytest.fixture
def bare_ns():
    """A namespace with only loopback (no route anywhere), for runs that must not probe."""
    why = usable()
    if why:
        pytest.skip(why)
    ns = f"plvi{os.getpid() % 100000}u"
    workdir = Path(tempfile.mkdtemp(prefix="plvi-u-"))
    os.chmod(workdir, 0o755)
    try:
        sh("ip", "netns", "add", ns)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield {"host": ns, "dir": workdir}
    finally:
        sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def start_pipelock(lab):
    cfg = lab["dir"] / "pipelock.yaml"
    cfg.write_text(
        "forward_proxy: {enabled: true}\n"
        "fetch_proxy: {listen: 127.0.0.1:8888}\n"
        "ssrf: {ip_allowlist: [10.233.200.0/24, fd00:233::/64]}\n"
        "dns: {resolvers: [127.0.0.1:9]}\n")
    os.chmod(cfg, 0o644)
    p = netlab.start_pipelock(lab["host"], PROXY, cfg, guard=RUN_GUARD)
    lab["procs"].append(p)
    return p


def stop_pipelock(lab, p):
    p.terminate()
    p.wait(timeout=RUN_GUARD)
    err = p.stderr.read()
    for m in SANITIZER_MARKERS:
        assert m not in err, f"sanitizer report in pipelock stderr:\n{err[-8000:]}"


def apply_rules(lab):
    rules = lab["dir"] / "rules.nftables"
    r = sh(pipelock_bin(), "generate", "firewall", "--backend", "nftables", "--agent-user",
           AGENT, "--proxy-user", PROXY, "-o", rules)
    assert r.returncode == 0, r.stderr
    sh("ip", "netns", "exec", lab["host"], "nft", "-f", rules)
    return rules


def verify(lab, *args, uid=AGENT):
    """pipelock verify-install as uid inside the lab's "host" namespace."""
    r = sh("ip", "netns", "exec", lab["host"], "setpriv", f"--reuid={uid}", f"--regid={uid}",
           "--clear-groups", pipelock_bin(), "verify-install", *args, check=False,
           timeout=RUN_GUARD)
    for m in SANITIZER_MARKERS:
        assert m not in r.stderr, f"sanitizer report in verify-install stderr:\n{r.stderr}"
    return r


def lab_args(*extra, proxy="127.0.0.1:8888", url=LAB_URL):
    a = ["--target", NET4, "--target6", NET6, "--proxy", proxy, "--timeout", "2000"]
    if url:
        a += ["--url", url]
    return [*a, *extra]


def report(r):
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {r.returncode}): {r.stdout!r}\n{r.stderr}")


def rows(rep):
    return {c["name"]: c for c in rep["checks"]}


TCP_PROBES = ["no_direct_http", "no_direct_https", "no_direct_ipv6"]
UDP_PROBES = ["no_direct_dns", "no_direct_udp"]
LOCAL_EPERM = "refused locally (a firewall dropped it) (Operation not permitted)"


def assert_contained(st, rep):
    """Every direct probe passes under the rules. A UDP send is refused by the kernel at once
    (EPERM). A TCP connect is not: Linux's tcp_connect() ignores the netfilter drop of the SYN
    (only ECONNREFUSED is returned), so the non-blocking connect just gets no answer within
    --timeout, which verify-install also (rightly) counts as a pass."""
    for name in PROBES:
        assert st[name]["status"] == "pass", show(rep)
    for name in UDP_PROBES:
        assert LOCAL_EPERM in st[name]["detail"], show(rep)
    for name in TCP_PROBES:
        d = st[name]["detail"]
        assert LOCAL_EPERM in d or "no answer in 2000 ms" in d, show(rep)


def show(rep):
    return "\n".join(f"{c['status']:>14}  {c['name']:<20} {c['detail']}" for c in rep["checks"])


# ------------------------------------------------------------------ without containment


def test_without_rules_every_direct_probe_fails(lab):
    p = start_pipelock(lab)
    r = verify(lab, *lab_args("--json"))
    rep = report(r)
    assert r.returncode == 1, show(rep) + r.stderr
    st = rows(rep)
    assert [c["name"] for c in rep["checks"]] == ROWS
    for name in PROBES:
        assert st[name]["status"] == "fail", show(rep)
    for name in THROUGH:
        assert st[name]["status"] == "pass", show(rep)
    assert st["config_valid"]["status"] == "pass"
    assert st["scanning_policy"]["status"] == "skip"
    # What answered, per probe.
    assert "CONNECTED" in st["no_direct_http"]["detail"]
    assert f"{NET4} port 80" in st["no_direct_http"]["detail"]
    assert "CONNECTED" in st["no_direct_https"]["detail"]
    assert "DNS query" in st["no_direct_dns"]["detail"]
    assert "ANSWERED" in st["no_direct_dns"]["detail"]
    assert "ANSWERED" in st["no_direct_udp"]["detail"]
    assert f"{NET6} port 443" in st["no_direct_ipv6"]["detail"]
    assert "forward proxy on" in st["proxy_health"]["detail"]
    assert rep["result"] == "fail"
    assert (rep["failed"], rep["passed"]) == (5, 7)
    assert rep["proxy"] == "http://127.0.0.1:8888"
    assert (rep["target"], rep["target6"], rep["uid"]) == (NET4, NET6, AGENT)
    stop_pipelock(lab, p)


def test_a_port_that_answers_with_rst_fails(rst_lab):
    """Nothing listens on 80/443 in "net" and nothing on UDP 443: a RST or a port-unreachable
    coming back still proves that packets leave directly."""
    r = verify(rst_lab, *lab_args("--json", url=None))
    rep = report(r)
    assert r.returncode == 1, show(rep) + r.stderr
    st = rows(rep)
    for name in ("no_direct_http", "no_direct_https", "no_direct_ipv6"):
        assert st[name]["status"] == "fail", show(rep)
        assert "connection refused" in st[name]["detail"], show(rep)
    assert st["no_direct_udp"]["status"] == "fail", show(rep)
    assert "port-unreachable" in st["no_direct_udp"]["detail"], show(rep)
    assert st["no_direct_dns"]["status"] == "fail", show(rep)
    assert "ANSWERED" in st["no_direct_dns"]["detail"]
    assert st["proxy_egress"]["status"] == "skip", "no --url given"


# ------------------------------------------------------------------ with the rules


def test_with_rules_every_direct_probe_passes(lab):
    p = start_pipelock(lab)
    apply_rules(lab)
    r = verify(lab, *lab_args("--json"))
    rep = report(r)
    assert r.returncode == 0, show(rep) + r.stderr
    st = rows(rep)
    assert_contained(st, rep)
    for name in THROUGH:
        assert st[name]["status"] == "pass", show(rep)
    assert "through the proxy" in st["proxy_egress"]["detail"]
    assert rep["result"] == "pass" and rep["failed"] == 0
    assert (rep["passed"], rep["skipped"], rep["warnings"]) == (12, 1, 0)

    # The text report: one row per check, PASS/FAIL labels, a summary line.
    t = verify(lab, *lab_args("--no-color"))
    assert t.returncode == 0, t.stdout + t.stderr
    assert "\033[" not in t.stdout
    lines = t.stdout.splitlines()
    assert lines[0].startswith("pipelock verify-install: proxy http://127.0.0.1:8888")
    assert f"(uid {AGENT})" in lines[0]
    found = {}
    for ln in lines:
        m = re.match(r"^  (PASS|FAIL|WARN|SKIP|N/A )  (\S+)\s+(.*)$", ln)
        if m:
            assert m.group(2) not in found, f"{m.group(2)} twice"
            found[m.group(2)] = m.group(1)
    assert list(found) == ROWS, t.stdout
    for name in PROBES + THROUGH + ["config_valid"]:
        assert found[name] == "PASS", t.stdout
    assert found["scanning_policy"] == "SKIP"
    assert "FAIL" not in found.values()
    m = re.search(r"^(\d+) passed, 0 failed, 0 warnings, 1 skipped$", t.stdout, re.M)
    assert m and m.group(1) == "12", t.stdout
    stop_pipelock(lab, p)


def test_tcp_probes_dropped_by_the_local_rules_are_not_blamed_on_the_path(lab):
    """Under the generated rules the agent's SYN is dropped right here, in "host"'s OUTPUT
    chain, but Linux reports no error for it (tcp_connect() ignores a netfilter drop of the
    SYN and retries), so the probe only sees a timeout. The detail must not claim the drop
    happened on the path (it did not), only that it happened here or on the path. The UDP
    rows of the same run do see the EPERM and say "refused locally"."""
    apply_rules(lab)
    rep = report(verify(lab, *lab_args("--json", url=None)))
    st = rows(rep)
    assert_contained(st, rep)
    for name in TCP_PROBES:
        d = st[name]["detail"]
        assert "not refused here" not in d, show(rep)
        assert "dropped here or on the path" in d, show(rep)


@pytest.mark.parametrize("port", [8888, 8889], ids=["proxy-port-closed", "other-port"])
def test_no_proxy_running(lab, port):
    """Rules applied, pipelock not started: the proxy checks fail (8888 is allowed by the
    rules and refused by the kernel; 8889 is dropped by the rules), the probes still pass."""
    apply_rules(lab)
    r = verify(lab, *lab_args("--json", proxy=f"127.0.0.1:{port}"))
    rep = report(r)
    assert r.returncode == 1, show(rep) + r.stderr
    st = rows(rep)
    for name in ("proxy_health", "proxy_egress", "fetch_dlp", "forward_blocked"):
        assert st[name]["status"] == "fail", show(rep)
    assert_contained(st, rep)
    assert st["scanning_dlp"]["status"] == "pass"
    assert rep["proxy"] == f"http://127.0.0.1:{port}"


def test_output_file(lab):
    p = start_pipelock(lab)
    apply_rules(lab)
    txt, js = lab["out"] / "report.txt", lab["out"] / "report.json"
    r = verify(lab, *lab_args("-o", txt))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "", "with -o nothing goes to stdout"
    text = txt.read_text()
    assert text.startswith("pipelock verify-install: ")
    assert "\033[" not in text, "no colours in a file"
    for name in ROWS:
        assert re.search(rf"^  (PASS|SKIP)  {name} ", text, re.M), text
    assert re.search(r"^12 passed, 0 failed, ", text, re.M), text

    r = verify(lab, *lab_args("--json", "--output", js))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""
    rep = json.loads(js.read_text())
    assert rep["result"] == "pass" and [c["name"] for c in rep["checks"]] == ROWS
    assert rep["uid"] == AGENT

    # A file that cannot be written: a usage error, nothing probed, nothing printed.
    r = verify(lab, *lab_args("-o", lab["dir"] / "no-such-dir" / "r.txt"))
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == "" and "cannot write" in r.stderr
    stop_pipelock(lab, p)


# ------------------------------------------------------------------ usage errors


BAD_ARGS = {
    "target-not-an-ip": (["--target", "not-an-ip"], "--target"),
    "target-v6": (["--target", "::1"], "--target"),
    "target6-v4": (["--target6", "1.2.3.4"], "--target6"),
    "target6-name": (["--target6", "localhost"], "--target6"),
    "timeout-too-small": (["--timeout", "5"], "--timeout"),
    "timeout-not-a-number": (["--timeout", "3s"], "--timeout"),
    "url-ftp": (["--url", "ftp://x"], "--url"),
    "positional": (["extra"], "unexpected argument"),
    "unknown-flag": (["--no-such-flag"], "Usage"),
    "proxy-without-port": (["--proxy", "127.0.0.1"], "proxy"),
    "proxy-port-zero": (["--proxy", "127.0.0.1:0"], "proxy"),
    "sign": (["--sign", "key"], "not implemented"),
}


@pytest.mark.parametrize("case", list(BAD_ARGS))
def test_usage_errors_exit_2_without_probing(bare_ns, case):
    """Run in a namespace with no route anywhere; the later arguments are valid lab targets,
    so only the bad one can be the reason. Nothing is printed on stdout: no check ran."""
    bad, msg = BAD_ARGS[case]
    args = ["--target", NET4, "--target6", NET6, "--proxy", "127.0.0.1:8888"]
    r = verify(bare_ns, *args, *bad)
    assert r.returncode == 2, f"exit {r.returncode}\n{r.stdout}{r.stderr}"
    assert r.stdout == "", r.stdout
    assert msg in r.stderr, r.stderr


@pytest.mark.parametrize("text", ["mode: [unclosed\n  x: {\n", "mode: enforce\n",
                                  "fetch_proxy: {listen: 8888}\n"],
                         ids=["yaml-syntax", "bad-mode", "bad-listen"])
def test_bad_config_exits_2(bare_ns, text):
    cfg = bare_ns["dir"] / "bad.yaml"
    cfg.write_text(text)
    os.chmod(cfg, 0o644)
    r = verify(bare_ns, "-c", cfg, "--target", NET4, "--target6", NET6)
    assert r.returncode == 2, f"exit {r.returncode}\n{r.stdout}{r.stderr}"
    assert r.stdout == ""
    assert "config" in r.stderr, r.stderr


def test_missing_config_exits_2(bare_ns):
    r = verify(bare_ns, "-c", bare_ns["dir"] / "nope.yaml", "--target", NET4, "--target6", NET6)
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.strip()


def test_help_exits_zero(bare_ns):
    r = verify(bare_ns, "--help")
    assert r.returncode == 0 and "Usage: pipelock verify-install" in r.stdout, r.stderr
