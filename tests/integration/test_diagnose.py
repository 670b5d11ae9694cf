"""`pipelock diagnose`: a config checked end to end on loopback only.

diagnose forks pipelock with the config on a free loopback port (forward proxy on, SSRF relaxed
for 127/8, no log file, no sinks, no other listeners) next to a mock upstream on a loopback
thread, and runs the requests an agent makes through it. Nothing here leaves loopback: every
URL diagnose fetches is an IP literal on 127.0.0.1, and every config written here also points
DNS at a closed loopback port.
"""

import json
import os
import re
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from pltest.proc import SANITIZER_MARKERS
from pltest.util import GUARD, clean_env, is_asan, pipelock_bin
from pltest.yamlw import dump

RUN_GUARD = GUARD * (3 if is_asan() else 1)

ROWS = ["config", "health", "fetch_allowed", "fetch_blocked", "fetch_hint", "forward_allowed",
        "forward_blocked", "response_injection", "rules", "scanning_dlp", "scanning_injection",
        "scanning_policy"]

DEFAULT_STATUS = {
    "config": "pass", "health": "pass", "fetch_allowed": "pass", "fetch_blocked": "pass",
    "fetch_hint": "not_applicable", "forward_allowed": "pass", "forward_blocked": "pass",
    "response_injection": "warn", "rules": "skip", "scanning_dlp": "pass",
    "scanning_injection": "pass", "scanning_policy": "skip",
}

ROW_RE = re.compile(r"^  (PASS|FAIL|WARN|SKIP|N/A )  (\S+)\s+(.*)$")
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) warnings, (\d+) skipped$", re.M)
LABEL = {"PASS": "pass", "FAIL": "fail", "WARN": "warn", "SKIP": "skip", "N/A ": "not_applicable"}

# A child process that makes itself a subreaper, runs the command, and lists what is left of
# its descendants once the command has exited (orphans are re-parented to it). It kills (and
# reaps) whatever it adopted, so a leak does not outlive the test either.
SUBREAPER = r'''
import ctypes, json, os, signal, subprocess, sys, tempfile
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
# Files, not pipes: a leaked process holding a pipe would keep us waiting for EOF.
with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
    rc = subprocess.call(sys.argv[1:], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    out.seek(0); err.seek(0)
    stdout, stderr = out.read(), err.read()
me = os.getpid()
left = []
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open(f"/proc/{d}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{d}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        continue
    if int(rest[1]) == me:
        left.append({"pid": int(d), "state": rest[0], "cmdline": cmd})
for p in left:
    try:
        os.kill(p["pid"], signal.SIGKILL)
        os.waitpid(p["pid"], 0)
    except OSError:
        pass
print(json.dumps({"rc": rc, "stdout": stdout, "stderr": stderr, "left": left}))
'''


def _san_env(logdir):
    """Under a sanitizer build, send reports to files: diagnose's forked child writes its
    stderr to /dev/null, so a report from it would otherwise be lost."""
    env = clean_env()
    if is_asan():
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            opts = env.get(var, "")
            env[var] = (opts + ":" if opts else "") + f"log_path={logdir}/san"
    return env


def _check_san(logdir, stderr):
    for m in SANITIZER_MARKERS:
        assert m not in stderr, f"sanitizer report on stderr:\n{stderr[-8000:]}"
    for f in Path(logdir).glob("san*"):
        text = f.read_text(errors="replace")
        assert not any(m in text for m in SANITIZER_MARKERS), f"sanitizer report {f}:\n{text}"


def pl(*args, cwd=None):
    b = pipelock_bin()
    assert b.exists(), f"pipelock binary not found at {b}"
    with tempfile.TemporaryDirectory(prefix="pl-diag-san-") as logdir:
        r = subprocess.run([str(b), *map(str, args)], capture_output=True, text=True,
                           timeout=RUN_GUARD, cwd=cwd, stdin=subprocess.DEVNULL,
                           env=_san_env(logdir))
        _check_san(logdir, r.stderr)
    return r


def diagnose_json(*args):
    r = pl("diagnose", "--json", *args)
    assert r.returncode in (0, 1), f"exit {r.returncode}: {r.stderr}"
    try:
        report = json.loads(r.stdout)
    except ValueError:
        raise AssertionError(f"not JSON: {r.stdout!r}\nstderr: {r.stderr}")
    return r, report


def statuses(report):
    return {c["name"]: c["status"] for c in report["checks"]}


