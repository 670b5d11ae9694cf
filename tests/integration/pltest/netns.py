"""Network namespaces that hold "private" addresses for SSRF tests.

A namespace gets a veth pair on an unused 10.231.K.0/30 (host side .1, namespace side .2) and,
optionally, extra /32 addresses (169.254.169.254, a TEST-NET "public-looking" address) that live
inside the namespace and are routed to it from the host through the veth. Packets for any of
these addresses therefore stay on this machine even if the proxy wrongly connects. The
namespace has no default route, so nothing inside it can reach any other address. Deleting the
host veth end removes its routes; teardown does that and deletes the namespace.

Requires root and a working `ip netns`; callers skip otherwise (see can_use_netns()).
"""

import fcntl
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from .util import GUARD, free_port, wait_until

LOCK_PATH = "/tmp/pipelock-integration-netns.lock"

LISTENER = r'''
import selectors, socket, sys
addrs = sys.argv[1].split(",")
port = int(sys.argv[2])
sel = selectors.DefaultSelector()
for a in addrs:
    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, port))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print("READY", flush=True)
while True:
    for key, _ in sel.select():
        c, peer = key.fileobj.accept()
        local = c.getsockname()
        print("CONN %s %d -> %s" % (peer[0], peer[1], local[0]), flush=True)
        c.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                d = c.recv(4096)
                if not d:
                    break
                data += d
        except OSError:
            pass
        if data:
            print("REQ %s" % data.split(b"\r\n", 1)[0].decode("latin-1"), flush=True)
            body = ("ns-ok %s\n" % local[0]).encode()
            try:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                          b"Connection: close\r\n\r\n" % len(body) + body)
            except OSError:
                pass
        c.close()
'''


def _ip(*args, check=True):
    p = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {p.stderr.strip()}")
    return p


