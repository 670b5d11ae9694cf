"""The command line: version, help, check, generate, healthcheck, run failures, --resolver."""

import os
import re
import socket
import stat
import subprocess

import pytest

from pltest import rawhttp
from pltest.dns import FakeDNS
from pltest.util import GUARD, REPO_ROOT, closed_port, pipelock_bin
from pltest.yamlw import dump

VERBS = ["run", "check", "generate", "healthcheck", "logs", "version"]


def pl(*args, timeout=GUARD, cwd=None):
    b = pipelock_bin()
    assert b.exists(), f"pipelock binary not found at {b}"
    return subprocess.run([str(b), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)


def project_version():
    m = re.search(r"version\s*:\s*'([^']+)'", (REPO_ROOT / "meson.build").read_text())
    return m.group(1)


# ------------------------------------------------------------------ version and help


def test_version_prints_the_project_version():
    r = pl("version")
    assert r.returncode == 0, r.stderr
    assert project_version() in r.stdout, f"version output {r.stdout!r}"


def test_version_agrees_with_health_endpoint(pipelock):
    p = pipelock()
    v = p.health()["version"]
    assert v and v in pl("version").stdout


def test_top_level_help_lists_the_verbs():
    r = pl("--help")
    assert r.returncode == 0, r.stderr
    for verb in VERBS:
        assert verb in r.stdout, f"--help does not mention {verb}: {r.stdout!r}"


@pytest.mark.parametrize("verb", VERBS)
def test_verb_help_exits_zero(verb):
    r = pl(verb, "--help")
    assert r.returncode == 0, f"{verb} --help exited {r.returncode}: {r.stderr}"
    assert verb in (r.stdout + r.stderr) and r.stdout.strip(), r.stdout


def test_unknown_verb_fails():
    r = pl("frobnicate")
    assert r.returncode != 0
    assert r.stderr.strip(), "an unknown verb should explain itself on stderr"


def test_unknown_flag_fails():
    r = pl("check", "--no-such-flag")
    assert r.returncode != 0 and r.stderr.strip()


# ------------------------------------------------------------------ check


def write(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_check_accepts_a_good_config(tmp_path):
    f = write(tmp_path, "good.yaml", dump({
        "mode": "balanced",
        "forward_proxy": {"enabled": True, "max_tunnel_seconds": 60},
        "ssrf": {"ip_allowlist": ["127.0.0.0/8"]},
        "trusted_domains": ["example.test"],
        "fetch_proxy": {"monitoring": {"blocklist": ["*.evil.test"]}},
        "dns": {"resolvers": ["127.0.0.1:5353"], "timeout_ms": 2000},
        "server": {"header_timeout_seconds": 5, "max_connections": 100},
    }))
    r = pl("check", "--config", f)
    assert r.returncode == 0, r.stderr
    assert "Config validation: OK" in r.stdout


def test_check_reports_yaml_syntax_errors_with_position(tmp_path):
    f = write(tmp_path, "bad.yaml", "mode: balanced\nforward_proxy:\n  enabled: [true\n")
    r = pl("check", "--config", f)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert re.search(r"bad\.yaml:\d+:\d+", r.stderr), r.stderr


def test_check_unknown_top_level_key_suggests_nearest(tmp_path):
    f = write(tmp_path, "typo.yaml", "mode: balanced\nforward_proxi:\n  enabled: true\n")
    r = pl("check", "--config", f)
    assert r.returncode == 1
    assert re.search(r"typo\.yaml:2:\d+", r.stderr), r.stderr
    assert "forward_proxi" in r.stderr
    assert re.search(r"did you mean ['\"]forward_proxy['\"]", r.stderr), r.stderr


def test_check_unknown_nested_key_suggests_nearest(tmp_path):
    f = write(tmp_path, "nested.yaml", "forward_proxy:\n  enabeld: true\n")
    r = pl("check", "--config", f)
    assert r.returncode == 1
    assert re.search(r"nested\.yaml:2:\d+", r.stderr), r.stderr
    assert re.search(r"did you mean ['\"]enabled['\"]", r.stderr), r.stderr


@pytest.mark.parametrize("text", [
    "forward_proxy:\n  enabled: maybe\n",
    "forward_proxy:\n  max_tunnel_seconds: lots\n",
    "mode: paranoid\n",
    "ssrf:\n  ip_allowlist: [\"127.0.0.1/8\"]\n",  # host bits set
    "ssrf:\n  ip_allowlist: [\"0.0.0.0/0\"]\n",  # /0 rejected
    "internal: [\"not-a-cidr\"]\n",
    "mode: strict\napi_allowlist: []\n",  # strict needs an allowlist
    "mode: balanced\n---\nmode: strict\n",  # a second document
])
def test_check_rejects_invalid_values(tmp_path, text):
    f = write(tmp_path, "invalid.yaml", text)
    r = pl("check", "--config", f)
    assert r.returncode == 1, f"accepted invalid config {text!r}: {r.stdout}"
    assert "invalid.yaml" in r.stderr, r.stderr


def test_check_missing_file_fails(tmp_path):
    r = pl("check", "--config", tmp_path / "nope.yaml")
    assert r.returncode == 1 and "nope.yaml" in r.stderr


# ------------------------------------------------------------------ generate


@pytest.mark.parametrize("preset", ["balanced", "strict", "audit"])
def test_generated_presets_pass_check(tmp_path, preset):
    r = pl("generate", "config", "--preset", preset)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
    f = write(tmp_path, f"{preset}.yaml", r.stdout)
    c = pl("check", "--config", f)
    assert c.returncode == 0, f"generated {preset} preset does not load: {c.stderr}"
    assert "Config validation: OK" in c.stdout
    assert re.search(rf"(?im)^\s*mode\s*:?\s*{preset}\b", c.stdout), c.stdout


def test_generate_writes_file_with_mode_0600(tmp_path):
    out = tmp_path / "gen.yaml"
    r = pl("generate", "config", "--preset", "strict", "-o", out)
    assert r.returncode == 0, r.stderr
    assert out.exists()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert "Config written to" in r.stderr
    assert pl("check", "--config", out).returncode == 0


def test_generate_unknown_preset_fails():
    r = pl("generate", "config", "--preset", "yolo")
    assert r.returncode != 0 and r.stderr.strip()


# ------------------------------------------------------------------ healthcheck


def test_healthcheck_succeeds_against_running_proxy(pipelock):
    p = pipelock()
    r = pl("healthcheck", "--addr", f"127.0.0.1:{p.port}")
    assert r.returncode == 0, r.stdout + r.stderr


def test_healthcheck_fails_when_nothing_listens():
    r = pl("healthcheck", "--addr", f"127.0.0.1:{closed_port()}")
    assert r.returncode == 1, r.stdout + r.stderr


# ------------------------------------------------------------------ run failures


def run_expect_exit(tmp_path, args, timeout=GUARD):
    """Run `pipelock run ...` expecting it to exit by itself; kill and fail on the guard."""
    b = pipelock_bin()
    assert b.exists(), f"pipelock binary not found at {b}"
    p = subprocess.Popen([str(b), "run", *map(str, args)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError(f"`pipelock run {args}` kept running; it should have failed")
    return p.returncode, out, err


def test_run_fails_when_the_port_is_taken(tmp_path, fake_dns_server):
    cfg = write(tmp_path, "c.yaml", dump({"forward_proxy": {"enabled": True},
                                          "dns": {"resolvers": [fake_dns_server.addr]}}))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        rc, _, err = run_expect_exit(tmp_path, ["--config", cfg, "--listen", f"127.0.0.1:{port}"])
    assert rc != 0
    assert f"127.0.0.1:{port}" in err, err


def test_run_fails_on_unparseable_config(tmp_path):
    cfg = write(tmp_path, "broken.yaml", "forward_proxy: {enabled: true\n")
    rc, _, err = run_expect_exit(tmp_path, ["--config", cfg, "--listen",
                                            f"127.0.0.1:{closed_port()}"])
    assert rc != 0
    assert "broken.yaml" in err, err


def test_run_fails_on_unknown_key(tmp_path):
    cfg = write(tmp_path, "unknown.yaml", "forward_proxy:\n  enabled: true\nbogus_key: 1\n")
    rc, _, err = run_expect_exit(tmp_path, ["--config", cfg, "--listen",
                                            f"127.0.0.1:{closed_port()}"])
    assert rc != 0 and "bogus_key" in err, err


def test_run_fails_on_missing_config(tmp_path):
    rc, _, err = run_expect_exit(tmp_path, ["--config", tmp_path / "absent.yaml", "--listen",
                                            f"127.0.0.1:{closed_port()}"])
    assert rc != 0 and "absent.yaml" in err


def test_run_rejects_positional_arguments(tmp_path):
    rc, _, err = run_expect_exit(tmp_path, ["stray-argument", "--listen",
                                            f"127.0.0.1:{closed_port()}"])
    assert rc != 0 and err.strip()


def test_resolver_flag_overrides_configured_resolvers(pipelock, origin, dns):
    """--resolver wins over dns.resolvers. The configured resolver is a second fake server that
    knows nothing, so either way no query ever leaves the machine."""
    decoy = FakeDNS().start()
    try:
        dns.set("flag.test", "127.0.0.1")
        p = pipelock({"dns": {"resolvers": [decoy.addr], "timeout_ms": 2000}},
                     extra_args=["--resolver", dns.addr])
        r = rawhttp.proxy_get(p.port, f"http://flag.test:{origin.port}/flag")
        assert r.status == 200 and r.body == b"ok GET /flag\n", r.text
        assert dns.queried("flag.test")
        assert not decoy.queried("flag.test")
    finally:
        decoy.stop()


def test_check_accepts_a_resolver_and_rejects_a_bad_one():
    ok = pl("check", "--resolver", "127.0.0.1:5353")
    assert ok.returncode == 0, ok.stderr
    bad = pl("check", "--resolver", "not-an-ip")
    assert bad.returncode == 2
    assert "--resolver" in bad.stderr