def detail(report, name):
    return next(c["detail"] for c in report["checks"] if c["name"] == name)


def write_cfg(tmp_path, cfg, name="pipelock.yaml"):
    """A config file; DNS always points at a closed loopback port (no lookup can leave)."""
    cfg = dict(cfg)
    cfg.setdefault("dns", {"resolvers": ["127.0.0.1:9"]})
    f = tmp_path / name
    f.write_text(dump(cfg))
    return f


def assert_counts_agree(report):
    st = list(statuses(report).values())
    assert report["passed"] == st.count("pass")
    assert report["failed"] == st.count("fail")
    assert report["warnings"] == st.count("warn")
    assert report["skipped"] == st.count("skip") + st.count("not_applicable")
    assert report["result"] == ("fail" if st.count("fail") else "pass")


# ------------------------------------------------------------------ the default config


def test_default_config_passes_with_every_row():
    r, rep = diagnose_json()
    assert r.returncode == 0, r.stdout + r.stderr
    assert rep["result"] == "pass"
    assert [c["name"] for c in rep["checks"]] == ROWS, "rows and their order"
    assert statuses(rep) == DEFAULT_STATUS
    assert all(c["detail"] for c in rep["checks"]), "every row explains itself"
    assert "built-in defaults" in detail(rep, "config")
    assert "warn" in detail(rep, "response_injection"), "names the action that let it through"
    assert "forward proxy on" in detail(rep, "health")
    assert_counts_agree(rep)
    assert (rep["passed"], rep["failed"], rep["warnings"], rep["skipped"]) == (8, 0, 1, 3)


def test_default_config_text_report():
    r = pl("diagnose", "--no-color")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "\033[" not in r.stdout, "--no-color (and a pipe) means no escape sequences"
    lines = r.stdout.splitlines()
    assert lines[0] == "pipelock diagnose"
    rows = [ROW_RE.match(ln) for ln in lines]
    rows = [(m.group(2), LABEL[m.group(1)]) for m in rows if m]
    assert [n for n, _ in rows] == ROWS, r.stdout
    assert dict(rows) == DEFAULT_STATUS, r.stdout
    m = SUMMARY_RE.search(r.stdout)
    assert m, f"no summary line in {r.stdout!r}"
    assert m.groups() == ("8", "0", "1", "3")
    assert lines[-1] == m.group(0), "the summary is the last line"


def test_help_exits_zero():
    r = pl("diagnose", "--help")
    assert r.returncode == 0 and "Usage: pipelock diagnose" in r.stdout, r.stdout + r.stderr


# ------------------------------------------------------------------ config-dependent rows


def test_explain_blocks_gives_a_hint(tmp_path):
    r, rep = diagnose_json("-c", write_cfg(tmp_path, {"explain_blocks": True}))
    assert r.returncode == 0, r.stdout + r.stderr
    assert statuses(rep)["fetch_hint"] == "pass", detail(rep, "fetch_hint")
    assert detail(rep, "fetch_hint") != "block hint: (none)"


@pytest.mark.parametrize("action", ["block", "strip"])
def test_response_scanning_that_acts_passes(tmp_path, action):
    cfg = {"response_scanning": {"enabled": True, "action": action}}
    r, rep = diagnose_json("-c", write_cfg(tmp_path, cfg))
    assert r.returncode == 0, r.stdout + r.stderr
    assert statuses(rep)["response_injection"] == "pass", detail(rep, "response_injection")
    assert rep["warnings"] == 0


def test_response_scanning_off_is_not_applicable(tmp_path):
    cfg = {"response_scanning": {"enabled": False}}
    r, rep = diagnose_json("-c", write_cfg(tmp_path, cfg))
    assert r.returncode == 0, r.stdout + r.stderr
    st = statuses(rep)
    assert st["response_injection"] == "not_applicable"
    # The scanner still finds the injection in-process, but pages are not scanned.
    assert st["scanning_injection"] == "warn", detail(rep, "scanning_injection")
    assert_counts_agree(rep)


def test_forward_proxy_off_in_the_config_is_turned_on(tmp_path):
    cfg = {"forward_proxy": {"enabled": False}}
    r, rep = diagnose_json("-c", write_cfg(tmp_path, cfg))
    assert r.returncode == 0, r.stdout + r.stderr
    assert statuses(rep)["forward_allowed"] == "pass"
    assert statuses(rep)["forward_blocked"] == "pass"


