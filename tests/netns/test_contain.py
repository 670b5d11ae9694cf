"""`pipelock contain apply|remove|status`, run for real inside network namespaces.

What this proves:
- apply creates the agent's and the proxy's users, loads the table inet pipelock_containment
  (in the namespace it runs in, not in the machine's own ruleset), and writes the launcher,
  the sudoers line, the config (only when missing), the rules, the two units and the
  manifest with the documented modes;
- through the launcher the agent runs as its own uid with a clean environment, reaches the
  fake internet only through pipelock (a secret is blocked there), and cannot go out
  directly on TCP, UDP, DNS or ICMP, over IPv4 or IPv6; the proxy's user can;
- status reports all of it (exit 0 only when pipelock answers too);
- remove undoes exactly what apply did (users, their home and groups, files, directories,
  the table), keeps a config edited since apply, and records what it could not undo;
- bad input, --dry-run and a second apply change nothing they should not.

Two namespaces, both created here: "host" (loopback, pipelock, the agent) and "net" (the
fake internet: HTTP, UDP and DNS listeners on 10.232.200.2 and fd00:232::2), joined by a veth
pair. Every `pipelock contain` and every probe runs inside "host", so the nftables table
lands there; every file goes under a temporary --prefix. The users are real, with names
unique to this run (plc<pid>a/p/o/b); the fixture deletes them, their groups, their home
and their processes, and the namespaces, even when a test fails. The machine's own
ruleset is only read (to check the table did not land there), never changed.
"""

import grp
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from netlab import ICMP_PROBE, NET_SERVER, UDP_PROBE, delete_pair, make_pair, start_server
from pltest.util import GUARD, is_asan, pipelock_bin

NET4, NET6 = "10.232.200.2", "fd00:232::2"
HOST4, HOST6 = "10.232.200.1", "fd00:232::1"
TABLE = "pipelock_containment"
PORT = 8888
SECRET_URL = f"http://{NET4}:8080/?k=AKIAIOSFODNN7EXAMPLE"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer")
STARTUP_GUARD = GUARD * (3 if is_asan() else 1)

# What apply writes under the prefix (the config only when --config is not given).
LAUNCHER = "usr/local/bin/pipelock-launch"
SUDOERS = "etc/sudoers.d/pipelock-launch"
CONFIG = "etc/pipelock/pipelock.yaml"
RULES = "etc/pipelock/containment.nft"
UNIT_PROXY = "etc/systemd/system/pipelock.service"
UNIT_FW = "etc/systemd/system/pipelock-containment.service"
MANIFEST = "etc/pipelock/contain.json"

CURL = ("curl", "-sS", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}")


# ---------------------------------------------------------------- helpers

def sh(*args, check=False, env=None):
    return subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=GUARD,
                          check=check, env=env, cwd="/")


