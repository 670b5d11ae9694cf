"""Client helpers shared by the test modules (real clients configured to use the proxy)."""

import json
import shutil
import subprocess

import h11
import httpx
import requests

from pltest import rawhttp
from pltest.util import GUARD, clean_env


def requests_session(proxy, verify=True):
    s = requests.Session()
    s.trust_env = False  # ignore *_proxy / NO_PROXY from the environment
    s.proxies = {"http": proxy.url, "https": proxy.url}
    s.verify = verify
    return s


def httpx_client(proxy, verify=True):
    kw = dict(trust_env=False, verify=verify, timeout=GUARD)
    try:
        return httpx.Client(proxy=proxy.url, **kw)  # httpx >= 0.26
    except TypeError:
        return httpx.Client(proxies=proxy.url, **kw)  # older httpx (Debian 12 ships 0.23)


def curl(*args, timeout=GUARD * 2):
    """Run curl with a clean environment; returns CompletedProcess (bytes)."""
    return subprocess.run(["curl", "-sS", "--max-time", str(int(GUARD)), *args],
                          capture_output=True, env=clean_env(), timeout=timeout)


NODE = shutil.which("node") or shutil.which("nodejs")

NODE_SCRIPT = r"""
const http = require('http');
const [proxyPort, url, host] = process.argv.slice(1);
const req = http.request({host: '127.0.0.1', port: Number(proxyPort), method: 'GET', path: url,
                          headers: {Host: host, 'X-Client': 'node'}}, (res) => {
  const chunks = [];
  res.on('data', (d) => chunks.push(d));
  res.on('end', () => {
    console.log(JSON.stringify({status: res.statusCode,
                                body: Buffer.concat(chunks).toString('latin1')}));
  });
});
req.on('error', (e) => { console.error(String(e)); process.exit(2); });
req.end();
"""


def node_get(proxy, url, host):
    p = subprocess.run([NODE, "-e", NODE_SCRIPT, str(proxy.port), url, host],
                       capture_output=True, text=True, env=clean_env(), timeout=GUARD * 2)
    assert p.returncode == 0, f"node failed: {p.stderr}"
    return json.loads(p.stdout)


class H11Client:
    """A strict client: h11 parses the proxy's responses and fails on any framing error."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = rawhttp.connect(port, host=host)
        self.conn = h11.Connection(h11.CLIENT)
        self.raw_in = bytearray()

    def request(self, method, target, headers, body=b""):
        out = self.conn.send(h11.Request(method=method, target=target, headers=headers))
        if body:
            out += self.conn.send(h11.Data(data=body))
        out += self.conn.send(h11.EndOfMessage())
        self.sock.sendall(out)
        return self.read()

    def read(self):
        """Return (h11.Response, body bytes, trailers)."""
        resp = None
        body = bytearray()
        while True:
            ev = self.conn.next_event()
            if ev is h11.NEED_DATA:
                d = self.sock.recv(65536)
                self.raw_in += d
                self.conn.receive_data(d)
                continue
            if isinstance(ev, h11.Response):
                resp = ev
            elif isinstance(ev, h11.Data):
                body += ev.data
            elif isinstance(ev, h11.EndOfMessage):
                trailers = ev.headers
                if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
                    try:
                        self.conn.start_next_cycle()
                    except h11.LocalProtocolError:
                        pass
                return resp, bytes(body), trailers
            elif isinstance(ev, h11.ConnectionClosed):
                raise AssertionError("connection closed before the response ended")

    def close(self):
        self.sock.close()


def hdr(resp, name):
    """A header value from an h11 Response (str) or None."""
    n = name.lower().encode()
    for k, v in resp.headers:
        if k.lower() == n:
            return v.decode("latin-1")
    return None
