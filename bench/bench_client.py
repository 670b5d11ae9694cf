#!/usr/bin/python3
"""HTTP client helpers for bench/run.sh (standard library only; run with /usr/bin/python3).

  bench_client.py ports BASE N
      Print N free TCP ports on 127.0.0.1, trying BASE, BASE+1, ...

  bench_client.py wait HOST:PORT SECONDS [PID]
      Wait until HOST:PORT accepts a TCP connection. Exit 1 on timeout, 2 if PID has exited.

  bench_client.py rss PID...
      Print the VmRSS (KB) of the PIDs and all their descendants, summed.

  bench_client.py check HOST:PORT URL SIZE [--proxy]
      Send one keep-alive GET and verify status 200 and a body of exactly SIZE bytes.
      Without --proxy the request line is origin-form (path of URL); with --proxy it is the
      absolute-form URL, sent to HOST:PORT as a forward proxy. Exit 0 when the response is
      right, 1 otherwise; prints one line saying what was received.

  bench_client.py idle HOST:PORT URL SIZE N [--proxy] [--pids PID,...] [--settle S]
      Open N connections to HOST:PORT, send one keep-alive GET on each and read the full
      response, keep all of them open and idle, wait S seconds (default 1), read VmRSS of
      each PID and of its child processes (summed), check the connections are still open,
      close them, and print one machine-readable line:
        IDLE_RESULT opened=N ok=N still_open=N rss_kb=N elapsed_s=F
      Exit 0 when every connection was opened, answered 200 with SIZE bytes, and still open.
"""

import os
import socket
import sys
import time

TIMEOUT = 10.0  # seconds, per socket operation


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


def request_bytes(url, proxy):
    if not url.startswith("http://"):
        raise SystemExit("url must be http://...: " + url)
    rest = url[len("http://"):]
    host, slash, path = rest.partition("/")
    path = "/" + path
    target = url if proxy else path
    return (
        "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pipelock-bench\r\n"
        "Accept: */*\r\nConnection: keep-alive\r\n\r\n" % (target, host)
    ).encode("ascii")


class Response:
    """Incremental HTTP/1.1 response reader (Content-Length or chunked)."""

    def __init__(self):
        self.buf = b""
        self.status = None
        self.headers = {}
        self.body = b""
        self.done = False
        self._head_done = False
        self._length = None
        self._chunked = False

    def feed(self, data):
        self.buf += data
        if not self._head_done:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1").split("\r\n")
            self.buf = self.buf[end + 4:]
            self._head_done = True
            parts = head[0].split(" ", 2)
            self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
            for line in head[1:]:
                k, _, v = line.partition(":")
                self.headers[k.strip().lower()] = v.strip()
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                self._chunked = True
            elif "content-length" in self.headers:
                self._length = int(self.headers["content-length"])
        if self._chunked:
            self._feed_chunked()
        elif self._length is not None:
            if len(self.buf) >= self._length:
                self.body, self.buf = self.buf[: self._length], self.buf[self._length:]
                self.done = True
        # no length and not chunked: body runs to close; handled by caller on EOF

    def _feed_chunked(self):
        while True:
            line_end = self.buf.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.buf[:line_end].split(b";")[0], 16)
            if size == 0:
                # last chunk: done at the empty line that ends the (optional) trailers
                if (self.buf[line_end + 2:line_end + 4] == b"\r\n"
                        or self.buf.find(b"\r\n\r\n", line_end + 2) >= 0):
                    self.done = True
                return
            if len(self.buf) < line_end + 2 + size + 2:
                return
            self.body += self.buf[line_end + 2:line_end + 2 + size]
            self.buf = self.buf[line_end + 2 + size + 2:]

    def eof(self):
        if self._head_done and not self._chunked and self._length is None:
            self.body, self.buf = self.buf, b""
            self.done = True


def exchange(sock, req):
    """Send req on a blocking socket and read one response."""
    sock.sendall(req)
    resp = Response()
    while not resp.done:
        data = sock.recv(65536)
        if not data:
            resp.eof()
            break
        resp.feed(data)
    return resp


