"""Running the real pipelock binary: config, start, readiness, audit events, stop."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from . import rawhttp
from .util import GUARD, free_port, is_asan, pipelock_bin, wait_until
from .yamlw import deep_merge, dump

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "WARNING: ThreadSanitizer")

STARTUP_GUARD = GUARD * (3 if is_asan() else 1)


def base_config(dns_addr=None, allow_loopback=True):
    """The config every proxy in the suite starts from.

    - forward proxy on (the feature under test);
    - DNS pointed at the suite's fake resolver, so no lookup ever leaves the machine;
    - the per-domain rate limit raised out of the way (the suite makes many requests to
      127.0.0.1; the default 60/min would turn later requests into 429s);
    - with allow_loopback, loopback origins are exempted from SSRF checks."""
    cfg = {
        "forward_proxy": {"enabled": True},
        "fetch_proxy": {"monitoring": {"max_requests_per_minute": 1000000}},
    }
    if dns_addr:
        cfg["dns"] = {"resolvers": [dns_addr], "timeout_ms": 2000}
    if allow_loopback:
        cfg["ssrf"] = {"ip_allowlist": ["127.0.0.0/8", "::1/128"]}
    return cfg


class Pipelock:
    def __init__(self, workdir, config=None, config_text=None, extra_args=(), port=None,
                 env=None, name="pipelock", stdin=None):
        self.bin = pipelock_bin()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.config = config
        self.config_text = config_text if config_text is not None else dump(config or {})
        self.config_path = self.workdir / f"{name}.yaml"
        self.stdout_path = self.workdir / f"{name}.stdout.jsonl"
        self.stderr_path = self.workdir / f"{name}.stderr.txt"
        self.extra_args = list(extra_args)
        self.port = port
        self.env = env
        self.stdin = stdin  # a file descriptor (e.g. a pty for the ask approver), or /dev/null
        self.proc = None
        self.rc = None

    # ---------------- lifecycle ----------------

    @property
    def argv(self):
        return [str(self.bin), "run", "--config", str(self.config_path), "--listen",
                f"127.0.0.1:{self.port}", *self.extra_args]

    def start(self):
        if not self.bin.exists():
            raise AssertionError(f"pipelock binary not found at {self.bin} (set PIPELOCK_BIN or "
                                 "build it with `make`)")
        self.config_path.write_text(self.config_text)
        last_err = None
        for _attempt in range(3):
            if self.port is None or _attempt:
                self.port = free_port()
            out = open(self.stdout_path, "wb")
            err = open(self.stderr_path, "wb")
            env = dict(os.environ)
            if self.env:
                env.update(self.env)
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL if self.stdin is None else self.stdin,
                                         env=env,
                                         cwd=str(self.workdir))
            out.close()
            err.close()
            try:
                self.wait_ready()
                return self
            except _PortRace as e:  # someone took the port between free_port() and bind
                last_err = e
                continue
        raise AssertionError(f"pipelock could not bind a port: {last_err}")

    def wait_ready(self):
        deadline = time.monotonic() + STARTUP_GUARD
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.rc = rc
                err = self.stderr_text()
                if "in use" in err.lower() and str(self.port) in err:
                    raise _PortRace(err)
                raise AssertionError(
                    f"pipelock exited with {rc} before becoming ready.\n"
                    f"argv: {self.argv}\nconfig:\n{self.config_text}\n"
                    f"stderr:\n{err[-4000:]}\nstdout:\n{self.stdout_text()[-2000:]}")
            try:
                r = rawhttp.get(self.port, "/health", timeout=2)
                if r.status == 200:
                    return
            except (OSError, rawhttp.Closed, AssertionError):
                pass
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"pipelock did not answer /health 200 within "
                                     f"{STARTUP_GUARD}s.\nstderr:\n{self.stderr_text()[-4000:]}")
            time.sleep(0.02)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=GUARD):
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"pipelock did not exit within {timeout}s of the signal")
        return self.rc

    def stop(self, expect_rc=0):
        """SIGTERM, wait, and check the exit code and the sanitizer output."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.wait_exit()
        self.check_sanitizers()
        if expect_rc is not None:
            assert rc == expect_rc, (f"pipelock exited with {rc}, expected {expect_rc}; "
                                     f"stderr:\n{self.stderr_text()[-4000:]}")
        return rc

    def check_sanitizers(self):
        err = self.stderr_text()
        for m in SANITIZER_MARKERS:
            assert m not in err, f"sanitizer report in pipelock stderr:\n{err[-8000:]}"

    # ---------------- addressing ----------------

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    proxy_url = url

    # ---------------- output ----------------

    def stdout_text(self):
        return self.stdout_path.read_bytes().decode("utf-8", "replace") \
            if self.stdout_path.exists() else ""

    def stderr_text(self):
        return self.stderr_path.read_bytes().decode("utf-8", "replace") \
            if self.stderr_path.exists() else ""

    def stdout_lines(self):
        """Complete stdout lines (a trailing partial line is left out)."""
        t = self.stdout_text()
        if t and not t.endswith("\n"):
            t = t[: t.rfind("\n") + 1]
        return [ln for ln in t.split("\n") if ln.strip()]

    def events(self, event=None, **match):
        out = []
        for ln in self.stdout_lines():
            try:
                ev = json.loads(ln)
            except ValueError:
                continue
            if not isinstance(ev, dict):
                continue
            if event is not None and ev.get("event") != event:
                continue
            if all(ev.get(k) == v for k, v in match.items()):
                out.append(ev)
        return out

    def wait_event(self, event, pred=None, timeout=GUARD, **match):
        """Wait until an audit event matching appears; returns it (audit lines may be written
        after the response, e.g. tunnel_close)."""

        def find():
            for ev in self.events(event, **match):
                if pred is None or pred(ev):
                    return ev
            return None

        try:
            return wait_until(find, timeout, interval=0.02, what=f"audit event {event} {match}")
        except AssertionError:
            raise AssertionError(f"no audit event {event!r} matching {match} within {timeout}s; "
                                 f"events seen: {[e.get('event') for e in self.events()]}\n"
                                 f"stdout tail:\n{self.stdout_text()[-3000:]}")

    # ---------------- process facts ----------------

    def proc_status(self):
        """VmRSS/VmHWM etc. from /proc/<pid>/status, in KiB."""
        out = {}
        for ln in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            m = re.match(r"(Vm\w+|Threads):\s+(\d+)", ln)
            if m:
                out[m.group(1)] = int(m.group(2))
        return out

    def health(self):
        r = rawhttp.get(self.port, "/health")
        assert r.status == 200, f"/health returned {r.status}: {r.text}"
        return json.loads(r.body)


