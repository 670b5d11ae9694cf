"""A recording HTTP/1.1 origin server on raw sockets.

It records exactly what it receives: every accepted connection (peer, raw bytes), every request
head (as bytes and parsed), how the body was framed, the decoded body (kept up to a limit; length
and SHA-256 always), and what it sent back. It supports keep-alive, Content-Length and chunked
replies, very large streamed replies, slow and gated replies, and optional TLS.

Routes (path → behaviour; query parameters in brackets):
  /echo                 200 JSON describing the request as received
  /upload               200 JSON {"len", "sha256"} of the decoded request body
  /big [bytes, chunked] `bytes` of pattern data, Content-Length or chunked
  /chunked [n, size]    chunked reply of n chunks; chunk extensions and a trailer field included
  /gated [half, gate]   head + first `half` bytes, then waits for origin.open_gate(gate)
  /slow [n, ms]         n pieces of 1 KiB with ms sleeps in between (Content-Length)
  /close                reply with Connection: close and close
  /eof                  reply with no framing header, delimited by closing
  /hop-resp             reply carrying hop-by-hop headers that a proxy must strip
  /status/NNN           empty reply with that status
  /bad-resp/KIND        a malformed reply (see BAD_RESPONSES)
  anything else         200 "ok METHOD TARGET\\n"
Custom routes can be added with origin.route(prefix, fn(req) -> Reply).

Helpers for response-scanning tests (module level, used by custom routes):
  compress(data, coding) / decompress(data, coding)
                        gzip, deflate (zlib), deflate-raw, br and zstd bodies (br and zstd via
                        the system's libbrotlienc/libbrotlidec and libzstd; codec_missing(coding)
                        says why one is unavailable)
  gated_pieces(origin, steps)
                        yields the bytes steps in order; a str step is a gate name the reply
                        waits on (origin.open_gate(name)) before going on
  sse_event(data, ...)  one Server-Sent Event as bytes (data lines, optional event/id fields)
  sse_reply(origin, steps, coding=None)
                        a chunked text/event-stream reply whose pieces (events) are sent as
                        they come, with gates between them; coding="gzip" compresses the stream
                        with a sync flush after every piece, so each one is decodable at once
"""

import ctypes
import ctypes.util
import gzip
import hashlib
import json
import selectors
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from .util import GUARD, pattern_chunks, wait_until

BODY_KEEP = 1 << 20  # decoded body bytes kept per request
RAW_KEEP = 4 << 20  # raw bytes kept per connection


@dataclass
class Request:
    conn_id: int
    index: int  # position on its connection
    raw_head: bytes
    method: str = ""
    target: str = ""
    version: str = ""
    headers: list = field(default_factory=list)
    framing: str = "none"  # "none", "length", "chunked", "invalid"
    body: bytearray = field(default_factory=bytearray)
    body_len: int = 0
    body_sha256: str = ""
    chunk_sizes: list = field(default_factory=list)
    chunk_extensions: list = field(default_factory=list)
    trailers: list = field(default_factory=list)
    complete: bool = False
    error: str = ""
    sent_status: int = 0
    sent_len: int = 0  # body bytes handed to the socket so far
    _sent_hash: object = field(default_factory=hashlib.sha256, repr=False)

    @property
    def sent_sha256(self):
        """SHA-256 of the body sent so far. Updated before each piece is written, so once a
        client has received the whole body this already covers all of it (no race)."""
        return self._sent_hash.hexdigest()

    def header(self, name, default=None):
        n = name.lower()
        for k, v in self.headers:
            if k.lower() == n:
                return v
        return default

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def header_names(self):
        return [k.lower() for k, _ in self.headers]

    @property
    def path(self):
        return urlsplit(self.target).path if self.target.startswith("/") else self.target

    @property
    def query(self):
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.target).query).items()}


@dataclass
class Conn:
    id: int
    peer: tuple
    tls: bool = False
    raw: bytearray = field(default_factory=bytearray)
    n_bytes: int = 0
    requests: list = field(default_factory=list)
    closed: bool = False
    last_rx: float = 0.0
    tls_error: str = ""


