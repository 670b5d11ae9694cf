"""A fake authoritative DNS server on 127.0.0.1 (UDP, plus TCP for truncation fallbacks).

Answers A/AAAA from a dict and records every query. Names not in the dict get NXDOMAIN, so a
proxy pointed at this server never learns an address outside the machine by accident.

    dns.set("origin.test", "127.0.0.1")            # A
    dns.set("v6.test", "::1")                       # AAAA
    dns.set("rebind.test", "203.0.113.7", "127.0.0.1")
    dns.set_fn("flip.test", lambda qtype, n: [...]) # computed per query (n = query number)
    dns.servfail("broken.test")
"""

import ipaddress
import socket
import struct
import threading

QTYPE_A = 1
QTYPE_AAAA = 28
QTYPE_NAMES = {1: "A", 28: "AAAA", 5: "CNAME", 15: "MX", 16: "TXT", 33: "SRV", 65: "HTTPS",
               255: "ANY"}


class FakeDNS:
    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.lock = threading.Lock()
        self.records = {}
        self.queries = []  # (name_lower, qtype_name)
        self._counts = {}
        self._stop = threading.Event()
        self.port = None

    # ---------------- records ----------------

    def set(self, name, *ips):
        with self.lock:
            self.records[name.lower().rstrip(".")] = list(ips)

    def set_fn(self, name, fn):
        with self.lock:
            self.records[name.lower().rstrip(".")] = fn

    def servfail(self, name):
        with self.lock:
            self.records[name.lower().rstrip(".")] = "SERVFAIL"

    def remove(self, name):
        with self.lock:
            self.records.pop(name.lower().rstrip("."), None)

    def clear(self):
        with self.lock:
            self.records.clear()
            self.queries.clear()
            self._counts.clear()

    def queried(self, name):
        n = name.lower().rstrip(".")
        with self.lock:
            return [q for q in self.queries if q[0] == n]

    # ---------------- server ----------------

    def start(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((self.host, 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.tcp.bind((self.host, self.port))
            self.tcp.listen(16)
        except OSError:
            self.tcp.close()
            self.tcp = None
        self.udp.settimeout(0.2)
        threading.Thread(target=self._udp_loop, daemon=True, name="fakedns-udp").start()
        if self.tcp:
            self.tcp.settimeout(0.2)
            threading.Thread(target=self._tcp_loop, daemon=True, name="fakedns-tcp").start()
        return self

    def stop(self):
        self._stop.set()
        self.udp.close()
        if self.tcp:
            self.tcp.close()

    @property
    def addr(self):
        return f"{self.host}:{self.port}"

    def _udp_loop(self):
        while not self._stop.is_set():
            try:
                data, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            resp = self.answer(data)
            if resp is not None:
                try:
                    self.udp.sendto(resp, peer)
                except OSError:
                    pass

    def _tcp_loop(self):
        while not self._stop.is_set():
            try:
                c, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(c,), daemon=True).start()

    def _tcp_conn(self, c):
        c.settimeout(5)
        try:
            while True:
                hdr = _recv_exact(c, 2)
                if not hdr:
                    return
                (n,) = struct.unpack(">H", hdr)
                q = _recv_exact(c, n)
                if not q:
                    return
                r = self.answer(q)
                if r is None:
                    return
                c.sendall(struct.pack(">H", len(r)) + r)
        except OSError:
            pass
        finally:
            c.close()

    # ---------------- protocol ----------------

    def answer(self, data):
        """Build the response to one query message (or None for garbage)."""
        if len(data) < 12:
            return None
        qid, flags, qd, _an, _ns, _ar = struct.unpack(">HHHHHH", data[:12])
        if qd != 1 or flags & 0x8000:
            return None
        off = 12
        labels = []
        while True:
            if off >= len(data):
                return None
            ln = data[off]
            off += 1
            if ln == 0:
                break
            if ln & 0xC0:
                return None
            labels.append(data[off:off + ln])
            off += ln
        if off + 4 > len(data):
            return None
        qtype, qclass = struct.unpack(">HH", data[off:off + 4])
        question = data[12:off + 4]
        name = b".".join(labels).decode("ascii", "replace").lower()
        with self.lock:
            self.queries.append((name, QTYPE_NAMES.get(qtype, str(qtype))))
            n = self._counts.get((name, qtype), 0)
            self._counts[(name, qtype)] = n + 1
            rec = self.records.get(name)
        rcode = 0
        answers = []
        if rec is None:
            rcode = 3  # NXDOMAIN
        elif rec == "SERVFAIL":
            rcode = 2
        else:
            ips = rec(qtype, n) if callable(rec) else rec
            for ip in ips:
                a = ipaddress.ip_address(ip)
                if qtype == QTYPE_A and a.version == 4:
                    answers.append(struct.pack(">HHHIH", 0xC00C, QTYPE_A, 1, 1, 4) + a.packed)
                elif qtype == QTYPE_AAAA and a.version == 6:
                    answers.append(struct.pack(">HHHIH", 0xC00C, QTYPE_AAAA, 1, 1, 16) + a.packed)
        rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode  # QR AA RD(copied) RA
        hdr = struct.pack(">HHHHHH", qid, rflags, 1, len(answers), 0, 0)
        return hdr + question + b"".join(answers)


def _recv_exact(c, n):
    out = b""
    while len(out) < n:
        d = c.recv(n - len(out))
        if not d:
            return b""
        out += d
    return out


def build_query(name, qtype=QTYPE_A, qid=0x1234):
    """A standard recursive query (used by the fixture self-tests)."""
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", qtype, 1)


def parse_answer(resp):
    """(rcode, [ip strings]) from a response built by FakeDNS (test helper)."""
    qid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", resp[:12])
    off = 12
    for _ in range(qd):
        while resp[off] != 0:
            off += 1 + resp[off]
        off += 5
    ips = []
    for _ in range(an):
        off += 2  # pointer
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", resp[off:off + 10])
        off += 10
        rd = resp[off:off + rdlen]
        off += rdlen
        ips.append(str(ipaddress.ip_address(rd)))
    return flags & 0xF, ips