class _PortRace(Exception):
    pass


class PipelockFactory:
    """Starts proxies for a test (or a module) and stops every one of them at the end."""

    def __init__(self, tmp_path, dns=None):
        self.tmp_path = Path(tmp_path)
        self.dns = dns
        self.started = []

    def config(self, overrides=None, allow_loopback=True, dns=True):
        cfg = base_config(self.dns.addr if (dns and self.dns) else None, allow_loopback)
        return deep_merge(cfg, overrides or {})

    def __call__(self, overrides=None, allow_loopback=True, dns=True, config_text=None,
                 extra_args=(), env=None, start=True, stdin=None):
        """Start pipelock with base_config() merged with overrides (None values delete keys).

        config_text, when given, is used verbatim instead."""
        n = len(self.started)
        cfg = None if config_text is not None else self.config(overrides, allow_loopback, dns)
        p = Pipelock(self.tmp_path / f"pipelock{n}", config=cfg, config_text=config_text,
                     extra_args=extra_args, env=env, name="pipelock", stdin=stdin)
        self.started.append(p)
        if start:
            p.start()
        return p

    def close(self):
        """Stop every proxy still running; report exit-code and sanitizer problems together."""
        problems = []
        for p in self.started:
            if p.proc is None:
                continue
            try:
                if p.proc.poll() is None:
                    p.stop(expect_rc=0)
                else:
                    if p.rc is None:  # nobody signalled it: it died during the test
                        problems.append(f"pipelock exited by itself during the test with "
                                        f"{p.proc.returncode}; stderr:\n"
                                        f"{p.stderr_text()[-4000:]}")
                    p.check_sanitizers()
            except AssertionError as e:
                problems.append(str(e))
        self.started = []
        if problems:
            raise AssertionError("\n\n".join(problems))
