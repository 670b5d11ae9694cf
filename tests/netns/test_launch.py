"""`pipelock launch`, run for real: one agent behind its own pipelock in its own network
namespace, and nothing left behind when it exits.

What this proves:
- the agent runs as --user (never root, NoNewPrivs set), keeps the caller's environment with
  HOME/USER its own and the proxy variables pointing at pipelock on the host end of the veth;
- through that pipelock an allowlisted origin answers, another origin and a secret are
  refused (403); directly, nothing is reachable: no route, no resolver, no IPv6, and the host
  end of the veth answers only on pipelock's port;
- the exit status is the agent's; the closing line counts the blocked requests; --log keeps
  pipelock's JSON log;
- at the end (the agent's exit, or SIGTERM to the launcher) the namespace, the veth pair, the
  nftables table, the temporary directory and pipelock are all gone;
- the allowlist is the preset ∪ the manifest (JSON with bottles, or YAML) ∪ --allow,
  deduplicated, each host shown with its source; --dry-run prints the config and creates
  nothing; bad input exits 2 and creates nothing.

The lab: two namespaces created here, "host" and "net", joined by a veth pair (10.236.200.1
and 10.236.200.2/.3). "net" is the fake internet (HTTP on 8080 on both addresses, UDP echo on
53 and 5300). Every `pipelock launch` runs inside `ip netns exec <host>`, so its nftables
table, its veth pair and its routes land in the lab, never in the machine's own namespace
(`ip netns add` still registers the launcher's namespace name under /run/netns: the fixture
deletes any such name it can attribute to a run here and checks none is left). The agent's
user is real, with a name unique to this run (pll<pid>u); the fixture deletes it and its
processes.
"""

import json
import os
import pty
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from netlab import delete_pair, make_pair, start_server
from pltest.util import GUARD, is_asan, pipelock_bin

LAB = "10.236.200"
HOST4, NET4, OTHER4 = f"{LAB}.1", f"{LAB}.2", f"{LAB}.3"
SECRET = "AKIAIOSFODNN7EXAMPLE"
STARTUP = GUARD * (3 if is_asan() else 1)
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "Sanitizer has encountered")
CLAUDE_HOSTS = ["api.anthropic.com", "statsig.anthropic.com", "sentry.io", "claude.ai",
                "platform.claude.com", "downloads.claude.ai", "raw.githubusercontent.com"]
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY",
              "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

SERVER = r'''
import http.server, socket, socketserver, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = ("net-ok " + self.server.server_address[0] + "\n").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(b)))
        self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
class S4(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
def udp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, port))
    while True:
        d, peer = s.recvfrom(2048); s.sendto(b"echo:" + d, peer)
for a in sys.argv[1:]:
    for p in (53, 5300):
        threading.Thread(target=udp, args=(a, p), daemon=True).start()
    if a != sys.argv[1]:
        threading.Thread(target=S4((a, 8080), H).serve_forever, daemon=True).start()
print("READY", flush=True)
S4((sys.argv[1], 8080), H).serve_forever()
'''

# A TCP and a UDP listener on every address of the lab's "host" namespace (the veth's host end
# included, once it exists): without the launcher's table the agent would reach them.
HOST_SERVICES = r'''
import socket, threading
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", 9091)); t.listen(16)
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5300))
    while True:
        d, peer = s.recvfrom(2048); s.sendto(b"echo:" + d, peer)
threading.Thread(target=udp, daemon=True).start()
print("READY", flush=True)
while True:
    c, _ = t.accept(); c.close()
'''

UDP_PROBE = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
try:
    s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
    print("REPLY", s.recvfrom(100)[0].decode())
except PermissionError:
    print("EPERM")
except OSError as e:
    print("ERR", e)
'''

TCP_PROBE = r'''
import socket, sys
s = socket.socket(); s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("CONNECTED")
except OSError as e:
    print("ERR", e)
'''

RESOLVE_PROBE = r'''
import socket
try:
    print("RESOLVED", socket.getaddrinfo("example.com", 80)[0][4])
except OSError as e:
    print("ERR", e)