@dataclass
class Reply:
    status: int = 200
    reason: str = ""
    headers: list = field(default_factory=list)
    body: object = b""  # bytes, or an iterable of bytes
    length: int = None  # Content-Length for an iterable body; None → chunked or EOF
    chunked: bool = False
    close: bool = False
    raw: bytes = None  # send these exact bytes instead of building a response
    chunk_ext: bytes = b""  # extension appended to every chunk-size line
    trailers: list = field(default_factory=list)
    after_close: bool = False  # close the connection after sending (even without header)


REASONS = {200: "OK", 204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
           302: "Found", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden",
           404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable"}

# Malformed upstream responses: a proxy must not relay them as if they were fine (502).
BAD_RESPONSES = {
    "double-cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "cl-and-te": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"5\r\nhello\r\n0\r\n\r\n",
    "bad-status-line": b"HTTP/1.1 2OO OK\r\nContent-Length: 5\r\n\r\nhello",
    "obs-fold": b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello",
    "bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "space-before-colon": b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
    "nul-in-header": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 5\r\n\r\nhello",
    "not-http": b"SSH-2.0-OpenSSH_9.0\r\n\r\n",
}


class RecordingOrigin:
    def __init__(self, host="127.0.0.1", also_v6=True, ssl_context=None, name="origin",
                 port=0):
        self.host = host
        self.fixed_port = port
        self.also_v6 = also_v6
        self.ssl_context = ssl_context
        self.name = name
        self.lock = threading.Lock()
        self.connections = []
        self._all_conns = []  # also those dropped from .connections by reset()
        self.requests = []  # every request whose head arrived, in arrival order
        self._routes = []
        self._gates = {}
        self._sync_peers = {}
        self._seq = 0
        self._listeners = []
        self._stop = threading.Event()
        self._thread = None
        self._conn_socks = set()
        self.port = None

    # ---------------- lifecycle ----------------

    def start(self):
        for _ in range(1 if self.fixed_port else 20):
            socks = []
            try:
                s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s4.bind((self.host, self.fixed_port))
                socks.append(s4)
                port = s4.getsockname()[1]
                if self.also_v6:
                    s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
                    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    socks.append(s6)
                    s6.bind(("::1", port))
                break
            except OSError:
                for s in socks:
                    s.close()
        else:
            raise OSError(f"could not bind origin port {self.fixed_port or 'any'} "
                          "on 127.0.0.1 and ::1")
        for s in socks:
            s.listen(256)
            s.setblocking(False)
        self._listeners = socks
        self.port = port
        self._thread = threading.Thread(target=self._accept_loop, name=f"{self.name}-accept",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        for g in list(self._gates.values()):
            g.set()
        if self._thread:
            self._thread.join(5)
        for s in self._listeners:
            s.close()
        with self.lock:
            socks = list(self._conn_socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---------------- addressing ----------------

    @property
    def authority(self):
        return f"127.0.0.1:{self.port}"

    def url(self, path="/", host=None):
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host or '127.0.0.1'}:{self.port}{path}"

    # ---------------- recording API ----------------

    def reset(self):
        with self.lock:
            self.connections.clear()
            self.requests.clear()

    def route(self, prefix, fn):
        self._routes.insert(0, (prefix, fn))

    def gate(self, name="default"):
        with self.lock:
            return self._gates.setdefault(name, threading.Event())

    def open_gate(self, name="default"):
        self.gate(name).set()

    def find(self, path=None, complete=None):
        with self.lock:
            reqs = list(self.requests)
        out = []
        for r in reqs:
            if path is not None and r.path != path:
                continue
            if complete is not None and r.complete != complete:
                continue
            out.append(r)
        return out

    def n_connections(self):
        with self.lock:
            return len(self.connections)

    def sync(self, timeout=GUARD):
        """Make every connection that reached this origin before now visible in .connections.

        Opens a marker connection from a known source port and waits until the accept loop has
        taken it; the kernel hands out pending connections in order, so any connection attempt
        that completed before the marker has been recorded by then. The marker is not recorded."""
        fam = socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        peer = s.getsockname()
        ev = threading.Event()
        with self.lock:
            self._sync_peers[peer] = ev
        try:
            s.settimeout(timeout)
            s.connect(("127.0.0.1", self.port))
            if not ev.wait(timeout):
                raise AssertionError(f"{self.name}: sync marker connection was never accepted")
        finally:
            s.close()
            with self.lock:
                self._sync_peers.pop(peer, None)
        if self.also_v6:
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s6.bind(("::1", 0))
            peer6 = s6.getsockname()[:2]
            ev6 = threading.Event()
            with self.lock:
                self._sync_peers[peer6] = ev6
            try:
                s6.settimeout(timeout)
                s6.connect(("::1", self.port))
                if not ev6.wait(timeout):
                    raise AssertionError(f"{self.name}: v6 sync marker was never accepted")
            finally:
                s6.close()
                with self.lock:
                    self._sync_peers.pop(peer6, None)

    def settle(self, quiet=0.3, timeout=GUARD):
        """Wait until no connection has received bytes for `quiet` seconds (collection only)."""
        self.sync(timeout)

        def calm():
            with self.lock:
                last = max((c.last_rx for c in self._all_conns), default=0.0)
            return time.monotonic() - last >= quiet

        wait_until(calm, timeout, what=f"{self.name} to stop receiving")

    def assert_untouched(self, why=""):
        """Assert that no connection at all reached this origin (after a sync)."""
        self.sync()
        with self.lock:
            conns = list(self.connections)
        assert not conns, (
            f"{self.name} received {len(conns)} connection(s) but should have received none"
            f"{' (' + why + ')' if why else ''}; first bytes: "
            f"{bytes(conns[0].raw[:200])!r}")

    # ---------------- server internals ----------------

    def _accept_loop(self):
        sel = selectors.DefaultSelector()
        for s in self._listeners:
            sel.register(s, selectors.EVENT_READ)
        while not self._stop.is_set():
            for key, _ in sel.select(0.1):
                try:
                    cs, peer = key.fileobj.accept()
                except (BlockingIOError, OSError):
                    continue
                peer = tuple(peer[:2])
                with self.lock:
                    ev = self._sync_peers.get(peer)
                if ev is not None:
                    cs.close()
                    ev.set()
                    continue
                with self.lock:
                    self._seq += 1
                    c = Conn(id=self._seq, peer=peer, tls=self.ssl_context is not None,
                             last_rx=time.monotonic())
                    self.connections.append(c)
                    self._all_conns.append(c)
                    self._conn_socks.add(cs)
                t = threading.Thread(target=self._serve, args=(cs, c), daemon=True,
                                     name=f"{self.name}-conn{c.id}")
                t.start()
        sel.close()

    def _serve(self, sock, c):
        try:
            sock.setblocking(True)  # may race with stop() closing the socket: EBADF is fine
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    c.tls_error = str(e)
                    return
            _ConnHandler(self, sock, c).run()
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        finally:
            c.closed = True
            try:
                sock.close()
            except OSError:
                pass
            with self.lock:
                self._conn_socks.discard(sock)

    def _dispatch(self, req):
        for prefix, fn in self._routes:
            if req.path.startswith(prefix):
                return fn(req)
        return default_route(self, req)


class _ConnHandler:
    def __init__(self, origin, sock, c):
        self.o = origin
        self.sock = sock
        self.c = c
        self.buf = bytearray()

    def _recv(self):
        d = self.sock.recv(262144)
        if d:
            self.c.n_bytes += len(d)
            self.c.last_rx = time.monotonic()
            room = RAW_KEEP - len(self.c.raw)
            if room > 0:
                self.c.raw += d[:room]
        return d

    def _fill(self):
        d = self._recv()
        if not d:
            return False
        self.buf += d
        return True

    def _line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return line
            if len(self.buf) > 1 << 16:
                raise ValueError("line too long")
            if not self._fill():
                raise EOFError

    def run(self):
        idx = 0
        while True:
            # ---- head ----
            while True:
                i = self.buf.find(b"\r\n\r\n")
                if i >= 0:
                    break
                if len(self.buf) > 1 << 20:
                    return
                if not self._fill():
                    return
            head = bytes(self.buf[: i + 4])
            del self.buf[: i + 4]
            req = Request(conn_id=self.c.id, index=idx, raw_head=head)
            idx += 1
            with self.o.lock:
                self.c.requests.append(req)
                self.o.requests.append(req)
            if not self._parse_head(req):
                return
            if req.header("expect", "").lower() == "100-continue":
                self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            h = hashlib.sha256()
            try:
                self._read_body(req, h)
            except (EOFError, ValueError) as e:
                req.error = req.error or f"body: {e!r}"
                return
            req.body_sha256 = h.hexdigest()
            req.complete = True
            reply = self.o._dispatch(req)
            keep = self._send(req, reply)
            if not keep:
                return

    def _parse_head(self, req):
        lines = req.raw_head[:-4].split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ")
        if len(parts) != 3:
            req.error = "bad request line"
            return False
        req.method, req.target, req.version = parts
        for ln in lines[1:]:
            name, sep, value = ln.decode("latin-1").partition(":")
            if not sep:
                req.error = f"bad header line {ln!r}"
                return False
            req.headers.append((name, value.strip(" \t")))
        te = [v.strip().lower() for v in ",".join(req.header_all("transfer-encoding")).split(",")
              if v.strip()]
        cl = req.header_all("content-length")
        if te:
            req.framing = "chunked" if te == ["chunked"] else "invalid"
            if cl:
                req.framing = "invalid"
        elif cl:
            if len(cl) != 1 or not cl[0].isdigit():
                req.framing = "invalid"
            else:
                req.framing = "length"
        if req.framing == "invalid":
            req.error = "ambiguous framing at origin"
            return False
        return True

    def _keep(self, req, data, h):
        req.body_len += len(data)
        h.update(data)
        room = BODY_KEEP - len(req.body)
        if room > 0:
            req.body += data[:room]

    def _read_body(self, req, h):
        if req.framing == "length":
            left = int(req.header("content-length"))
            while left > 0:
                if not self.buf and not self._fill():
                    raise EOFError
                take = min(left, len(self.buf))
                self._keep(req, bytes(self.buf[:take]), h)
                del self.buf[:take]
                left -= take
        elif req.framing == "chunked":
            while True:
                line = self._line()
                if not line.endswith(b"\r\n"):
                    raise ValueError("bare LF in chunk size line")
                size_s, _, ext = line[:-2].partition(b";")
                if ext:
                    req.chunk_extensions.append(ext)
                size = int(size_s, 16)
                req.chunk_sizes.append(size)
                if size == 0:
                    while True:
                        t = self._line()
                        if t == b"\r\n":
                            return
                        req.trailers.append(t[:-2])
                left = size
                while left > 0:
                    if not self.buf and not self._fill():
                        raise EOFError
                    take = min(left, len(self.buf))
                    self._keep(req, bytes(self.buf[:take]), h)
                    del self.buf[:take]
                    left -= take
                if self._line() != b"\r\n":
                    raise ValueError("chunk data not followed by CRLF")

    def _send(self, req, reply):
        """Write the reply; return True when the connection stays open for another request."""
        if reply.raw is not None:
            self.sock.sendall(reply.raw)
            req.sent_status = -1
            return False
        status = reply.status
        req.sent_status = status
        reason = reply.reason or REASONS.get(status, "Status")
        hdrs = list(reply.headers)
        client_close = any(t.strip().lower() == "close"
                           for v in req.header_all("connection") for t in v.split(","))
        http10 = req.version == "HTTP/1.0"
        close = reply.close or client_close or (
            http10 and "keep-alive" not in req.header("connection", "").lower())
        body = reply.body
        no_body = req.method == "HEAD" or status in (204, 304) or 100 <= status < 200
        if isinstance(body, (bytes, bytearray)):
            if reply.chunked:
                pieces = [bytes(body)] if body else []
            else:
                hdrs.append(("Content-Length", str(len(body))))
                pieces = [bytes(body)]
        else:
            pieces = body
            if reply.chunked:
                pass
            elif reply.length is not None:
                hdrs.append(("Content-Length", str(reply.length)))
            else:
                close = True  # EOF-delimited
        if reply.chunked:
            hdrs.append(("Transfer-Encoding", "chunked"))
        if close:
            hdrs.append(("Connection", "close"))
        head = f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")
        for k, v in hdrs:
            head += f"{k}: {v}\r\n".encode("latin-1")
        head += b"\r\n"
        self.sock.sendall(head)
        if not no_body:
            for p in pieces:
                if not p:
                    continue
                req._sent_hash.update(p)
                req.sent_len += len(p)
                if reply.chunked:
                    self.sock.sendall(b"%x%s\r\n" % (len(p), reply.chunk_ext) + p + b"\r\n")
                else:
                    self.sock.sendall(p)
            if reply.chunked:
                tr = b"".join(f"{k}: {v}\r\n".encode() for k, v in reply.trailers)
                self.sock.sendall(b"0\r\n" + tr + b"\r\n")
        if close or reply.after_close:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return False
        return True


def _json_reply(obj, status=200):
    return Reply(status=status, headers=[("Content-Type", "application/json")],
                 body=json.dumps(obj).encode())


def describe(req):
    return {
        "method": req.method,
        "target": req.target,
        "version": req.version,
        "headers": req.headers,
        "framing": req.framing,
        "body_len": req.body_len,
        "body_sha256": req.body_sha256,
        "body": bytes(req.body[:4096]).decode("latin-1"),
    }


def default_route(origin, req):
    p = req.path
    q = req.query
    if p == "/echo":
        return _json_reply(describe(req))
    if p == "/upload":
        return _json_reply({"len": req.body_len, "sha256": req.body_sha256})
    if p == "/big":
        n = int(q.get("bytes", "1048576"))
        chunked = q.get("chunked") == "1"
        return Reply(headers=[("Content-Type", "application/octet-stream")],
                     body=pattern_chunks(n), length=None if chunked else n, chunked=chunked)
    if p == "/chunked":
        n = int(q.get("n", "5"))
        size = int(q.get("size", "7"))
        pieces = [bytes([0x41 + i % 26]) * size for i in range(n)]
        return Reply(headers=[("Content-Type", "text/plain")], body=iter(pieces), chunked=True,
                     chunk_ext=b";ext=1;name=\"v\"", trailers=[("X-Trailer-Field", "t1")])
    if p == "/gated":
        half = int(q.get("half", "65536"))
        gate = origin.gate(q.get("gate", "default"))

        def gen():
            yield b"a" * half
            if not gate.wait(GUARD * 2):
                raise ConnectionError("gate never opened")
            yield b"b" * half

        return Reply(headers=[("Content-Type", "text/plain")], body=gen(), length=2 * half)
    if p == "/slow":
        n = int(q.get("n", "5"))
        ms = int(q.get("ms", "50"))

        def slow():
            for i in range(n):
                if i:
                    time.sleep(ms / 1000)
                yield bytes([0x30 + i % 10]) * 1024

        return Reply(headers=[("Content-Type", "text/plain")], body=slow(), length=1024 * n)
    if p == "/close":
        return Reply(body=b"closing\n", close=True)
    if p == "/eof":
        return Reply(headers=[("Content-Type", "text/plain")], body=iter([b"eof-delimited body\n"]))
    if p == "/hop-resp":
        return Reply(headers=[("Connection", "X-Resp-Hop"), ("X-Resp-Hop", "secret-hop"),
                              ("Keep-Alive", "timeout=5"), ("Proxy-Authenticate", "Basic"),
                              ("X-End-To-End", "kept")], body=b"hop\n")
    if p.startswith("/status/"):
        return Reply(status=int(p.rsplit("/", 1)[1]), body=b"")
    if p.startswith("/bad-resp/"):
        return Reply(raw=BAD_RESPONSES[p.rsplit("/", 1)[1]])
    return Reply(headers=[("Content-Type", "text/plain")],
                 body=f"ok {req.method} {req.target}\n".encode())


# ---------------------------------------------------------------- content codings


def _load_lib(*names):
    for n in names:
        for cand in (n, ctypes.util.find_library(n.split(".so")[0].removeprefix("lib"))):
            if not cand:
                continue
            try:
                return ctypes.CDLL(cand)
            except OSError:
                continue
    return None


_LIBS = {}


def _lib(kind):
    if kind not in _LIBS:
        if kind == "brenc":
            lib = _load_lib("libbrotlienc.so.1", "libbrotlienc.so")
            if lib is not None:
                lib.BrotliEncoderMaxCompressedSize.restype = ctypes.c_size_t
                lib.BrotliEncoderMaxCompressedSize.argtypes = [ctypes.c_size_t]
                lib.BrotliEncoderCompress.restype = ctypes.c_int
                lib.BrotliEncoderCompress.argtypes = [
                    ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_char_p,
                    ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
        elif kind == "brdec":
            lib = _load_lib("libbrotlidec.so.1", "libbrotlidec.so")
            if lib is not None:
                lib.BrotliDecoderCreateInstance.restype = ctypes.c_void_p
                lib.BrotliDecoderCreateInstance.argtypes = [ctypes.c_void_p] * 3
                lib.BrotliDecoderDestroyInstance.restype = None
                lib.BrotliDecoderDestroyInstance.argtypes = [ctypes.c_void_p]
                lib.BrotliDecoderDecompressStream.restype = ctypes.c_int
                lib.BrotliDecoderDecompressStream.argtypes = [
                    ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t),
                    ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t),
                    ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
        elif kind == "zstd":
            lib = _load_lib("libzstd.so.1", "libzstd.so")
            if lib is not None:
                lib.ZSTD_compressBound.restype = ctypes.c_size_t
                lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
                lib.ZSTD_compress.restype = ctypes.c_size_t
                lib.ZSTD_compress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                              ctypes.c_size_t, ctypes.c_int]
                lib.ZSTD_decompress.restype = ctypes.c_size_t
                lib.ZSTD_decompress.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                                ctypes.c_char_p, ctypes.c_size_t]
                lib.ZSTD_isError.restype = ctypes.c_uint
                lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        else:
            raise ValueError(kind)
        _LIBS[kind] = lib
    return _LIBS[kind]


