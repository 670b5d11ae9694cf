"""The namespace lab the root-only tests share: a "host" namespace (where pipelock and the
agent run) and a fake "net" (the internet), joined by a veth pair, created and deleted by
the test itself so that nothing touches the machine's own interfaces or rules. Plus the small
probe scripts the tests run as the agent's uid."""

import ipaddress
import subprocess

from pltest.util import GUARD


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