'''


# ---------------------------------------------------------------- helpers

def sh(*args, check=False, timeout=GUARD, **kw):
    return subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=timeout,
                          check=check, **kw)


def usable():
    if os.geteuid() != 0:
        return "needs root (network namespaces, nftables, a real user)"
    for tool in ("ip", "nft", "curl", "useradd", "userdel", "groupdel"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if not Path("/usr/bin/python3").exists():
        return "/usr/bin/python3 is missing"
    return None


def exists_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def exists_group(name):
    return sh("getent", "group", name).returncode == 0


def proc_ids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def cmdline(pid):
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]]


def ppid(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def children(pid):
    return [p for p in proc_ids() if ppid(p) == pid]


def uid_of(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def pids_of_uid(uid):
    return [p for p in proc_ids() if uid_of(p) == uid]


def kill_uid(uid):
    """SIGKILL every process of this uid, one pid at a time, until none is left (bounded)."""
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        pids = pids_of_uid(uid)
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def proxy_child(lab, launch_pid):
    """pipelock's own process, started by the launcher: (pid, its config path) or None."""
    for k in children(launch_pid):
        a = cmdline(k)
        if a[:3] == ["pipelock", "run", "--config"] and len(a) == 4:
            if a[3] not in lab["cfgs"]:
                lab["cfgs"].append(a[3])
            return k, a[3]
    return None


def tmp_dirs():
    return set(str(p) for p in Path("/tmp").glob("pipelock-launch-*"))


def names(pid):
    """What a launcher of this pid calls its namespace, veth pair and table."""
    return {"ns": f"pllaunch{pid}", "veth_host": f"plh{pid % 100000000}",
            "veth_agent": f"pla{pid % 100000000}", "table": f"pipelock_launch_{pid}"}


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(extra)
    return env


def plan_hosts(stderr):
    """{host: source} of the plan's allowlist, and the host count it announces."""
    m = re.search(r"allowlist: (\d+) hosts \(preset (\S+)\)", stderr)
    assert m, stderr
    hosts = {}
    for line in stderr[m.end():].splitlines()[1:]:
        f = line.split()
        if not line.startswith("    ") or len(f) != 2:
            break
        assert f[0] not in hosts, f"{f[0]} listed twice:\n{stderr}"
        hosts[f[0]] = f[1]
    return hosts, int(m.group(1)), m.group(2)


def dry_config(stdout):
    assert stdout.startswith("--- config ---\n"), stdout
    return yaml.safe_load(stdout.split("\n", 1)[1])


# ---------------------------------------------------------------- the lab

@pytest.fixture(scope="module")
def lab():
    why = usable()
    if why:
        pytest.skip(why)
    tag = f"pll{os.getpid() % 100000}"
    user = f"{tag}u"
    if exists_user(user) or exists_group(user):
        pytest.skip(f"user/group {user} already exists (left by another run?): not touched")
    host, net = f"{tag}h", f"{tag}n"
    procs = []
    launched = []  # launcher pids: their namespace, veth and table names follow from them
    cfgs = []  # the config paths of the pipelocks started by those launchers
    workdir = Path(tempfile.mkdtemp(prefix="pll-"))
    os.chmod(workdir, 0o755)
    out = workdir / "out"  # where the agent writes (it is not root)
    out.mkdir()
    os.chmod(out, 0o1777)
    made_user = False
    try:
        sh("useradd", "-M", "-U", "-s", "/bin/sh", user, check=True)
        made_user = True
        make_pair(tag, [f"{HOST4}/24"], [f"{NET4}/24", f"{OTHER4}/24"])
        procs.append(start_server(net, SERVER, NET4, OTHER4))
        procs.append(start_server(host, HOST_SERVICES))
        # The lab works without any launcher: the checks of the agent's isolation can fail.
        r = sh("ip", "netns", "exec", host, "curl", "-sS", "--noproxy", "*", "--max-time", "5",
               "-o", "/dev/null", "-w", "%{http_code}", f"http://{OTHER4}:8080/")
        assert r.stdout == "200", r.stderr
        r = sh("ip", "netns", "exec", host, "/usr/bin/python3", "-c", UDP_PROBE, NET4, "53")
        assert r.stdout.strip() == "REPLY echo:x", r.stdout + r.stderr
        base = workdir / "base.yaml"
        base.write_text(f"ssrf: {{ip_allowlist: [{LAB}.0/24]}}\n"
                        "dns: {resolvers: [127.0.0.1:9]}\n")
        os.chmod(base, 0o644)
        for name, text in (("udp.py", UDP_PROBE), ("tcp.py", TCP_PROBE),
                           ("resolve.py", RESOLVE_PROBE)):
            (workdir / name).write_text(text)
        yield {"host": host, "net": net, "dir": workdir, "out": out, "procs": procs,
               "user": user, "uid": pwd.getpwnam(user).pw_uid, "base": base,
               "launched": launched, "cfgs": cfgs}
    finally:
        leftovers = []
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        if made_user:
            kill_uid(pwd.getpwnam(user).pw_uid)
        for cfg in cfgs:  # a pipelock of a run here, still running
            for k in proc_ids():
                if cfg in cmdline(k):
                    leftovers.append(f"pipelock {k}")
                    os.kill(k, signal.SIGKILL)
        for pid in launched:
            n = names(pid)
            if Path(f"/run/netns/{n['ns']}").exists():
                leftovers.append(n["ns"])
                sh("ip", "netns", "del", n["ns"])
        if made_user:
            sh("userdel", user)
        if exists_group(user):
            sh("groupdel", user)
        delete_pair(host, net)
        shutil.rmtree(workdir, ignore_errors=True)
        left = [n for n in (names(pid)["ns"] for pid in launched)
                if Path(f"/run/netns/{n}").exists()]
        assert not left, f"namespaces left after the cleanup: {left}"
        assert not leftovers, f"left by the runs (deleted now): {leftovers}"


def launch_argv(lab, *args):
    return ["ip", "netns", "exec", lab["host"], str(pipelock_bin()), "launch", *map(str, args)]


def start(lab, *args, env=None, stdin=subprocess.DEVNULL):
    """Popen a launcher in the lab's host namespace (`ip netns exec` execs, so the pid is the
    launcher's own, and with it the names of its namespace, veth pair and table)."""
    p = subprocess.Popen(launch_argv(lab, *args), stdin=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env or clean_env())
    lab["launched"].append(p.pid)
    return p


def run(lab, *args, env=None, timeout=None):
    before = tmp_dirs()
    p = start(lab, *args, env=env)
    try:
        out, err = p.communicate(timeout=timeout or STARTUP * 2)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError(f"launch did not exit:\n{err}")
    return p.pid, p.returncode, out, err, before


def check_sanitizers(*texts):
    for t in texts:
        for m in SANITIZER_MARKERS:
            assert m not in t, t


def assert_nothing_left(lab, pid, before_tmp, cfg=None, uid=None):
    """Nothing of the launcher `pid` is left: namespace, veth, table, temp dir, processes."""
    n = names(pid)
    assert not Path(f"/run/netns/{n['ns']}").exists(), f"namespace {n['ns']} left"
    assert n["ns"] not in sh("ip", "netns", "list").stdout.split()
    links = sh("ip", "netns", "exec", lab["host"], "ip", "-o", "link", "show").stdout
    assert not re.search(r"\bpl[ha]\d+", links), links
    tables = sh("ip", "netns", "exec", lab["host"], "nft", "list", "tables", check=True).stdout
    assert "pipelock_launch_" not in tables, tables
    # Nothing landed in the machine's own namespace either (only read here).
    assert n["table"] not in sh("nft", "list", "tables").stdout
    assert sh("ip", "link", "show", n["veth_host"]).returncode != 0
    new = tmp_dirs() - before_tmp
    assert not new, f"temporary directories left: {new}"
    if cfg:
        assert not Path(cfg).parent.exists(), cfg
        stray = [k for k in proc_ids() if cfg in cmdline(k)]
        assert not stray, f"pipelock of the run still running: {stray}"
    stray = [k for k in proc_ids() if ppid(k) == pid]
    assert not stray, f"children of the launcher still running: {stray}"
    if uid is not None:
        assert not pids_of_uid(uid), "a process of the agent's user is left"


# ---------------------------------------------------------------- 1, 2: a full run

AGENT_SCRIPT = r'''#!/bin/sh
# Wait (bounded) until the test has looked at the running launch from outside.
i=0
while [ ! -e "$GO" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
hostip=${HTTPS_PROXY#http://}; hostip=${hostip%:8888}
code() { curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$@" 2>/dev/null; }
echo "uid=$(id -u)"
echo "home=$HOME"
echo "user=$USER"
echo "marker=$PLL_MARKER"
echo "HTTPS_PROXY=$HTTPS_PROXY"
echo "https_proxy=$https_proxy"
echo "HTTP_PROXY=$HTTP_PROXY"
echo "allowed=$(code http://NET4:8080/)"
echo "other=$(code http://OTHER4:8080/)"
echo "secret=$(code 'http://NET4:8080/?k=SECRET')"
echo "direct=$(code --noproxy '*' --connect-timeout 3 http://NET4:8080/)"
echo "udp53=$(/usr/bin/python3 DIR/udp.py NET4 53)"
echo "udphost=$(/usr/bin/python3 DIR/udp.py $hostip 5300)"
echo "tcpproxy=$(/usr/bin/python3 DIR/tcp.py $hostip 8888)"
echo "tcphost=$(/usr/bin/python3 DIR/tcp.py $hostip 9091)"
echo "tcplab=$(/usr/bin/python3 DIR/tcp.py HOST4 9091)"
echo "resolve=$(/usr/bin/python3 DIR/resolve.py)"
echo "disable_ipv6=$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
echo "ipv6addr=$(IP -6 -o addr show | tr '\n' ';')"
echo "routes=$(IP -4 route show | tr '\n' ';')"
echo "default=$(IP -4 route show default)"
echo "done"
exit 7
'''


@pytest.fixture(scope="module")
def full_run(lab):
    d = lab["dir"]
    script = d / "agent.sh"
    script.write_text(AGENT_SCRIPT.replace("NET4", NET4).replace("OTHER4", OTHER4)
                      .replace("HOST4", HOST4).replace("SECRET", SECRET)
                      .replace("DIR", str(d)).replace("IP ", shutil.which("ip") + " "))
    os.chmod(script, 0o755)
    go = lab["out"] / "go-full"
    log = d / "full.log"
    env = clean_env(PLL_MARKER="marker-4711", GO=str(go))
    before = tmp_dirs()
    p = start(lab, "--yes", "--preset", "generic", "--allow", NET4, "--config", lab["base"],
              "--user", lab["user"], "--log", log, "--", str(script), env=env)
    n = names(p.pid)
    seen = {}
    try:
        # While the agent waits: look at what the launch made, from outside.
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline and p.poll() is None:
            found = proxy_child(lab, p.pid)
            if found and Path(f"/run/netns/{n['ns']}").exists():
                seen["proxy"], seen["cfg"] = found
                break
            time.sleep(0.02)
        if "cfg" in seen:
            seen["proxy_uid"] = uid_of(seen["proxy"])
            seen["tables"] = sh("ip", "netns", "exec", lab["host"], "nft", "list", "tables").stdout
            seen["root_tables"] = sh("nft", "list", "tables").stdout
            seen["host_link6"] = sh("ip", "netns", "exec", lab["host"], "ip", "-6", "-o", "addr",
                                    "show", "dev", n["veth_host"]).stdout
            seen["host_link"] = sh("ip", "netns", "exec", lab["host"], "ip", "-o", "link", "show",
                                   "dev", n["veth_host"]).returncode
            seen["root_link"] = sh("ip", "link", "show", n["veth_host"]).returncode
        go.touch()
        out, err = p.communicate(timeout=STARTUP * 3)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        pytest.fail(f"launch did not exit:\n{err}")
    finally:
        go.touch()
    results = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        results.setdefault(k, v)
    return {"pid": p.pid, "rc": p.returncode, "out": out, "err": err, "res": results,
            "seen": seen, "log": log, "before": before, "names": n}


def test_full_run(lab, full_run):
    r, res, err = full_run, full_run["res"], full_run["err"]
    assert "done" in r["out"], f"the agent did not run to its end:\n{r['out']}\n{err}"
    check_sanitizers(err)
    # The plan first.
    assert f"namespace {r['names']['ns']}:" in err, err
    assert re.search(rf"^    {re.escape(NET4)} +--allow$", err, re.M), err
    hosts, count, preset = plan_hosts(err)
    assert hosts == {NET4: "--allow"} and count == 1 and preset == "generic"
    assert f"as user:   {lab['user']} (uid {lab['uid']}); pipelock as nobody" in err

    # While it ran: the table and the veth in the lab's host namespace, none in the machine's.
    seen = r["seen"]
    assert "cfg" in seen, f"pipelock of the run was never seen running:\n{err}"
    assert seen["proxy_uid"] == pwd.getpwnam("nobody").pw_uid
    assert f"table inet {r['names']['table']}" in seen["tables"], seen["tables"]
    assert r["names"]["table"] not in seen["root_tables"]
    assert seen["host_link"] == 0 and seen["root_link"] != 0
    assert seen["host_link6"].strip() == "", "IPv6 on the veth's host end"

    # The agent: its user, the caller's environment, the proxy variables.
    assert res["uid"] == str(lab["uid"])
    assert res["user"] == lab["user"]
    assert res["home"] == pwd.getpwnam(lab["user"]).pw_dir
    assert res["marker"] == "marker-4711", "the caller's environment was not kept"
    proxy = res["HTTPS_PROXY"]
    m = re.fullmatch(r"http://(169\.254\.213\.(\d+)):8888", proxy)
    assert m, proxy
    assert int(m.group(2)) % 4 == 1
    assert res["https_proxy"] == proxy and res["HTTP_PROXY"] == proxy
    assert f"only pipelock at\n             {proxy} " in err

    # Through pipelock: the allowlisted origin only, and no secret.
    assert res["allowed"] == "200"
    assert res["other"] == "403", "a host not in the allowlist"
    assert res["secret"] == "403", "a secret to an allowlisted host"
    # Directly: nothing.
    assert res["direct"] == "000"
    assert res["udp53"].startswith("ERR") and "unreachable" in res["udp53"], res["udp53"]
    assert not res["udphost"].startswith("REPLY"), res["udphost"]
    assert res["tcpproxy"] == "CONNECTED"  # the probe can connect: pipelock's port
    assert res["tcphost"] != "CONNECTED", "another port of the host end of the veth"
    assert res["tcplab"] != "CONNECTED" and "unreachable" in res["tcplab"], res["tcplab"]
    assert res["resolve"].startswith("ERR"), res["resolve"]
    assert res["disable_ipv6"] == "1"
    assert res["ipv6addr"] == "", res["ipv6addr"]
    assert res["default"] == ""
    assert re.fullmatch(r"169\.254\.213\.\d+/30 dev pla\d+ proto kernel scope link src "
                        r"169\.254\.213\.\d+ ;", res["routes"]), res["routes"]

    # The exit status is the agent's; the closing line counts the refusals.
    assert r["rc"] == 7, err
    m = re.search(r"pipelock: launch: (\d+) requests allowed, (\d+) blocked; log in (\S+)", err)
    assert m, err
    assert int(m.group(2)) >= 2 and int(m.group(1)) >= 1, m.group(0)
    assert m.group(3) == str(r["log"])

    # --log: pipelock's JSON log, with the blocked requests.
    text = r["log"].read_text()
    check_sanitizers(text)
    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    blocked = [e for e in events if e.get("event") == "blocked"]
    assert len(blocked) >= 2, text
    assert any(OTHER4 in json.dumps(e) for e in blocked), blocked
    assert not any(SECRET in json.dumps(e) for e in events), "the secret is in the log"


def test_nothing_left_after_the_run(lab, full_run):
    r = full_run
    assert "cfg" in r["seen"], r["err"]
    assert_nothing_left(lab, r["pid"], r["before"], cfg=r["seen"]["cfg"], uid=lab["uid"])


# ---------------------------------------------------------------- 6: no way back to root

def test_agent_cannot_regain_root(lab):
    pid, rc, out, err, before = run(lab, "--yes", "--preset", "generic", "--allow", NET4,
                                    "--config", lab["base"], "--user", lab["user"], "--",
                                    "cat", "/proc/self/status")
    assert rc == 0, err
    check_sanitizers(err)
    status = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    assert status["NoNewPrivs"].strip() == "1"
    u = str(lab["uid"])
    assert status["Uid"].split() == [u, u, u, u]
    g = str(pwd.getpwnam(lab["user"]).pw_gid)
    assert status["Gid"].split() == [g, g, g, g]
    assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
    assert_nothing_left(lab, pid, before, uid=lab["uid"])


# ---------------------------------------------------------------- 3: SIGTERM

def sleeper(lab, name):
    """An agent that says it started, then sleeps long (the test ends it with a signal)."""
    started = lab["out"] / f"started-{name}"
    script = lab["dir"] / f"sleep-{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch {started}\nexec sleep 600\n")
    os.chmod(script, 0o755)
    return script, started


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def stop_launch(p):
    """Kill a launcher that did not exit by itself: its agent first (so it tears down)."""
    for k in children(p.pid):
        if cmdline(k)[:2] != ["pipelock", "run"]:
            try:
                os.kill(k, signal.SIGKILL)
            except ProcessLookupError:
                pass
    try:
        return p.communicate(timeout=STARTUP)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()


def test_sigterm_tears_everything_down(lab):
    """SIGTERM to the launcher while its agent runs: the agent gets it, everything goes.
    (It waits for the agent to have started: a SIGTERM before that is the next test.)"""
    script, started = sleeper(lab, "term")
    log = lab["dir"] / "term.log"
    before = tmp_dirs()
    p = start(lab, "--yes", "--preset", "generic", "--allow", NET4, "--config", lab["base"],
              "--user", lab["user"], "--log", log, "--", str(script))
    n = names(p.pid)
    try:
        wait_for(lambda: Path(f"/run/netns/{n['ns']}").exists() or p.poll() is not None,
                 STARTUP, "the launcher's namespace")
        assert p.poll() is None, p.communicate()[1]
        wait_for(lambda: started.exists() or p.poll() is not None, STARTUP, "the agent")
        found = proxy_child(lab, p.pid)
        assert found, "pipelock of the run is not running"
        os.kill(p.pid, signal.SIGTERM)
        out, err = p.communicate(timeout=STARTUP)
    except subprocess.TimeoutExpired:
        out, err = stop_launch(p)
        pytest.fail(f"launch did not exit on SIGTERM:\n{err}")
    assert p.returncode == 128 + signal.SIGTERM, err  # the agent's: killed by SIGTERM
    assert "requests allowed" in err, err
    check_sanitizers(err, log.read_text())  # pipelock's own stderr is in its log
    assert_nothing_left(lab, p.pid, before, cfg=found[1], uid=lab["uid"])


def test_sigterm_before_the_agent_starts(lab):
    """SIGTERM once the namespace and pipelock exist but before the agent is started: the
    launch must tear down and exit, not start the agent anyway."""
    script, started = sleeper(lab, "early")
    for attempt in range(5):
        started.unlink(missing_ok=True)
        before = tmp_dirs()
        p = start(lab, "--yes", "--preset", "generic", "--allow", NET4, "--config", lab["base"],
                  "--user", lab["user"], "--", str(script))
        n = names(p.pid)
        caught = False
        try:
            found = wait_for(lambda: proxy_child(lab, p.pid) or p.poll() is not None, STARTUP,
                             "pipelock of the run")
            assert p.poll() is None, p.communicate()[1]
            os.kill(p.pid, signal.SIGSTOP)
            wait_for(lambda: state(p.pid) == "T", GUARD, "the launcher to stop")
            agent = [k for k in children(p.pid) if k != found[0]]
            caught = not agent and not started.exists() and \
                Path(f"/run/netns/{n['ns']}").exists()
            if caught:
                os.kill(p.pid, signal.SIGTERM)
            os.kill(p.pid, signal.SIGCONT)
            if not caught:
                # Too late: the agent runs already; end this run (as the SIGTERM test does).
                wait_for(lambda: started.exists() or p.poll() is not None, STARTUP, "agent")
                os.kill(p.pid, signal.SIGTERM)
                p.communicate(timeout=STARTUP)
                continue
            try:
                out, err = p.communicate(timeout=STARTUP)
            except subprocess.TimeoutExpired:
                ran = started.exists()
                out, err = stop_launch(p)
                pytest.fail("launch did not exit on a SIGTERM received before its agent "
                            f"started (agent started anyway: {ran}):\n{err}")
            assert p.returncode != 0, err
            assert not started.exists(), "the agent was started after the SIGTERM"
            check_sanitizers(err)
            assert_nothing_left(lab, p.pid, before, cfg=found[1], uid=lab["uid"])
            return
        finally:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
                stop_launch(p)
    pytest.skip("never caught the launcher between pipelock's start and the agent's")


# ---------------------------------------------------------------- 4: manifests, --dry-run

def dry(lab, *args):
    pid, rc, out, err, before = run(lab, "--dry-run", "--user", lab["user"], *args, "--",
                                    "true")
    assert rc == 0, err
    check_sanitizers(err)
    assert_nothing_left(lab, pid, before)
    assert f"namespace {names(pid)['ns']}:" in err
    return dry_config(out), err


def test_json_manifest_with_bottles(lab):
    m = lab["dir"] / "manifest.json"
    m.write_text(json.dumps({"bottles": {
        "default": {"egress": {"allowlist": [NET4, "github.com"]}, "env": {"X": "y"}},
        "other": {"egress": {"allowlist": ["Other.Example.org", "*.pypi.org"]}}}}))
    cfg, err = dry(lab, "--manifest", m, "--preset", "generic", "--allow", "github.com",
                   "--allow", "extra.example.com")
    hosts, count, _ = plan_hosts(err)
    assert hosts == {NET4: "manifest", "github.com": "manifest",
                     "extra.example.com": "--allow"}, err
    assert count == 3
    assert cfg["api_allowlist"] == [NET4, "github.com", "extra.example.com"]

    cfg, err = dry(lab, "--manifest", m, "--bottle", "other", "--preset", "generic")
    hosts, count, _ = plan_hosts(err)
    assert hosts == {"other.example.org": "manifest", "*.pypi.org": "manifest"}, err
    assert cfg["api_allowlist"] == ["other.example.org", "*.pypi.org"]


def test_yaml_manifest_and_claude_code_preset(lab):
    m = lab["dir"] / "manifest.yaml"
    m.write_text("name: agent\negress:\n  allowlist:\n    - raw.githubusercontent.com\n"
                 f"    - {NET4}\n    - GitHub.com\nenv: {{X: y}}\n")
    cfg, err = dry(lab, "--manifest", m, "--allow", "github.com", "--allow", "sentry.io",
                   "--allow", "new.example")
    hosts, count, preset = plan_hosts(err)
    expected = {h: "preset" for h in CLAUDE_HOSTS}
    expected.update({NET4: "manifest", "github.com": "manifest", "new.example": "--allow"})
    assert hosts == expected, err
    assert count == len(expected) == 10 and preset == "claude-code"
    assert cfg["api_allowlist"] == CLAUDE_HOSTS + [NET4, "github.com", "new.example"]


def test_dry_run_config(lab):
    base = lab["dir"] / "dry-base.yaml"
    base.write_text(lab["base"].read_text() +
                    "mode: audit\napi_allowlist: [evil.example]\n"
                    "metrics_listen: 0.0.0.0:9095\n"
                    "fetch_proxy: {listen: 0.0.0.0:7777, timeout_seconds: 11}\n"
                    "forward_proxy: {enabled: false}\n"
                    "logging: {output: file, file: /tmp/should-not-be-used.log}\n")
    cfg, err = dry(lab, "--preset", "generic", "--allow", NET4, "--config", base)
    assert f"(config {base})" in err
    assert cfg["mode"] == "strict"
    assert cfg["api_allowlist"] == [NET4]
    assert cfg["forward_proxy"]["enabled"] is True
    assert re.fullmatch(r"169\.254\.213\.\d+:8888", cfg["fetch_proxy"]["listen"])
    assert cfg["fetch_proxy"]["timeout_seconds"] == 11, "the base config is kept"
    assert cfg["metrics_listen"] == ""
    assert cfg["logging"]["output"] == "stdout" and cfg["logging"]["file"] == ""
    assert cfg["ssrf"]["ip_allowlist"] == [f"{LAB}.0/24"]
    assert cfg["dns"]["resolvers"] == ["127.0.0.1:9"]
    m = re.search(r"only pipelock at\n +http://(\S+) ", err)
    assert m and m.group(1) == cfg["fetch_proxy"]["listen"], err

    cfg, err = dry(lab, "--preset", "generic", "--allow", NET4)
    assert "(config defaults)" in err
    assert cfg["mode"] == "strict" and cfg["api_allowlist"] == [NET4]
    assert cfg["metrics_listen"] == "" and cfg["forward_proxy"]["enabled"] is True


# ---------------------------------------------------------------- 5: errors

def error_cases(lab):
    """name: (arguments before --, whether a command follows, what stderr says)."""
    d, u = lab["dir"], lab["user"]

    def manifest(name, obj):
        f = d / f"bad-{name}.json"
        f.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        return f

    bad = d / "unparsable.yaml"
    bad.write_text("ssrf: [unclosed\n  - : :\n")
    badkey = d / "badkey.yaml"
    badkey.write_text("no_such_key_here: {x: 1}\nfetch_proxy: {timeout_seconds: -5}\n")
    ok = ["--yes", "--config", lab["base"], "--user", u, "--preset", "generic"]
    return {
        "no command": (ok + ["--allow", NET4], False, "the agent's command goes after --"),
        "unknown preset": (ok[:5] + ["--preset", "nope", "--allow", NET4], True,
                           'unknown --preset "nope"'),
        "empty allowlist": (ok, True, "the allowlist is empty"),
        "allowlist not a list": (
            ok + ["--manifest", manifest("notlist", {"egress": {"allowlist": "github.com"}})],
            True, "egress.allowlist must be a list"),
        "allowlist with a number": (
            ok + ["--manifest", manifest("number", {"egress": {"allowlist": ["a.com", 5]}})],
            True, "egress.allowlist[1] is not a string"),
        "manifest bad host": (
            ok + ["--manifest", manifest("badhost", {"egress": {"allowlist": ["a b"]}})],
            True, '"a b" (from manifest) is not a host name'),
        "egress not a mapping": (
            ok + ["--manifest", manifest("egress", {"egress": ["github.com"]})],
            True, "egress must be a mapping"),
        "manifest does not parse": (
            ok + ["--allow", NET4, "--manifest", manifest("unparsable", "{\"egress\": [")],
            True, ""),
        "manifest missing": (ok + ["--allow", NET4, "--manifest", d / "no-such.json"], True,
                             "cannot read"),
        "no such bottle": (
            ok + ["--allow", NET4, "--manifest",
                  manifest("bottles", {"bottles": {"one": {"egress": {"allowlist": [NET4]}}}})],
            True, 'has no bottle "default"'),
        "no such named bottle": (
            ok + ["--manifest",
                  manifest("bottles2", {"bottles": {"default": {"egress": {"allowlist": [NET4]}}}}),
                  "--bottle", "two"],
            True, 'has no bottle "two"'),
        "bad --allow": (ok + ["--allow", "a b"], True, '"a b" (from --allow) is not a host name'),
        "user root": (ok[:3] + ["--user", "root", "--preset", "generic", "--allow", NET4], True,
                      "--user root"),
        "unknown user": (ok[:3] + ["--user", "pll-no-such-user", "--preset", "generic",
                                   "--allow", NET4], True, "unknown --user"),
        "proxy user is the agent": (ok + ["--allow", NET4, "--proxy-user", u], True,
                                    "--proxy-user must exist"),
        "proxy user root": (ok + ["--allow", NET4, "--proxy-user", "root"], True,
                            "--proxy-user must exist"),
        "unknown proxy user": (ok + ["--allow", NET4, "--proxy-user", "pll-no-such-user"], True,
                               "--proxy-user must exist"),
        "config does not parse": (["--yes", "--config", bad, "--user", u, "--preset", "generic",
                                   "--allow", NET4], True, str(bad)),
        "config missing": (["--yes", "--config", d / "no-such.yaml", "--user", u, "--preset",
                            "generic", "--allow", NET4], True, "cannot read"),
        "config does not load": (["--yes", "--config", badkey, "--user", u, "--preset",
                                  "generic", "--allow", NET4], True,
                                 "the generated config does not load"),
        "unknown flag": (ok + ["--allow", NET4, "--frobnicate"], True, "Usage: pipelock launch"),
        "no --yes, no terminal": (ok[1:] + ["--allow", NET4], True, "--yes"),
    }


ERROR_NAMES = ["no command", "unknown preset", "empty allowlist", "allowlist not a list",
               "allowlist with a number", "manifest bad host", "egress not a mapping",
               "manifest does not parse", "manifest missing", "no such bottle",
               "no such named bottle", "bad --allow", "user root", "unknown user",
               "proxy user is the agent", "proxy user root", "unknown proxy user",
               "config does not parse", "config missing", "config does not load",
               "unknown flag", "no --yes, no terminal"]


@pytest.mark.parametrize("case", ERROR_NAMES)
def test_errors_exit_2_and_create_nothing(lab, case):
    cases = error_cases(lab)
    assert sorted(cases) == sorted(ERROR_NAMES)
    args, with_cmd, msg = cases[case]
    pid, rc, out, err, before = run(lab, *args, *(["--", "true"] if with_cmd else []))
    assert rc == 2, f"{case}: exit {rc}\n{err}"
    assert msg in err, err
    assert out == ""
    assert "requests allowed" not in err
    check_sanitizers(err)
    assert_nothing_left(lab, pid, before)


def test_no_answer_at_the_prompt_starts_nothing(lab):
    """On a terminal without --yes it asks; anything but y is "Not started." (exit 1)."""
    master, slave = pty.openpty()
    try:
        before = tmp_dirs()
        p = start(lab, "--user", lab["user"], "--preset", "generic", "--allow", NET4, "--",
                  "true", stdin=slave)
        os.write(master, b"n\n")
        try:
            out, err = p.communicate(timeout=STARTUP)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            pytest.fail(f"launch did not exit:\n{err}")
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 1, err
    assert "Start? [y/N]" in err and "Not started." in err
    check_sanitizers(err)
    assert_nothing_left(lab, p.pid, before)