def ae_tokens(req):
    """The content codings a request's Accept-Encoding fields name (lower case, no q=)."""
    out = set()
    for v in req.header_all("accept-encoding"):
        for part in v.split(","):
            tok = part.split(";")[0].strip().lower()
            if tok:
                out.add(tok)
    return out


def codec_missing(coding):
    """None when compress()/decompress() support coding here, else the reason (for a skip)."""
    if coding == "br":
        if _lib("brenc") is None or _lib("brdec") is None:
            return "libbrotlienc/libbrotlidec (Debian libbrotli1) not found"
    elif coding == "zstd":
        if _lib("zstd") is None:
            return "libzstd (Debian libzstd1) not found"
    elif coding not in ("gzip", "x-gzip", "deflate", "deflate-raw", "identity"):
        return f"unknown coding {coding!r}"
    return None


def compress(data, coding):
    """data encoded with a content coding: gzip, deflate (zlib-wrapped, RFC 1950), deflate-raw
    (RFC 1951, as some servers send for "deflate"), br, zstd, identity."""
    data = bytes(data)
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(data, 9, mtime=0)
    if coding == "deflate":
        return zlib.compress(data, 9)
    if coding == "deflate-raw":
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if coding == "identity":
        return data
    why = codec_missing(coding)
    if why:
        raise RuntimeError(why)
    if coding == "br":
        lib = _lib("brenc")
        cap = lib.BrotliEncoderMaxCompressedSize(len(data)) or (len(data) + 1024)
        out = ctypes.create_string_buffer(cap)
        n = ctypes.c_size_t(cap)
        # quality 11, window 22, generic mode
        if not lib.BrotliEncoderCompress(11, 22, 0, len(data), data, ctypes.byref(n), out):
            raise RuntimeError("BrotliEncoderCompress failed")
        return out.raw[: n.value]
    if coding == "zstd":
        lib = _lib("zstd")
        cap = lib.ZSTD_compressBound(len(data))
        out = ctypes.create_string_buffer(cap)
        n = lib.ZSTD_compress(out, cap, data, len(data), 19)
        if lib.ZSTD_isError(n):
            raise RuntimeError("ZSTD_compress failed")
        return out.raw[:n]
    raise ValueError(coding)