def can_use_netns():
    """(ok, reason). ok only when root and `ip netns` can create and delete a namespace."""
    if os.geteuid() != 0:
        return False, "needs root to create network namespaces"
    if not any(Path(d, "ip").exists() for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin")):
        return False, "iproute2 `ip` not found"
    name = f"plprobe{os.getpid()}"
    p = _ip("netns", "add", name, check=False)
    if p.returncode != 0:
        return False, f"`ip netns add` failed: {p.stderr.strip()}"
    _ip("netns", "del", name, check=False)
    return True, ""


class Listener:
    def __init__(self, ns, addrs, port, proc, log):
        self.ns = ns
        self.addrs = addrs
        self.port = port
        self.proc = proc
        self.log = log

    def lines(self):
        return self.log.read_text().splitlines() if self.log.exists() else []

    def conns(self):
        """Accepted connections other than our own sync markers: [(peer, port, local)]."""
        out = []
        for ln in self.lines():
            m = re.match(r"CONN (\S+) (\d+) -> (\S+)", ln)
            if m and int(m.group(2)) not in self.ns.sync_ports:
                out.append((m.group(1), int(m.group(2)), m.group(3)))
        return out

    def requests(self):
        return [ln[4:] for ln in self.lines() if ln.startswith("REQ ")
                and "/__sync__" not in ln]

    def sync(self):
        """Connect from the host to every listening address and wait until each is logged."""
        for a in self.addrs:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((self.ns.host_ip, 0))
            sport = s.getsockname()[1]
            self.ns.sync_ports.add(sport)
            s.settimeout(GUARD)
            s.connect((a, self.port))
            s.sendall(b"GET /__sync__ HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_until(lambda: any(f" {sport} -> " in ln for ln in self.lines()),
                       what=f"namespace listener to log sync connection to {a}")
            s.close()

    def assert_untouched(self, why=""):
        self.sync()
        c = self.conns()
        assert not c, f"listener in namespace received connections {c} ({why})"


class NetNS:
    def __init__(self, workdir, extra_addrs=()):
        self.workdir = Path(workdir)
        self.extra_addrs = list(extra_addrs)
        self.name = None
        self.vh = None
        self.vn = None
        self.k = None
        self.listeners = []
        self.sync_ports = set()
        self.routes = []
        self._addr_locks = []

    @property
    def host_ip(self):
        return f"10.231.{self.k}.1"

    @property
    def ns_ip(self):
        return f"10.231.{self.k}.2"

    @property
    def subnet(self):
        return f"10.231.{self.k}.0/30"

    def _lock_addresses(self):
        """Hold one lock per extra address for the namespace's lifetime, so concurrent suite
        runs take turns with a shared address (e.g. 169.254.169.254) instead of colliding."""
        deadline = time.monotonic() + GUARD * 4
        for a in self.extra_addrs:
            f = open(f"/tmp/pipelock-integration-addr-{a}.lock", "w")
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        f.close()
                        for held in self._addr_locks:
                            held.close()
                        self._addr_locks = []
                        raise RuntimeError(f"{a} stayed in use by another test run")
                    time.sleep(0.1)
            self._addr_locks.append(f)

    def create(self):
        self._lock_addresses()
        with open(LOCK_PATH, "w") as lf:
            fcntl.flock(lf, fcntl.LOCK_EX)
            used = _ip("-4", "-o", "addr").stdout + _ip("-4", "route", "show", "table", "all").stdout
            for k in range(0, 250):
                if f"10.231.{k}." not in used:
                    self.k = k
                    break
            else:
                raise RuntimeError("no free 10.231.K.0/30 subnet")
            for a in self.extra_addrs:
                r = _ip("-4", "route", "show", f"{a}/32").stdout.strip()
                if r:
                    raise RuntimeError(f"a host route for {a}/32 already exists ({r}); "
                                       "another run may be using it")
            tag = f"{os.getpid() % 100000}{self.k}"
            self.name = f"plit{tag}"
            self.vh = f"plh{tag}"[:15]
            self.vn = f"pln{tag}"[:15]
            _ip("netns", "add", self.name)
            try:
                _ip("link", "add", self.vh, "type", "veth", "peer", "name", self.vn)
                _ip("link", "set", self.vn, "netns", self.name)
                _ip("addr", "add", f"{self.host_ip}/30", "dev", self.vh)
                _ip("link", "set", self.vh, "up")
                self.exec_ip("addr", "add", f"{self.ns_ip}/30", "dev", self.vn)
                self.exec_ip("link", "set", self.vn, "up")
                self.exec_ip("link", "set", "lo", "up")
                for a in self.extra_addrs:
                    self.exec_ip("addr", "add", f"{a}/32", "dev", self.vn)
                    _ip("route", "add", f"{a}/32", "via", self.ns_ip, "dev", self.vh)
                    self.routes.append(a)
                for a in [self.ns_ip, *self.extra_addrs]:
                    got = _ip("route", "get", a).stdout
                    if f"dev {self.vh}" not in got:
                        raise RuntimeError(f"{a} is not routed into the namespace: {got!r}")
            except Exception:
                self.teardown()
                raise
        return self

    def exec_ip(self, *args):
        return _ip("-n", self.name, *args)

    def listen(self, addrs=None, port=None):
        """Start a logging HTTP listener inside the namespace on addrs (default: the ns veth IP)."""
        addrs = addrs or [self.ns_ip]
        port = port or free_port()
        log = self.workdir / f"nslistener-{port}.log"
        script = self.workdir / "nslistener.py"
        script.write_text(LISTENER)
        f = open(log, "w")
        proc = subprocess.Popen(["ip", "netns", "exec", self.name, sys.executable, "-u",
                                 str(script), ",".join(addrs), str(port)],
                                stdout=f, stderr=subprocess.STDOUT)
        f.close()
        lst = Listener(self, addrs, port, proc, log)
        self.listeners.append(lst)

        def ready():
            if proc.poll() is not None:
                raise RuntimeError(f"namespace listener died: {log.read_text()}")
            return "READY" in log.read_text()

        wait_until(ready, what="namespace listener to start")
        return lst

    def teardown(self):
        for lst in self.listeners:
            if lst.proc.poll() is None:
                lst.proc.terminate()
                try:
                    lst.proc.wait(5)
                except subprocess.TimeoutExpired:
                    lst.proc.kill()
                    lst.proc.wait()
        self.listeners = []
        if self.vh:
            _ip("link", "del", self.vh, check=False)  # also removes the routes through it
        if self.name:
            _ip("netns", "del", self.name, check=False)
        self.name = None
        self.vh = None
        for f in self._addr_locks:
            f.close()  # releases the flock
        self._addr_locks = []
