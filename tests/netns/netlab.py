"""The namespace lab the root-only tests share: a "host" namespace (where pipelock and the
agent run) and a fake "net" (the internet), joined by a veth pair, created and deleted by
the test itself so that nothing touches the machine's own interfaces or rules. Plus the small
probe scripts the tests run as the agent's uid."""

import ipaddress
import subprocess
import time

from pltest.util import GUARD, pipelock_bin


def run(*args, check=False, timeout=GUARD, **kw):
    return subprocess.run(list(map(str, args)), capture_output=True, text=True,
                          timeout=timeout, check=check, **kw)


def make_pair(tag, host_addrs, net_addrs):
    """Namespaces <tag>h and <tag>n joined by veth <tag>a/<tag>b, loopback up, with the
    given CIDRs ("10.231.200.1/24", "fd00:231::1/64") on each end. Returns (host, net). On
    failure whatever was made is deleted again."""
    host, net = f"{tag}h", f"{tag}n"
    try:
        run("ip", "netns", "add", host, check=True)
        run("ip", "netns", "add", net, check=True)
        run("ip", "link", "add", f"{tag}a", "netns", host, "type", "veth", "peer", "name",
            f"{tag}b", "netns", net, check=True)
        for ns, dev, addrs in ((host, f"{tag}a", host_addrs), (net, f"{tag}b", net_addrs)):
            x = ("ip", "netns", "exec", ns)
            run(*x, "ip", "link", "set", "lo", "up", check=True)
            for a in addrs:
                six = ipaddress.ip_interface(a).version == 6
                run(*x, "ip", *(["-6"] if six else []), "addr", "add", a, "dev", dev,
                    *(["nodad"] if six else []), check=True)
            run(*x, "ip", "link", "set", dev, "up", check=True)
    except BaseException:
        delete_pair(host, net)
        raise
    return host, net


def delete_pair(host, net):
    """Deleting the namespaces deletes the veth pair and every rule loaded in them."""
    run("ip", "netns", "del", host)
    run("ip", "netns", "del", net)


def start_server(ns, script, *args):
    """Run a Python server script in namespace ns; returns once it printed READY."""
    p = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", script,
                          *map(str, args)], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True)
    if p.stdout.readline().strip() != "READY":
        p.kill()
        p.wait()
        raise AssertionError(f"the lab server in {ns} did not start")
    return p


# The fake internet host: HTTP on 8080 ("net-ok") on argv[1] (IPv4) and argv[2] (IPv6), and
# UDP echo ("echo:<data>") on 53 and 5300 of both.
NET_SERVER = r'''
import http.server, socket, socketserver, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = b"net-ok\n"
        self.send_response(200); self.send_header("Content-Length", str(len(b)))
        self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
class S6(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = socket.AF_INET6
class S4(socketserver.ThreadingMixIn, http.server.HTTPServer):
    pass
def udp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, port))
    while True:
        d, peer = s.recvfrom(2048); s.sendto(b"echo:" + d, peer)
for fam, a in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    for p in (53, 5300):
        threading.Thread(target=udp, args=(fam, a, p), daemon=True).start()
threading.Thread(target=S6((sys.argv[2], 8080), H).serve_forever, daemon=True).start()
print("READY", flush=True)
S4((sys.argv[1], 8080), H).serve_forever()
'''


def start_pipelock(host, uid, cfg, guard=GUARD):
    """pipelock run --config cfg as uid in namespace host; returns once /health answers."""
    p = subprocess.Popen(["ip", "netns", "exec", host, "setpriv", f"--reuid={uid}",
                          f"--regid={uid}", "--clear-groups", str(pipelock_bin()), "run",
                          "--config", str(cfg)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        r = run("ip", "netns", "exec", host, "curl", "-s", "-o", "/dev/null", "-w",
                "%{http_code}", "http://127.0.0.1:8888/health")
        if r.stdout == "200":
            return p
        if p.poll() is not None:
            raise AssertionError("pipelock exited: " + p.stderr.read())
        time.sleep(0.05)
    p.kill()
    p.wait()
    raise AssertionError("pipelock did not start in the namespace")


# One UDP datagram; prints REPLY <text>, EPERM, or ERR <error>.
UDP_PROBE = r'''
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(3)
try:
    s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
    print("REPLY", s.recvfrom(100)[0].decode())
except PermissionError:
    print("EPERM")
except OSError as e:
    print("ERR", e)
'''

# One ICMP echo through an unprivileged echo socket; prints REPLY, EPERM, or ERR <error>.
ICMP_PROBE = r'''
import socket, sys
six = ":" in sys.argv[1]
s = socket.socket(socket.AF_INET6 if six else socket.AF_INET, socket.SOCK_DGRAM,
                  socket.IPPROTO_ICMPV6 if six else socket.IPPROTO_ICMP)
s.settimeout(3)
try:
    # An echo request; the kernel fills in the identifier and the checksum.
    s.sendto(bytes([128 if six else 8, 0, 0, 0, 0, 0, 0, 1]) + b"pipelock", (sys.argv[1], 0))
    s.recvfrom(200)
    print("REPLY")
except PermissionError:
    print("EPERM")
except OSError as e:
    print("ERR", e)
'''