def decompress(data, coding, limit=256 << 20, partial=False):
    """Inverse of compress(). Raises ValueError when data is not a complete valid stream; with
    partial=True (gzip, deflate, br) a stream cut short gives what it decodes to so far (for
    bodies a client received only in part)."""
    data = bytes(data)
    c = (coding or "identity").strip().lower()
    try:
        if c in ("gzip", "x-gzip"):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = d.decompress(data, limit)
            if not d.eof and not partial:
                raise ValueError("gzip stream cut short")
            return out
        if c in ("deflate", "deflate-raw"):
            wbits = [zlib.MAX_WBITS, -15] if c == "deflate" else [-15]
            for i, wb in enumerate(wbits):
                d = zlib.decompressobj(wb)
                try:
                    out = d.decompress(data, limit)
                except zlib.error:
                    if i + 1 < len(wbits):
                        continue
                    raise
                if not d.eof and not partial:
                    raise ValueError("deflate stream cut short")
                return out
    except zlib.error as e:
        raise ValueError(f"{c}: {e}") from None
    if c in ("identity", ""):
        return data
    why = codec_missing(c)
    if why:
        raise RuntimeError(why)
    if c == "br":
        out, complete = _brotli_decode(data, limit)
        if not complete and not partial:
            raise ValueError("br: not a complete, valid brotli stream")
        return out
    if c == "zstd":
        lib = _lib("zstd")
        cap = max(1 << 16, 32 * len(data))
        while True:
            out = ctypes.create_string_buffer(cap)
            n = lib.ZSTD_decompress(out, cap, data, len(data))
            if not lib.ZSTD_isError(n):
                return out.raw[:n]
            if cap >= limit:
                raise ValueError("zstd: not a valid zstd frame")
            cap *= 4
    raise ValueError(f"unknown coding {coding!r}")