def test_dlp_without_defaults_still_blocks_the_fake_key(tmp_path):
    """include_defaults: false drops the 48 standard patterns, but the core patterns (always
    on) still catch the AWS key: diagnose passes, and says core_dlp caught it. So a config
    whose DLP misses the key cannot be written; see the enforce tests below for a failure."""
    cfg = {"dlp": {"include_defaults": False,
                   "patterns": [{"name": "unrelated", "regex": "zzqq[0-9]{30}"}]}}
    r, rep = diagnose_json("-c", write_cfg(tmp_path, cfg))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 DLP patterns" in detail(rep, "config")
    assert statuses(rep)["fetch_blocked"] == "pass"
    assert "core_dlp" in detail(rep, "scanning_dlp")


@pytest.mark.parametrize("cfg", [{"enforce": False}, {"mode": "audit"},
                                 {"mode": "audit", "enforce": False}],
                         ids=["enforce-false", "mode-audit", "audit-preset"])
def test_a_config_that_does_not_block_fails(tmp_path, cfg):
    r, rep = diagnose_json("-c", write_cfg(tmp_path, cfg))
    assert r.returncode == 1, r.stdout + r.stderr
    assert rep["result"] == "fail"
    st = statuses(rep)
    assert st["fetch_blocked"] == "fail", detail(rep, "fetch_blocked")
    assert st["forward_blocked"] == "fail", detail(rep, "forward_blocked")
    assert "NOT BLOCKED" in detail(rep, "fetch_blocked")
    assert st["fetch_allowed"] == "pass" and st["health"] == "pass"
    assert_counts_agree(rep)
    r2 = pl("diagnose", "--no-color", "-c", tmp_path / "pipelock.yaml")
    assert r2.returncode == 1
    assert re.search(r"^  FAIL  fetch_blocked ", r2.stdout, re.M), r2.stdout
    assert re.search(r"^\d+ passed, 2 failed, ", r2.stdout, re.M), r2.stdout


@pytest.mark.parametrize("cfg", [{"enforce": False}, {"mode": "audit"}],
                         ids=["enforce-false", "mode-audit"])
def test_scanning_dlp_does_not_claim_a_block_that_is_not_enforced(tmp_path, cfg):
    """With enforce: false or mode: audit nothing is blocked (fetch_blocked fails), so the
    in-process scanner row must not say the key "is blocked": check_scanners has a WARN
    branch for exactly this. (It used to pass "is blocked" while the same report said NOT
    BLOCKED: the URL verdict was taken without asking whether blocks are enforced.)"""
    r, rep = diagnose_json("-c", write_cfg(tmp_path, cfg))
    assert statuses(rep)["fetch_blocked"] == "fail"
    assert statuses(rep)["scanning_dlp"] == "warn", (
        f"scanning_dlp is {statuses(rep)['scanning_dlp']!r}: {detail(rep, 'scanning_dlp')!r} "
        f"although fetch_blocked says {detail(rep, 'fetch_blocked')!r}")


# ------------------------------------------------------------------ diagnose's overrides


