"""A raw-socket HTTP/1.x client for byte-exact requests and careful response reading.

The reader is deliberately independent of the proxy's parser. It is lenient enough to report
what came back (so a test can assert on it) and streams bodies into a sink so that very large
responses never sit in memory."""

import socket
from dataclasses import dataclass, field

from .util import GUARD


class Closed(Exception):
    """The peer closed (or reset) the connection before a complete response head arrived."""

    def __init__(self, partial=b""):
        super().__init__(f"connection closed; {len(partial)} bytes of partial head")
        self.partial = partial


@dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list  # [(name, value)] as received
    body: bytes = b""
    body_len: int = 0
    framing: str = ""  # "length", "chunked", "eof", "none"
    raw_head: bytes = b""
    interim: list = field(default_factory=list)  # 1xx responses seen before this one
    chunk_extensions: list = field(default_factory=list)
    trailers: list = field(default_factory=list)

    def header(self, name, default=None):
        n = name.lower()
        for k, v in self.headers:
            if k.lower() == n:
                return v
        return default

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def has_token(self, name, token):
        """True when a comma-separated header (e.g. Connection) contains token."""
        t = token.lower()
        for v in self.header_all(name):
            if t in [x.strip().lower() for x in v.split(",")]:
                return True
        return False

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def connect(port, host="127.0.0.1", timeout=GUARD, rcvbuf=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def send_all_tolerant(sock, data):
    """sendall that treats the peer closing early as "done": returns bytes we managed to send."""
    view = memoryview(data)
    sent = 0
    try:
        while sent < len(view):
            n = sock.send(view[sent:])
            if n <= 0:
                break
            sent += n
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


class Reader:
    """Reads responses from a socket, keeping leftover bytes between messages (pipelining)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.eof = False

    def _fill(self, n=65536):
        if self.eof:
            return False
        try:
            d = self.sock.recv(n)
        except ConnectionResetError:
            d = b""
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def read_head(self):
        """Return (head_bytes) of the next message or raise Closed."""
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                head = bytes(self.buf[: i + 4])
                del self.buf[: i + 4]
                return head
            if len(self.buf) > 1 << 20:
                raise AssertionError("response head larger than 1 MiB")
            if not self._fill():
                raise Closed(bytes(self.buf))

    def _read_exact(self, n, sink):
        left = n
        while left > 0:
            if not self.buf and not self._fill(min(1 << 20, max(left, 65536))):
                raise Closed()
            take = min(left, len(self.buf))
            sink(bytes(self.buf[:take]))
            del self.buf[:take]
            left -= take

    def _read_line(self, limit=1 << 16):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            if len(self.buf) > limit:
                raise AssertionError("line too long in chunked body")
            if not self._fill():
                raise Closed()

    def read_response(self, method="GET", sink=None, keep_body_limit=16 << 20):
        """Read one final response (1xx interim responses are collected, not returned).

        sink(bytes) receives body pieces when given; otherwise the body is kept in .body
        (up to keep_body_limit). body_len is always the decoded body length."""
        interim = []
        while True:
            head = self.read_head()
            resp = parse_head(head)
            if 100 <= resp.status < 200 and resp.status != 101:
                interim.append(resp)
                continue
            break
        resp.interim = interim
        kept = bytearray()
        count = [0]

        def collect(b):
            count[0] += len(b)
            if sink is not None:
                sink(b)
            elif len(kept) < keep_body_limit:
                kept.extend(b[: keep_body_limit - len(kept)])

        te = ",".join(resp.header_all("Transfer-Encoding")).lower()
        cl = resp.header_all("Content-Length")
        if method == "HEAD" or resp.status in (204, 304) or method == "CONNECT" and resp.status < 300:
            resp.framing = "none"
        elif te:
            if te.split(",")[-1].strip() != "chunked":
                raise AssertionError(f"response with unsupported Transfer-Encoding {te!r}")
            resp.framing = "chunked"
            while True:
                line = self._read_line()
                size_s, _, ext = line.partition(b";")
                if ext:
                    resp.chunk_extensions.append(ext)
                size = int(size_s.strip(), 16)
                if size == 0:
                    while True:
                        t = self._read_line()
                        if not t:
                            break
                        resp.trailers.append(t)
                    break
                self._read_exact(size, collect)
                if self._read_line() != b"":
                    raise AssertionError("chunk data not followed by CRLF")
        elif cl:
            if len(set(cl)) != 1:
                raise AssertionError(f"conflicting Content-Length in response: {cl}")
            resp.framing = "length"
            self._read_exact(int(cl[0]), collect)
        else:
            resp.framing = "eof"
            while True:
                if self.buf:
                    collect(bytes(self.buf))
                    self.buf.clear()
                if not self._fill():
                    break
        resp.body = bytes(kept)
        resp.body_len = count[0]
        return resp

    def read_until_eof(self, limit=1 << 20):
        """Everything until the peer closes (raises socket.timeout on the guard)."""
        while len(self.buf) < limit and self._fill():
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out


def parse_head(head):
    lines = head[:-4].split(b"\r\n")
    first = lines[0].decode("latin-1")
    parts = first.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise AssertionError(f"malformed status line {first!r}")
    version = parts[0]
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for ln in lines[1:]:
        name, sep, value = ln.decode("latin-1").partition(":")
        if not sep:
            raise AssertionError(f"malformed header line {ln!r}")
        headers.append((name, value.strip(" \t")))
    return Response(version=version, status=status, reason=reason, headers=headers, raw_head=head)


def request_bytes(method, target, headers=(), body=b"", version="HTTP/1.1"):
    """Build a request; headers is a list of (name, value) sent exactly in that order."""
    out = f"{method} {target} {version}\r\n".encode("latin-1")
    for k, v in headers:
        out += f"{k}: {v}\r\n".encode("latin-1")
    out += b"\r\n"
    return out + body


def exchange(port, data, method="GET", timeout=GUARD, host="127.0.0.1"):
    """Send data on a fresh connection and read one response. Returns (response, reader, sock).

    The caller closes sock."""
    s = connect(port, host=host, timeout=timeout)
    send_all_tolerant(s, data)
    r = Reader(s)
    resp = r.read_response(method=method)
    return resp, r, s


def get(port, path, host_header=None, headers=(), timeout=GUARD):
    """One origin-form GET with Connection: close (used for /health and friends)."""
    hh = host_header or f"127.0.0.1:{port}"
    data = request_bytes("GET", path, [("Host", hh), *headers, ("Connection", "close")])
    resp, _, s = exchange(port, data, timeout=timeout)
    s.close()
    return resp


def proxy_get(proxy_port, url, headers=(), host_header=None, method="GET", body=b"",
              timeout=GUARD, close=True):
    """One absolute-form request through the proxy on a fresh connection."""
    from urllib.parse import urlsplit

    if host_header is None:
        host_header = urlsplit(url).netloc
    hdrs = [("Host", host_header), *headers]
    if body:
        hdrs.append(("Content-Length", str(len(body))))
    if close:
        hdrs.append(("Connection", "close"))
    data = request_bytes(method, url, hdrs, body)
    resp, _, s = exchange(proxy_port, data, method=method, timeout=timeout)
    s.close()
    return resp


def connect_tunnel(proxy_port, authority, headers=(), timeout=GUARD):
    """Send CONNECT authority and read the proxy's answer. Returns (response, reader, sock)."""
    data = request_bytes("CONNECT", authority, [("Host", authority), *headers])
    s = connect(proxy_port, timeout=timeout)
    send_all_tolerant(s, data)
    r = Reader(s)
    resp = r.read_response(method="CONNECT")
    return resp, r, s