def _brotli_decode(data, limit):
    """(decoded bytes, complete) with libbrotlidec's streaming API; ValueError if corrupt."""
    lib = _lib("brdec")
    st = lib.BrotliDecoderCreateInstance(None, None, None)
    if not st:
        raise MemoryError("BrotliDecoderCreateInstance")
    inbuf = ctypes.create_string_buffer(data, len(data))
    outbuf = ctypes.create_string_buffer(1 << 16)
    avail_in = ctypes.c_size_t(len(data))
    next_in = ctypes.c_void_p(ctypes.addressof(inbuf))
    out = bytearray()
    try:
        while True:
            avail_out = ctypes.c_size_t(len(outbuf))
            next_out = ctypes.c_void_p(ctypes.addressof(outbuf))
            res = lib.BrotliDecoderDecompressStream(st, ctypes.byref(avail_in),
                                                    ctypes.byref(next_in),
                                                    ctypes.byref(avail_out),
                                                    ctypes.byref(next_out), None)
            out += outbuf.raw[: len(outbuf) - avail_out.value]
            if len(out) > limit:
                raise ValueError("br: output over the limit")
            if res == 1:  # SUCCESS
                if avail_in.value:
                    raise ValueError("br: bytes after the end of the stream")
                return bytes(out), True
            if res == 3:  # NEEDS_MORE_OUTPUT
                continue
            if res == 2:  # NEEDS_MORE_INPUT: the stream was cut short
                return bytes(out), False
            raise ValueError("br: not a valid brotli stream")
    finally:
        lib.BrotliDecoderDestroyInstance(st)


