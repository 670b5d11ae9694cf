"""`pipelock generate firewall`: golden output per backend, bad input refused, and the
nftables output accepted by nft itself (checked with `nft -c` inside a throw-away network
namespace, so the host's rules are never touched). Enforcement is tested in tests/netns."""

import os
import shutil
import subprocess

import pytest

from pltest.util import GUARD, REPO_ROOT, check_golden, pipelock_bin

GOLDEN = REPO_ROOT / "tests" / "data" / "golden"
BASE = ["--agent-user", "cc-agent", "--proxy-user", "pipelock-proxy"]

CASES = {
    "firewall-nftables.txt": BASE,
    "firewall-nftables-dns.txt": BASE + ["--operator-user", "alice", "--dns-port", "53",
                                         "--proxy-port", "9888"],
    "firewall-nftables-uid.txt": ["--agent-user", "987", "--proxy-user", "988"],
    "firewall-iptables.txt": BASE + ["--backend", "iptables", "--dns-port", "53"],
    "firewall-pf.txt": BASE + ["--backend", "pf"],
    "firewall-ufw.txt": BASE + ["--backend", "ufw"],
    "firewall-help.txt": ["--help"],
}


def gen(*args):
    return subprocess.run([str(pipelock_bin()), "generate", "firewall", *map(str, args)],
                          capture_output=True, text=True, timeout=GUARD,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    r = gen(*CASES[name])
    assert r.returncode == 0, r.stderr
    check_golden(name, r.stdout)


@pytest.mark.parametrize("args, why", [
    ([], "required"),
    (["--agent-user", "a"], "required"),
    (["--agent-user", "same", "--proxy-user", "same"], "different users"),
    (["--agent-user", "a", "--proxy-user", "p", "--operator-user", "a"], "different users"),
    (["--agent-user", "a b", "--proxy-user", "p"], "users must be"),
    (["--agent-user", "a\";drop", "--proxy-user", "p"], "users must be"),
    (["--agent-user", "-x", "--proxy-user", "p"], "users must be"),
    (["--agent-user", "a", "--proxy-user", "p", "--backend", "windows"], "unknown backend"),
    (["--agent-user", "a", "--proxy-user", "p", "--dns-port", "0"], "port"),
    (["--agent-user", "a", "--proxy-user", "p", "--proxy-port", "65536"], "port"),
])
def test_bad_input_is_refused(args, why):
    r = gen(*args)
    assert r.returncode == 2, r.stdout
    assert why in r.stderr, r.stderr
    assert r.stdout == ""


def test_iptables_script_is_valid_shell():
    r = gen(*CASES["firewall-iptables.txt"])
    assert subprocess.run(["sh", "-n"], input=r.stdout, text=True).returncode == 0


def test_nft_accepts_the_rules(tmp_path):
    if os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("ip"):
        pytest.skip("needs root, nft and ip (a throw-away namespace for `nft -c`)")
    ns = f"plfwchk{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=GUARD)
    try:
        for name in (n for n in CASES if n.startswith("firewall-nftables")):
            f = tmp_path / name
            f.write_text(gen(*CASES[name]).stdout)
            # Numeric uids need no such user; names must exist for nft to resolve them.
            if "uid" not in name:
                continue
            r = subprocess.run(["ip", "netns", "exec", ns, "nft", "-c", "-f", str(f)],
                               capture_output=True, text=True, timeout=GUARD)
            assert r.returncode == 0, f"{name}: {r.stderr}"
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=GUARD)