def usable():
    if os.geteuid() != 0:
        return "needs root (network namespaces, nftables, real users)"
    for tool in ("ip", "nft", "useradd", "userdel", "groupdel", "curl", "setpriv", "runuser",
                 "pkill", "getent"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    return None


def exists(kind, name):
    return sh("getent", kind, name).returncode == 0


def inns(lab, *cmd, env=None):
    """cmd inside the lab's "host" namespace."""
    return sh("ip", "netns", "exec", lab["host"], *cmd, env=env)


def contain(lab, *args, env=None):
    """`pipelock contain ARGS` inside the namespace; no sanitizer report allowed."""
    r = inns(lab, pipelock_bin(), "contain", *args, env=env)
    for m in SANITIZER_MARKERS:
        assert m not in r.stderr, f"sanitizer report from contain {args[:1]}:\n{r.stderr}"
    return r


def apply(lab, *extra, agent=None):
    return contain(lab, "apply", "--prefix", lab["prefix"], "--agent-user", agent or lab["A"],
                   "--proxy-user", lab["X"], "--binary", pipelock_bin(), "--no-start", *extra)


def remove(lab, *extra):
    return contain(lab, "remove", "--prefix", lab["prefix"], *extra)


def status(lab, as_json=False):
    r = contain(lab, "status", "--prefix", lab["prefix"], *(["--json"] if as_json else []))
    return r, (json.loads(r.stdout) if as_json else None)


def launch(lab, *cmd, env=None):
    """cmd through the installed launcher, called by root inside the namespace."""
    return inns(lab, lab["prefix"] / LAUNCHER, *cmd, env=env)


def as_uid(lab, uid, *cmd):
    return inns(lab, "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *cmd)


def code_of(r):
    return r.stdout.rsplit("\n", 1)[-1]


def ruleset(lab):
    r = inns(lab, "nft", "list", "ruleset")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def table(lab):
    """The listing of the table in the namespace, or None."""
    r = inns(lab, "nft", "list", "table", "inet", TABLE)
    return r.stdout if r.returncode == 0 else None


def host_table():
    """The machine's own table of that name (read only), as (returncode, listing)."""
    r = sh("nft", "list", "table", "inet", TABLE)
    return r.returncode, r.stdout


def tree(prefix):
    """Every path under the prefix, relative, as strings."""
    return sorted(str(p.relative_to(prefix)) for p in Path(prefix).rglob("*"))


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def manifest(lab):
    return json.loads((lab["prefix"] / MANIFEST).read_text())


def udp_probe(run, addr, port):
    return run("/usr/bin/python3", "-c", UDP_PROBE, addr, port).stdout.strip()


def ping_probe(run, addr):
    return run("/usr/bin/python3", "-c", ICMP_PROBE, addr).stdout.strip()


def assert_nothing_left(lab, users=None, keep=()):
    """No table, none of the users or their groups, no home, and only `keep` under the
    prefix."""
    assert ruleset(lab) == "", "the table (or another) is still loaded in the namespace"
    for u in users or (lab["A"], lab["X"]):
        assert not exists("passwd", u), f"user {u} is still there"
        assert not exists("group", u), f"group {u} is still there"
    assert not Path(f"/home/{lab['A']}").exists(), "the agent's home is still there"
    assert tree(lab["prefix"]) == sorted(keep)


@pytest.fixture
def lab():
    why = usable()
    if why:
        pytest.skip(why)
    tag = f"plc{os.getpid() % 100000}"
    names = {"A": f"{tag}a", "X": f"{tag}p", "O": f"{tag}o", "B": f"{tag}b"}
    taken = [n for n in names.values() if exists("passwd", n) or exists("group", n)]
    if taken:
        pytest.skip(f"users/groups {taken} already exist (left by another run?): not touched")
    host, net = f"{tag}h", f"{tag}n"
    procs = []
    workdir = Path(tempfile.mkdtemp(prefix="plc-"))
    prefix = Path(tempfile.mkdtemp(prefix="plc-prefix-"))
    # The agent runs the launcher under the prefix; the proxy's user reads configs in workdir.
    os.chmod(workdir, 0o755)
    os.chmod(prefix, 0o755)
    try:
        make_pair(tag, [f"{HOST4}/24", f"{HOST6}/64"], [f"{NET4}/24", f"{NET6}/64"])
        # Unprivileged ICMP echo sockets for everyone in "host", so that without the table the
        # agent's echo request works (and the test of ICMP can fail). Per namespace.
        sh("ip", "netns", "exec", host, "/usr/bin/python3", "-c",
           "open('/proc/sys/net/ipv4/ping_group_range','w').write('0 2147483647')", check=True)
        procs.append(start_server(net, NET_SERVER, NET4, NET6))
        yield {"host": host, "net": net, "dir": workdir, "prefix": prefix, "procs": procs,
               **names}
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for n in names.values():
            if exists("passwd", n):
                sh("pkill", "-KILL", "-u", n)
                sh("userdel", "-r", n)
            if exists("group", n):
                sh("groupdel", n)
            if Path(f"/home/{n}").exists():
                shutil.rmtree(f"/home/{n}", ignore_errors=True)
        delete_pair(host, net)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(prefix, ignore_errors=True)


def proxy_config(lab):
    """A config the proxy's user can read, that lets pipelock reach the fake net."""
    cfg = lab["dir"] / "pipelock.yaml"
    cfg.write_text(
        "forward_proxy: {enabled: true}\n"
        f"fetch_proxy: {{listen: 127.0.0.1:{PORT}}}\n"
        "ssrf: {ip_allowlist: [10.232.200.0/24, fd00:232::/64]}\n"
        "dns: {resolvers: [127.0.0.1:9]}\n")
    os.chmod(cfg, 0o644)
    return cfg


def start_pipelock(lab, cfg):
    """pipelock as the proxy's user in the namespace (setpriv execs it: one pid to stop)."""
    pw = pwd.getpwnam(lab["X"])
    errf = open(lab["dir"] / "pipelock.stderr", "w+")
    p = subprocess.Popen(["ip", "netns", "exec", lab["host"], "setpriv",
                          f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
                          str(pipelock_bin()), "run", "--config", str(cfg)],
                         stdout=subprocess.DEVNULL, stderr=errf, cwd="/")
    lab["procs"].append(p)
    deadline = time.monotonic() + STARTUP_GUARD
    while time.monotonic() < deadline:
        r = inns(lab, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                 f"http://127.0.0.1:{PORT}/health")
        if r.stdout == "200":
            return p, errf
        if p.poll() is not None:
            errf.seek(0)
            raise AssertionError(f"pipelock exited ({p.returncode}):\n{errf.read()}")
        time.sleep(0.05)
    raise AssertionError("pipelock did not answer /health in the namespace")


def stop_pipelock(p, errf):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(GUARD)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError("pipelock did not exit after SIGTERM")
    errf.seek(0)
    err = errf.read()
    errf.close()
    for m in SANITIZER_MARKERS:
        assert m not in err, f"sanitizer report from pipelock run:\n{err[-8000:]}"
    assert rc == 0, f"pipelock exited with {rc}:\n{err[-4000:]}"


# ---------------------------------------------------------------- tests

def test_full_cycle(lab):
    """apply -> the agent contained (through the launcher) -> status -> remove -> free."""
    P, A, X, O = lab["prefix"], lab["A"], lab["X"], lab["O"]
    cfg = proxy_config(lab)
    cfg_before = cfg.read_bytes()
    host_before = host_table()
    assert ruleset(lab) == "" and tree(P) == []
    assert not exists("passwd", A) and not exists("passwd", X)

    r = apply(lab, "--operator-user", O, "--sudoers", "--config", cfg)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Contained." in r.stdout

    # The users: real, distinct, not root; the agent has a home of its own.
    a, x = pwd.getpwnam(A), pwd.getpwnam(X)
    assert a.pw_uid != x.pw_uid and 0 not in (a.pw_uid, x.pw_uid)
    assert exists("group", A) and exists("group", X)
    assert a.pw_dir == f"/home/{A}" and os.stat(a.pw_dir).st_uid == a.pw_uid

    # The table: in the namespace, by the agent's uid; the machine's own ruleset untouched.
    listing = table(lab)
    assert listing is not None, "no table in the namespace"
    assert f"meta skuid {a.pw_uid} jump agent" in listing, listing
    assert host_table() == host_before, "the machine's own ruleset changed"
    if host_before[0] != 0:
        assert host_table()[0] != 0, "the table landed in the machine's own ruleset"

    # The files and their modes; apply did not write a config of its own (--config given).
    modes = {LAUNCHER: 0o755, SUDOERS: 0o440, RULES: 0o644, UNIT_PROXY: 0o644,
             UNIT_FW: 0o644, MANIFEST: 0o600}
    for rel, m in modes.items():
        assert (P / rel).is_file(), f"{rel} was not written"
        assert mode(P / rel) == m, f"{rel}: mode {mode(P / rel):04o}, expected {m:04o}"
    assert not (P / CONFIG).exists(), "apply wrote a config although --config was given"
    assert f"config {cfg} exists: used as it is" in r.stdout
    assert cfg.read_bytes() == cfg_before
    launcher = (P / LAUNCHER).read_text()
    assert f'"$(id -u)" != {a.pw_uid} ]' in launcher
    assert f"HTTPS_PROXY=http://127.0.0.1:{PORT}" in launcher
    unit = (P / UNIT_PROXY).read_text()
    assert f"User={X}\n" in unit and f"--config {cfg}\n" in unit
    assert f"nft -f {P / RULES}\n" in (P / UNIT_FW).read_text()
    m = manifest(lab)
    assert m["agent_user"] == A and m["agent_uid"] == a.pw_uid and m["proxy_user"] == X
    assert m["users_created"] == [X, A] and m["table"] == TABLE
    written = [f["path"] for f in m["files"]]
    assert sorted(written) == sorted(str(P / rel) for rel in modes if rel != MANIFEST)
    dirs = m["dirs_created"]
    assert str(P / "usr/local/bin") in dirs and str(P / "etc/pipelock") in dirs

    # The sudoers line: valid, and exactly the operator -> agent rule for the launcher.
    if shutil.which("visudo") and shutil.which("sudo"):
        v = inns(lab, "visudo", "-cf", P / SUDOERS)
        assert v.returncode == 0, v.stdout + v.stderr
        rules = [ln for ln in (P / SUDOERS).read_text().splitlines()
                 if ln.strip() and not ln.startswith(("#", "Defaults"))]
        assert rules == [f"{O} ALL=({A}) NOPASSWD: {P / LAUNCHER}"], rules
    else:
        print("sudo/visudo not installed: the sudoers file is not checked")

    # Status before pipelock runs: the table is there (nothing dropped yet), not contained.
    r, j = status(lab, as_json=True)
    assert r.returncode == 1, r.stdout
    assert j["table_loaded"] and not j["contained"] and not j["proxy"]["healthy"]
    assert j["dropped_packets"] == 0 and j["agent_user"]["uid"] == a.pw_uid
    assert "NOT fully contained." in status(lab)[0].stdout

    proc, errf = start_pipelock(lab, cfg)

    # The launcher runs the tool as the agent, with a clean environment.
    env = dict(os.environ, PLTEST_SECRET="pltest-marker-4711")
    assert "pltest-marker-4711" in inns(lab, "env", env=env).stdout  # the marker is there
    r = launch(lab, "id", "-u", env=env)
    assert r.returncode == 0 and r.stdout.strip() == str(a.pw_uid), r.stdout + r.stderr
    r = launch(lab, "env", env=env)
    lines = r.stdout.splitlines()
    assert f"HTTPS_PROXY=http://127.0.0.1:{PORT}" in lines, r.stdout + r.stderr
    assert f"http_proxy=http://127.0.0.1:{PORT}" in lines
    assert "pltest-marker-4711" not in r.stdout and "PLTEST_SECRET" not in r.stdout

    # Through pipelock (the launcher's proxy variables): allowed works, a secret is blocked.
    r = launch(lab, *CURL, f"http://{NET4}:8080/ok")
    assert code_of(r) == "200" and r.stdout.startswith("net-ok"), r.stdout + r.stderr
    r = launch(lab, *CURL, SECRET_URL)
    assert code_of(r) == "403", r.stdout + r.stderr

    # Directly: nothing gets out, on any protocol or family.
    r = launch(lab, *CURL, "--noproxy", "*", f"http://{NET4}:8080/")
    assert code_of(r) == "000", r.stdout + r.stderr
    r = launch(lab, *CURL, "--noproxy", "*", "-6", f"http://[{NET6}]:8080/")
    assert code_of(r) == "000", r.stdout + r.stderr
    run_agent = lambda *c: launch(lab, *c)  # noqa: E731
    assert udp_probe(run_agent, NET4, 5300) == "EPERM"
    assert udp_probe(run_agent, NET6, 5300) == "EPERM"
    assert udp_probe(run_agent, NET4, 53) == "EPERM", "DNS straight to an outside resolver"
    assert ping_probe(run_agent, NET4) == "EPERM"
    # An ICMPv6 echo socket does not always see the drop's EPERM; it then waits in vain.
    assert ping_probe(run_agent, NET6) in ("EPERM", "ERR timed out")

    # The proxy's user is the exit: it reaches the fake net directly.
    r = as_uid(lab, x.pw_uid, *CURL, "--noproxy", "*", f"http://{NET4}:8080/")
    assert code_of(r) == "200", r.stdout + r.stderr

    r, _ = status(lab)
    assert r.returncode == 0 and "Contained." in r.stdout, r.stdout + r.stderr
    r, j = status(lab, as_json=True)
    assert r.returncode == 0, r.stdout
    assert j["contained"] is True and j["table_loaded"] is True and j["manifest"] is True
    assert j["dropped_packets"] > 0, j
    assert j["proxy"] == {"port": PORT, "healthy": True}
    assert j["launcher"] == {"path": str(P / LAUNCHER), "exists": True}

    stop_pipelock(proc, errf)
    r = remove(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Removed." in r.stdout
    assert_nothing_left(lab)
    for p in written + dirs:
        assert not Path(p).exists(), f"{p} is still there"
    assert cfg.read_bytes() == cfg_before, "remove touched a config apply did not write"
    assert host_table() == host_before

    # Without the table the agent's old uid gets out directly: the table was what stopped it.
    run_old = lambda *c: as_uid(lab, a.pw_uid, *c)  # noqa: E731
    assert code_of(run_old(*CURL, "--noproxy", "*", f"http://{NET4}:8080/")) == "200"
    assert code_of(run_old(*CURL, "--noproxy", "*", "-6", f"http://[{NET6}]:8080/")) == "200"
    assert udp_probe(run_old, NET4, 5300) == "REPLY echo:x"
    assert udp_probe(run_old, NET4, 53) == "REPLY echo:x"
    assert ping_probe(run_old, NET4) == "REPLY"

    r, j = status(lab, as_json=True)
    assert r.returncode == 1 and j["manifest"] is False and j["table_loaded"] is False
    assert "Not applied." in status(lab)[0].stdout


def test_remove_keeps_an_edited_config(lab):
    """A config apply wrote and the operator edited since is kept; the rest goes."""
    P, X = lab["prefix"], lab["X"]
    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    c = P / CONFIG
    assert c.is_file(), "apply did not write a config although none existed"
    assert mode(c) == 0o640
    st = os.stat(c)
    assert st.st_uid == 0 and st.st_gid == grp.getgrnam(X).gr_gid, "config not root:<proxy>"
    text = c.read_text()
    assert f"listen: 127.0.0.1:{PORT}" in text
    c.write_text(text + "# edited by the operator\n")

    r = remove(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"keep {c}: changed since apply" in r.stdout
    assert c.read_text() == text + "# edited by the operator\n"
    assert_nothing_left(lab, keep=["etc", "etc/pipelock", CONFIG])


def test_ca_is_copied_for_the_agent_and_removed(lab):
    """--ca: the launcher points Node at a copy of the CA the agent can read, and the OpenSSL,
    Python and curl variables at the system roots plus that CA; remove deletes both files."""
    P = lab["prefix"]
    ca = lab["dir"] / "ca.pem"
    key = lab["dir"] / "ca-key.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out",
                        str(ca), "-days", "1", "-subj", "/CN=pipelock test CA"],
                       capture_output=True, text=True, timeout=GUARD)
    assert r.returncode == 0, r.stderr
    os.chmod(ca, 0o600)  # the operator's copy: the agent could not read it
    r = apply(lab, "--ca", str(ca))
    assert r.returncode == 0, r.stdout + r.stderr
    copy = P / "etc/pipelock/agent-ca.pem"
    combined = P / "etc/pipelock/combined-ca.pem"
    assert copy.read_text() == ca.read_text()
    assert mode(copy) == 0o644 and mode(combined) == 0o644
    both = combined.read_text()
    assert both.endswith(ca.read_text()), "the CA is not in the combined bundle"
    roots = Path("/etc/ssl/certs/ca-certificates.crt")
    if roots.exists():
        assert both.startswith(roots.read_text()[:200]), "the system roots are missing"
    launcher = (P / LAUNCHER).read_text()
    assert f"NODE_EXTRA_CA_CERTS={copy}" in launcher
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"):
        assert f"{var}={combined}" in launcher, var
    r = remove(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not copy.exists() and not combined.exists()
    assert_nothing_left(lab)


def test_failed_remove_is_recorded_and_can_be_finished(lab):
    """userdel refuses a user with a running process: remove exits 1, the manifest keeps
    that user, and a second remove (the process gone) finishes the job."""
    X = lab["X"]
    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    x = pwd.getpwnam(X)
    sleeper = subprocess.Popen(["ip", "netns", "exec", lab["host"], "setpriv",
                                f"--reuid={x.pw_uid}", f"--regid={x.pw_gid}", "--clear-groups",
                                "sleep", "60"], cwd="/")
    lab["procs"].append(sleeper)
    deadline = time.monotonic() + GUARD
    while True:  # until the process runs as the proxy's user (userdel looks for that)
        try:
            st = Path(f"/proc/{sleeper.pid}/status").read_text()
        except OSError:
            st = ""
        if f"Uid:\t{x.pw_uid}\t" in st:
            break
        assert sleeper.poll() is None and time.monotonic() < deadline, "sleeper did not start"
        time.sleep(0.02)

    r = remove(lab)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"userdel {X} failed" in r.stderr and "recorded in the manifest" in r.stderr
    assert exists("passwd", X)
    m = manifest(lab)
    assert m["users_created"] == [X], m
    assert (lab["prefix"] / MANIFEST).is_file()

    sleeper.kill()
    sleeper.wait()
    r = remove(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_nothing_left(lab)


@pytest.mark.parametrize("which", ["agent", "proxy"])
def test_root_is_refused_and_nothing_changes(lab, which):
    """root as the agent or the proxy is refused before anything changes (apply's own
    rule: "Validate every input before anything changes"): no user, no table, no file."""
    P = lab["prefix"]
    args = ["apply", "--prefix", P, "--binary", pipelock_bin(), "--no-start"]
    if which == "agent":
        args += ["--agent-user", "root", "--proxy-user", lab["X"]]
    else:
        args += ["--agent-user", lab["A"], "--proxy-user", "root"]
    r = contain(lab, *args)
    assert r.returncode != 0, r.stdout
    assert "root" in r.stderr
    assert table(lab) is None and ruleset(lab) == "", "a table was loaded"
    assert not exists("passwd", lab["X"]) and not exists("passwd", lab["A"]), \
        "apply created a user although its input was refused"
    assert tree(P) == [], f"apply wrote under the prefix although refused: {tree(P)}"


def test_bad_input_changes_nothing(lab):
    """Usage errors exit 2 with nothing done; a second agent while one is contained exits 1
    and leaves the first containment as it was."""
    P, A, X, B = lab["prefix"], lab["A"], lab["X"], lab["B"]
    cases = [
        ("--agent-user", "Bad;Name", "--proxy-user", X),
        ("--agent-user", A, "--proxy-user", A),
        ("--agent-user", A, "--proxy-user", X, "--proxy-port", "0"),
        ("--agent-user", A, "--proxy-user", X, "--prefix", "relative/dir"),
        ("--agent-user", A, "--proxy-user", X, "--sudoers"),  # no operator, no $SUDO_USER
    ]
    env = {k: v for k, v in os.environ.items() if k != "SUDO_USER"}
    for case in cases:
        r = contain(lab, "apply", "--prefix", P, "--binary", pipelock_bin(), "--no-start",
                    *case, env=env)
        assert r.returncode == 2, (case, r.stdout, r.stderr)
        assert r.stderr.startswith("pipelock: contain"), (case, r.stderr)
        assert not exists("passwd", A) and not exists("passwd", X), case
        assert ruleset(lab) == "", case
        assert tree(P) == [], case

    # A second agent while one is contained: refused, the first containment intact.
    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    before = {rel: (P / rel).read_bytes() for rel in tree(P) if (P / rel).is_file()}
    listing = table(lab)
    r = apply(lab, agent=B)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "contain remove" in r.stderr and A in r.stderr
    assert not exists("passwd", B), "the second agent's user was created"
    assert table(lab) == listing
    assert {rel: (P / rel).read_bytes() for rel in tree(P) if (P / rel).is_file()} == before
    assert exists("passwd", A) and exists("passwd", X)


def test_dry_run_changes_nothing(lab):
    """apply --dry-run and remove --dry-run print their plan ("would: ...") and change nothing."""
    P, A, X, O = lab["prefix"], lab["A"], lab["X"], lab["O"]
    r = apply(lab, "--dry-run", "--sudoers", "--operator-user", O)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines[0].startswith("Planning containment: agent"), lines
    assert all(ln.startswith("would: ") for ln in lines[1:]), r.stdout
    assert f"would: create system user {X}" in lines
    assert any(ln.startswith(f"would: create system user {A} ") for ln in lines), lines
    assert f"would: write {P / LAUNCHER} (mode 0755)" in lines
    assert any(ln.startswith("would: nft -f ") for ln in lines), lines
    assert not exists("passwd", A) and not exists("passwd", X)
    assert not exists("group", A) and not exists("group", X)
    assert ruleset(lab) == "" and tree(P) == []
    assert not Path(f"/home/{A}").exists()

    # remove --dry-run after a real apply: the plan is printed, nothing is undone.
    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    files = {rel: ((P / rel).read_bytes(), mode(P / rel)) for rel in tree(P)
             if (P / rel).is_file()}
    listing = table(lab)
    r = remove(lab, "--dry-run")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines[0] == f"Planning removal of containment of {A}", lines
    assert all(ln.startswith("would: ") for ln in lines[1:]), r.stdout
    assert f"would: delete user {A} and its home" in lines
    assert {rel: ((P / rel).read_bytes(), mode(P / rel)) for rel in tree(P)
            if (P / rel).is_file()} == files
    assert table(lab) == listing
    assert exists("passwd", A) and exists("passwd", X) and Path(f"/home/{A}").is_dir()


def test_apply_twice_is_idempotent(lab):
    """A second apply with the same users reuses them and replaces the table whole."""
    A, X = lab["A"], lab["X"]
    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    uids = (pwd.getpwnam(A).pw_uid, pwd.getpwnam(X).pw_uid)
    first = manifest(lab)

    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"  user {X} exists (uid {uids[1]}): used as it is" in r.stdout
    assert f"  user {A} exists (uid {uids[0]}): used as it is" in r.stdout
    assert (pwd.getpwnam(A).pw_uid, pwd.getpwnam(X).pw_uid) == uids

    listing = table(lab)
    assert len(re.findall(r"counter packets \d+ bytes \d+ drop", listing)) == 1, listing
    assert listing.count("meta skuid") == 1, listing
    assert ruleset(lab).count(f"table inet {TABLE}") == 1
    passwd = Path("/etc/passwd").read_text().splitlines()
    for u in (A, X):
        assert sum(ln.startswith(f"{u}:") for ln in passwd) == 1, u
    m = manifest(lab)
    assert m["users_created"] == [X, A], m
    assert len(set(m["dirs_created"])) == len(m["dirs_created"]) and \
        sorted(m["dirs_created"]) == sorted(first["dirs_created"])
    paths = [f["path"] for f in m["files"]]
    assert len(set(paths)) == len(paths) and sorted(paths) == \
        sorted(f["path"] for f in first["files"])

    # And it all goes away in one remove, the config (unchanged) included.
    r = remove(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_nothing_left(lab)


def test_remove_deletes_only_the_users_it_created(lab):
    """A user that existed before apply, and any user with --keep-users, survives remove."""
    A, X = lab["A"], lab["X"]
    # The agent's user exists before apply (made here, not by apply): remove must keep it.
    sh("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/bin/false", A,
       check=True)
    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"user {A} exists" in r.stdout
    assert manifest(lab)["users_created"] == [X]

    r = remove(lab, "--keep-users")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"keep user {X} (--keep-users)" in r.stdout
    assert exists("passwd", A) and exists("passwd", X), "--keep-users deleted a user"
    assert ruleset(lab) == "" and tree(lab["prefix"]) == []

    # Applied again (X now exists too, so apply creates nothing): remove deletes no user.
    r = apply(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert manifest(lab).get("users_created", []) == []
    r = remove(lab)
    assert r.returncode == 0, r.stdout + r.stderr
    assert exists("passwd", A) and exists("passwd", X), "remove deleted a user it did not create"
    assert ruleset(lab) == "" and tree(lab["prefix"]) == []