# ---------------------------------------------------------------- gated streams and SSE


def gated_pieces(origin, steps, guard=GUARD * 2):
    """Yield the bytes steps in order. A str step is a gate name: wait until the test calls
    origin.open_gate(name) (origin.stop() opens every gate). A gate that never opens within the
    guard raises ConnectionError, which closes the connection."""
    for s in steps:
        if isinstance(s, str):
            if not origin.gate(s).wait(guard):
                raise ConnectionError(f"gate {s!r} never opened")
            continue
        yield bytes(s)


def sse_event(data, event=None, id=None, eol="\n", space=True):
    """One event: `data` (str; each of its lines becomes a data field), then a blank line."""
    sp = " " if space else ""
    out = ""
    if event is not None:
        out += f"event:{sp}{event}{eol}"
    if id is not None:
        out += f"id:{sp}{id}{eol}"
    for line in data.split("\n"):
        out += f"data:{sp}{line}{eol}"
    return (out + eol).encode("utf-8")


def _gzip_stream(pieces):
    """gzip-encode an iterable of pieces, flushing (Z_SYNC_FLUSH) after each one."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for p in pieces:
        yield c.compress(p) + c.flush(zlib.Z_SYNC_FLUSH)
    yield c.flush(zlib.Z_FINISH)


def sse_reply(origin, steps, coding=None, headers=(), ctype="text/event-stream; charset=utf-8"):
    """A chunked text/event-stream Reply sending steps (bytes pieces and gate names, see
    gated_pieces) as they come; with coding="gzip" the stream is gzip-encoded piece by piece."""
    pieces = gated_pieces(origin, steps)
    hdrs = [("Content-Type", ctype), ("Cache-Control", "no-cache")]
    if coding == "gzip":
        pieces = _gzip_stream(pieces)
        hdrs.append(("Content-Encoding", "gzip"))
    elif coding is not None:
        raise ValueError(f"sse_reply: unsupported coding {coding!r}")
    return Reply(headers=hdrs + list(headers), body=pieces, chunked=True)