def describe(resp):
    return "status=%s body_bytes=%d content-type=%s connection=%s via=%s" % (
        resp.status, len(resp.body), resp.headers.get("content-type", "-"),
        resp.headers.get("connection", "-"), resp.headers.get("via", "-"))


def cmd_ports(base, n):
    found = []
    port = base
    while len(found) < n and port < 65535:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            found.append(port)
        except OSError:
            pass
        finally:
            s.close()
        port += 1
    if len(found) < n:
        return 1
    print(" ".join(str(p) for p in found))
    return 0


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cmd_wait(hostport, seconds, pid=None):
    host, port = parse_hostport(hostport)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pid is not None and not alive(pid):
            return 2
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return 0
        except OSError:
            time.sleep(0.05)
    return 1


def cmd_check(hostport, url, size, proxy):
    host, port = parse_hostport(hostport)
    req = request_bytes(url, proxy)
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT) as s:
            s.settimeout(TIMEOUT)
            resp = exchange(s, req)
    except OSError as e:
        print("check: %s: %s" % (hostport, e))
        return 1
    print("check: " + describe(resp))
    return 0 if resp.status == 200 and len(resp.body) == size else 1


def vmrss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def rss_tree_kb(pids):
    total = 0
    seen = set()
    todo = list(pids)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += vmrss_kb(p)
        todo += children(p)
    return total


def still_open(sock):
    """True when the peer has not closed the connection (nothing to read, no EOF)."""
    sock.setblocking(False)  # with a timeout set, Python would poll before recv
    try:
        data = sock.recv(1, socket.MSG_PEEK)
        return len(data) > 0  # unexpected bytes, but the connection is open
    except BlockingIOError:
        return True
    except OSError:
        return False


def cmd_idle(hostport, url, size, n, proxy, pids, settle):
    host, port = parse_hostport(hostport)
    req = request_bytes(url, proxy)
    socks = []
    ok = 0
    first_err = None
    t0 = time.monotonic()
    # Sequential blocking connect + request + response per connection: simple, and each
    # connection sends its request immediately, so no server header timeout can fire.
    for _ in range(n):
        try:
            s = socket.create_connection((host, port), timeout=TIMEOUT)
            s.settimeout(TIMEOUT)
            socks.append(s)
            resp = exchange(s, req)
            if resp.status == 200 and len(resp.body) == size:
                ok += 1
            elif first_err is None:
                first_err = describe(resp)
        except OSError as e:
            if first_err is None:
                first_err = str(e)
    elapsed = time.monotonic() - t0
    time.sleep(settle)
    rss = rss_tree_kb(pids)
    n_open = sum(1 for s in socks if still_open(s))
    for s in socks:
        s.close()
    if first_err:
        print("idle: first problem: " + first_err)
    print("IDLE_RESULT opened=%d ok=%d still_open=%d rss_kb=%d elapsed_s=%.2f"
          % (len(socks), ok, n_open, rss, elapsed))
    sys.stdout.flush()
    return 0 if ok == n and n_open == n else 1


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    proxy = "--proxy" in args
    args = [a for a in args if a != "--proxy"]
    if cmd == "ports":
        return cmd_ports(int(args[0]), int(args[1]))
    if cmd == "wait":
        pid = int(args[2]) if len(args) > 2 and args[2] else None
        return cmd_wait(args[0], float(args[1]), pid)
    if cmd == "rss":
        print(rss_tree_kb([int(p) for p in args]))
        return 0
    if cmd == "check":
        return cmd_check(args[0], args[1], int(args[2]), proxy)
    if cmd == "idle":
        pids, settle = [], 1.0
        rest = args[4:]
        while rest:
            if rest[0] == "--pids":
                pids = [int(p) for p in rest[1].split(",") if p]
                rest = rest[2:]
            elif rest[0] == "--settle":
                settle = float(rest[1])
                rest = rest[2:]
            else:
                raise SystemExit("unknown argument: " + rest[0])
        return cmd_idle(args[0], args[1], int(args[2]), int(args[3]), proxy, pids, settle)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