@pytest.fixture
def held_ports():
    """Three loopback ports held bound and listening for the whole test."""
    socks = []
    for _ in range(3):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        socks.append(s)
    yield [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()


@pytest.mark.parametrize("output", ["stdout", "file", "both"])
def test_listeners_log_file_and_sinks_are_overridden(tmp_path, held_ports, output):
    """The config's listen addresses are taken (held by the test), its log file must not be
    created, its sinks point at loopback ports that are not sinks: diagnose overrides all of
    them and passes. (With output: file or both it used to fail: the log file was emptied
    but the output kept, so the child could not open its audit log and exited.)"""
    p_main, p_metrics, p_admin = held_ports
    log = tmp_path / "logs" / "audit.jsonl"
    log.parent.mkdir()
    cfg = {
        "fetch_proxy": {"listen": f"127.0.0.1:{p_main}"},
        "metrics_listen": f"127.0.0.1:{p_metrics}",
        "kill_switch": {"api_listen": f"127.0.0.1:{p_admin}",
                        "api_token": "diagnose-test-token-0123456789"},
        "logging": {"output": output, "file": str(log)},
        "emit": {"webhook": {"url": f"http://127.0.0.1:{p_main}/hook"},
                 "syslog": {"address": f"udp://127.0.0.1:{p_metrics}"}},
    }
    path = write_cfg(tmp_path, cfg)
    r, rep = diagnose_json("-c", path)
    assert not log.exists(), "diagnose created the config's log file"
    assert list(log.parent.iterdir()) == []
    assert r.returncode == 0, json.dumps(rep["checks"], indent=1) + r.stderr
    st = statuses(rep)
    assert st["health"] == "pass", detail(rep, "health")
    assert f":{p_main}/" not in detail(rep, "health"), "it must use a port of its own"
    for row in ("fetch_allowed", "fetch_blocked", "forward_allowed", "forward_blocked"):
        assert st[row] == "pass", (row, detail(rep, row))


# ------------------------------------------------------------------ errors


def test_bad_config_file_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: [unclosed\n  fetch_proxy: {\n")
    r = pl("diagnose", "-c", bad)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip(), "a config error explains itself on stderr"
    assert "config" in r.stderr
    assert "passed" not in r.stdout, "no report for a config that does not load"


def test_invalid_config_value_exits_2(tmp_path):
    r = pl("diagnose", "-c", write_cfg(tmp_path, {"mode": "enforce"}))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "mode" in r.stderr


def test_missing_config_file_exits_2(tmp_path):
    r = pl("diagnose", "-c", tmp_path / "nope.yaml")
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip()


@pytest.mark.parametrize("args", [["--no-such-flag"], ["extra-argument"], ["-c"]],
                         ids=["unknown-flag", "positional", "missing-value"])
def test_usage_errors_exit_2(args):
    r = pl("diagnose", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.strip()
    assert not r.stdout.strip()


def test_sandbox_is_not_implemented():
    r = pl("diagnose", "--sandbox")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "not implemented" in r.stderr


# ------------------------------------------------------------------ processes


def _run_as_subreaper(*args):
    b = pipelock_bin()
    with tempfile.TemporaryDirectory(prefix="pl-diag-san-") as logdir:
        r = subprocess.run(["/usr/bin/python3", "-c", SUBREAPER, str(b), *map(str, args)],
                           capture_output=True, text=True, timeout=RUN_GUARD * 2,
                           stdin=subprocess.DEVNULL, env=_san_env(logdir))
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        _check_san(logdir, out["stderr"])
    return out


def _pids_with(marker):
    found = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.add(int(d))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("variant", ["default", "config", "child-fails"])
def test_no_process_is_left_behind(tmp_path, variant):
    """diagnose forks pipelock; once diagnose has exited, none of its descendants may remain
    (running, or unreaped). The run happens under a subreaper so that any orphan is found
    exactly, whatever other pipelock processes run on the machine meanwhile."""
    args = ["diagnose", "--json"]
    cfg = None
    if variant == "config":
        cfg = write_cfg(tmp_path, {"explain_blocks": True}, name="leftover-marker.yaml")
    elif variant == "child-fails":
        # The forked child cannot start (a log file it cannot open): diagnose must reap it.
        cfg = write_cfg(tmp_path, {"logging": {"output": "file",
                                               "file": str(tmp_path / "no-dir" / "x.log")}},
                        name="leftover-marker.yaml")
    if cfg:
        args += ["-c", cfg]
    before = _pids_with(str(cfg)) if cfg else set()
    out = _run_as_subreaper(*args)
    assert out["rc"] in (0, 1), out["stderr"]
    assert json.loads(out["stdout"])["checks"], out["stdout"]
    assert out["left"] == [], f"diagnose left processes behind: {out['left']}"
    if cfg:
        assert _pids_with(str(cfg)) - before == set()
    if variant != "child-fails":
        assert out["rc"] == 0, out["stdout"]


def test_strict_preset_is_diagnosed_through_its_allowlist(tmp_path):
    """The strict preset allows only api_allowlist hosts: diagnose adds its own loopback mock
    upstream to the child's allowlist, so the allowed paths are really exercised, and the
    scanner row reports DLP itself, not the allowlist stopping the URL first."""
    cfg = tmp_path / "strict.yaml"
    r = subprocess.run([str(pipelock_bin()), "generate", "config", "--preset", "strict",
                        "-o", str(cfg)], capture_output=True, text=True, timeout=GUARD)
    assert r.returncode == 0, r.stderr
    r, rep = diagnose_json("-c", str(cfg))
    assert r.returncode == 0, r.stdout + r.stderr
    st = statuses(rep)
    for name in ("fetch_allowed", "forward_allowed", "fetch_blocked", "forward_blocked",
                 "scanning_dlp"):
        assert st[name] == "pass", rep
    assert "allowlist" not in detail(rep, "scanning_dlp")
