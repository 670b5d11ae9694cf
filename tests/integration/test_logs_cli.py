"""`pipelock logs`: the tail of the audit log, filtered by kind, event and agent, and -f."""

import json
import subprocess
import time

import requests

from pltest.util import GUARD, pipelock_bin


def pl(*args, timeout=GUARD):
    return subprocess.run([str(pipelock_bin()), "logs", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def events(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def make_log(pipelock, origin, tmp_path):
    log = tmp_path / "audit.jsonl"
    p = pipelock({"logging": {"output": "file", "file": str(log)}})
    prox = {"http": p.url}
    for agent in ("alpha", "beta", "alpha"):
        r = requests.get(origin.url("/ok"), proxies=prox, headers={"X-Pipelock-Agent": agent},
                         timeout=10)
        assert r.status_code == 200
    for agent in ("alpha", "beta"):
        r = requests.get("http://example.com/?k=AKIAIOSFODNN7EXAMPLE", proxies=prox,
                         headers={"X-Pipelock-Agent": agent}, timeout=10)
        assert r.status_code == 403
    p.stop()
    return p, log


def test_tail_filters_by_kind_event_and_agent(pipelock, origin, tmp_path):
    p, log = make_log(pipelock, origin, tmp_path)
    allev = events(log.read_text())
    assert len(allev) >= 7  # startup, 3 forward_http, 2 blocked, shutdown

    r = pl("--file", log, "-n", "0", "--filter", "blocked")
    assert r.returncode == 0, r.stderr
    got = events(r.stdout)
    assert [e["event"] for e in got] == ["blocked", "blocked"]
    assert [e["agent"] for e in got] == ["alpha", "beta"]

    r = pl("--file", log, "-n", "1", "--filter", "blocked")
    assert [e["agent"] for e in events(r.stdout)] == ["beta"]

    r = pl("--file", log, "-n", "0", "--filter", "allowed", "--agent", "alpha")
    got = events(r.stdout)
    assert [e["event"] for e in got] == ["forward_http", "forward_http"]

    r = pl("--file", log, "-n", "0", "--event", "startup")
    assert [e["event"] for e in events(r.stdout)] == ["startup"]

    # Without a filter: the last N lines as they are.
    r = pl("--file", log, "-n", "2")
    assert r.stdout.splitlines() == log.read_text().splitlines()[-2:]

    # The config's logging.file is the default source.
    r = pl("-c", p.config_path, "-n", "0", "--filter", "blocked,error")
    assert r.returncode == 0, r.stderr
    assert len(events(r.stdout)) == 2


def test_follow_prints_new_lines_across_rotation(tmp_path):
    log = tmp_path / "a.jsonl"
    log.write_text('{"event":"blocked","n":1}\n{"event":"forward_http","n":2}\n')
    proc = subprocess.Popen([str(pipelock_bin()), "logs", "--file", str(log), "-n", "1", "-f",
                             "--filter", "blocked"], stdout=subprocess.PIPE, text=True)
    try:
        def wait_lines(k):
            seen = []
            deadline = time.monotonic() + GUARD
            while len(seen) < k and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if line:
                    seen.append(json.loads(line)["n"])
            return seen

        assert wait_lines(1) == [1]
        with log.open("a") as f:
            f.write('{"event":"forward_http","n":3}\n{"event":"blocked"')  # half a line
            f.flush()
            time.sleep(0.3)
            f.write(',"n":4}\n')
        assert wait_lines(1) == [4]
        log.rename(tmp_path / "a.jsonl.1")
        log.write_text('{"event":"blocked","n":5}\n')
        assert wait_lines(1) == [5]
    finally:
        proc.terminate()
        assert proc.wait(timeout=GUARD) == 0


def test_usage_errors_and_missing_file(tmp_path):
    assert pl("--filter", "nonsense", "--file", tmp_path / "x").returncode == 2
    assert pl("-n", "-3", "--file", tmp_path / "x").returncode == 2
    assert pl().returncode == 2
    r = pl("--file", tmp_path / "missing.jsonl")
    assert r.returncode == 1 and "cannot open" in r.stderr
    cfg = tmp_path / "c.yaml"
    cfg.write_text("logging:\n  output: stdout\n")
    r = pl("-c", cfg)
    assert r.returncode == 1 and "no logging.file" in r.stderr
