"""`pipelock generate firewall` rules, applied in a namespace: the agent's uid cannot reach a
fake internet host directly (TCP, UDP, DNS, ICMP, IPv4, IPv6, other loopback services), while
its requests through pipelock work and a secret through pipelock is blocked.

Two namespaces, both created here: "host" (loopback, pipelock, the agent's processes) and
"net" (the fake internet: HTTP, UDP and DNS listeners on 10.231.200.2 and fd00:231::2),
joined by a veth pair. Nothing touches the machine's own interfaces or rules; deleting the
namespaces at the end removes everything, rules included.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import netlab
from netlab import ICMP_PROBE, NET_SERVER, UDP_PROBE, delete_pair, make_pair, start_server
from pltest.util import GUARD, pipelock_bin

AGENT, PROXY = 64001, 64002
NET4, NET6 = "10.231.200.2", "fd00:231::2"
HOST4, HOST6 = "10.231.200.1", "fd00:231::1"

def sh(*args, check=True, **kw):
    return subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=GUARD,
                          check=check, **kw)


def usable():
    if os.geteuid() != 0:
        return "needs root (network namespaces and nftables)"
    for tool in ("ip", "nft", "setpriv", "curl"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    return None


@pytest.fixture
def lab():
    why = usable()
    if why:
        pytest.skip(why)
    tag = f"plfw{os.getpid() % 100000}"
    host, net = f"{tag}h", f"{tag}n"
    procs = []
    workdir = Path(tempfile.mkdtemp(prefix="plfw-"))
    os.chmod(workdir, 0o755)
    try:
        make_pair(tag, [f"{HOST4}/24", f"{HOST6}/64"], [f"{NET4}/24", f"{NET6}/64"])
        # Unprivileged ICMP echo sockets for everyone in "host", so that without the rules the
        # agent's echo request works (and the test of ICMP can fail). Per namespace.
        sh("ip", "netns", "exec", host, "/usr/bin/python3", "-c",
           "open('/proc/sys/net/ipv4/ping_group_range','w').write('0 2147483647')")
        procs.append(start_server(net, NET_SERVER, NET4, NET6))
        yield {"host": host, "net": net, "dir": workdir, "procs": procs}
    finally:
        for p in procs:
            p.kill()
            p.wait()
        delete_pair(host, net)
        shutil.rmtree(workdir, ignore_errors=True)


def as_uid(lab, uid, *cmd, check=False):
    return sh("ip", "netns", "exec", lab["host"], "setpriv", f"--reuid={uid}", f"--regid={uid}",
              "--clear-groups", *cmd, check=check)


def curl(lab, uid, url, proxy=None, six=False):
    args = ["curl", "-sS", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}"]
    args += ["-x", proxy] if proxy else ["--noproxy", "*"]
    if six:
        args.append("-6")
    r = as_uid(lab, uid, *args, url)
    return r.stdout.rsplit("\n", 1)[-1], r


def udp(lab, uid, addr, port):
    return as_uid(lab, uid, "/usr/bin/python3", "-c", UDP_PROBE, addr, port).stdout.strip()


def ping(lab, uid, addr):
    return as_uid(lab, uid, "/usr/bin/python3", "-c", ICMP_PROBE, addr).stdout.strip()


def start_pipelock(lab):
    cfg = lab["dir"] / "pipelock.yaml"
    cfg.write_text(
        "forward_proxy: {enabled: true}\n"
        "fetch_proxy: {listen: 127.0.0.1:8888}\n"
        "ssrf: {ip_allowlist: [10.231.200.0/24, fd00:231::/64]}\n"
        "dns: {resolvers: [127.0.0.1:9]}\n")
    os.chmod(cfg, 0o644)
    p = netlab.start_pipelock(lab["host"], PROXY, cfg)
    lab["procs"].append(p)
    return p


def apply_rules(lab, backend="nftables", extra=()):
    rules = lab["dir"] / f"rules.{backend}"
    r = sh(pipelock_bin(), "generate", "firewall", "--backend", backend, "--agent-user", AGENT,
           "--proxy-user", PROXY, "-o", rules, *extra)
    assert r.returncode == 0, r.stderr
    if backend == "nftables":
        sh("ip", "netns", "exec", lab["host"], "nft", "-f", rules)
    else:
        sh("ip", "netns", "exec", lab["host"], "sh", rules)
    return rules


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
def test_rules_leave_the_agent_only_pipelock(lab, backend):
    if backend == "iptables" and not (shutil.which("iptables") and shutil.which("ip6tables")):
        pytest.skip("iptables/ip6tables are not installed")
    start_pipelock(lab)
    # A loopback service that is not pipelock (a local forwarder would be a way out).
    other = subprocess.Popen(["ip", "netns", "exec", lab["host"], "/usr/bin/python3", "-m",
                              "http.server", "9999", "--bind", "127.0.0.1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lab["procs"].append(other)
    time.sleep(0.3)

    # Without the rules, every path works: the checks below can fail.
    assert curl(lab, AGENT, f"http://{NET4}:8080/")[0] == "200"
    assert curl(lab, AGENT, f"http://[{NET6}]:8080/", six=True)[0] == "200"
    assert udp(lab, AGENT, NET4, 5300) == "REPLY echo:x"
    assert ping(lab, AGENT, NET4) == "REPLY"
    assert ping(lab, AGENT, NET6) == "REPLY"
    assert curl(lab, AGENT, "http://127.0.0.1:9999/")[0] == "200"

    rules = apply_rules(lab, backend)
    if backend == "iptables":
        apply_rules(lab, backend)  # applying twice must not stack rules
        out = sh("ip", "netns", "exec", lab["host"], "iptables", "-S", "OUTPUT").stdout
        assert out.count("PIPELOCK-AGENT") == 1, out

    # Direct egress of the agent's uid: refused locally, on every protocol and family.
    code, r = curl(lab, AGENT, f"http://{NET4}:8080/")
    assert code == "000", r.stdout
    assert curl(lab, AGENT, f"http://[{NET6}]:8080/", six=True)[0] == "000"
    assert udp(lab, AGENT, NET4, 5300) == "EPERM"
    assert udp(lab, AGENT, NET6, 5300) == "EPERM"
    assert udp(lab, AGENT, NET4, 53) == "EPERM", "DNS straight to an outside resolver"
    assert ping(lab, AGENT, NET4) == "EPERM"
    # An ICMPv6 echo socket does not always see the drop's EPERM; it then waits in vain.
    assert ping(lab, AGENT, NET6) in ("EPERM", "ERR timed out")
    assert curl(lab, AGENT, "http://127.0.0.1:9999/")[0] == "000", "another loopback service"

    # Through pipelock: allowed traffic works, a secret is blocked.
    code, r = curl(lab, AGENT, f"http://{NET4}:8080/ok", proxy="http://127.0.0.1:8888")
    assert code == "200" and r.stdout.startswith("net-ok"), r.stdout + r.stderr
    code, r = curl(lab, AGENT, f"http://{NET4}:8080/?k=AKIAIOSFODNN7EXAMPLE",
                   proxy="http://127.0.0.1:8888")
    assert code == "403", r.stdout

    # Only the agent's uid is filtered: pipelock's own uid reaches the net (it is the exit).
    assert curl(lab, PROXY, f"http://{NET4}:8080/")[0] == "200"
    if backend == "nftables":
        out = sh("ip", "netns", "exec", lab["host"], "nft", "list", "table", "inet",
                 "pipelock_containment").stdout
        assert "counter packets 0 " not in out, "the drop counter did not move"
    else:
        sh("ip", "netns", "exec", lab["host"], "sh", rules, "remove")
        for t in ("iptables", "ip6tables"):
            out = sh("ip", "netns", "exec", lab["host"], t, "-S").stdout
            assert "PIPELOCK" not in out, out
        assert curl(lab, AGENT, f"http://{NET4}:8080/")[0] == "200"


def test_loopback_resolver_is_allowed_only_with_dns_port(lab):
    resolver = subprocess.Popen(["ip", "netns", "exec", lab["host"], "/usr/bin/python3", "-c",
                                 NET_SERVER.replace("8080", "8081"), "127.0.0.1", "::1"],
                                stdout=subprocess.PIPE, text=True)
    lab["procs"].append(resolver)
    assert resolver.stdout.readline().strip() == "READY"
    apply_rules(lab)
    assert udp(lab, AGENT, "127.0.0.1", 53) == "EPERM"
    apply_rules(lab, extra=("--dns-port", "53"))  # replaces the table whole
    assert udp(lab, AGENT, "127.0.0.1", 53) == "REPLY echo:x"
    assert udp(lab, AGENT, "127.0.0.1", 5300) == "EPERM", "only the resolver's port"
    assert udp(lab, AGENT, NET4, 53) == "EPERM"


def test_removal_leaves_nothing(lab):
    rules = apply_rules(lab)
    assert "nft delete table inet pipelock_containment" in rules.read_text()
    sh("ip", "netns", "exec", lab["host"], "nft", "delete", "table", "inet",
       "pipelock_containment")
    assert sh("ip", "netns", "exec", lab["host"], "nft", "list", "ruleset").stdout.strip() == ""
    assert curl(lab, AGENT, f"http://{NET4}:8080/")[0] == "200"
