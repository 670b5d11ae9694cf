"""`pipelock generate docker-compose`: golden output, and the structure that makes the agent
unable to go around pipelock (an internal network, nothing else attached, no outside DNS)."""

import os
import shutil
import stat
import subprocess

import pytest
import yaml

from pltest.util import GUARD, REPO_ROOT, check_golden, pipelock_bin

GOLDEN = REPO_ROOT / "tests" / "data" / "golden"

CASES = {
    "compose-generic.yaml": [],
    "compose-claude-code.yaml": ["--agent", "claude-code"],
    "compose-openhands.yaml": ["--agent", "openhands"],
    "compose-options.yaml": ["--agent", "claude-code", "--kill-switch-port", "9090",
                             "--metrics-port", "9191", "--image", "registry.local/pipelock:1.2"],
    "compose-help.txt": ["--help"],
}


def gen(*args):
    return subprocess.run([str(pipelock_bin()), "generate", "docker-compose", *args],
                          capture_output=True, text=True, timeout=GUARD,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    r = gen(*CASES[name])
    assert r.returncode == 0, r.stderr
    check_golden(name, r.stdout)


def agent_service(doc):
    names = [n for n in doc["services"] if n != "pipelock"]
    assert len(names) == 1, names
    return names[0], doc["services"][names[0]]


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if n.endswith(".yaml")])
def test_structure_leaves_the_agent_no_way_around(name):
    doc = yaml.safe_load(gen(*CASES[name]).stdout)
    nets = doc["networks"]
    assert nets["pipelock-internal"]["internal"] is True
    assert nets["pipelock-internal"].get("enable_ipv6") is False
    assert "internal" not in nets["pipelock-external"]
    px = doc["services"]["pipelock"]
    assert sorted(px["networks"]) == ["pipelock-external", "pipelock-internal"]
    assert px["command"][:3] == ["run", "--listen", "0.0.0.0:8888"]
    assert px["command"][3:] == ["--config", "/config/pipelock.yaml"]
    assert "./pipelock.yaml:/config/pipelock.yaml:ro" in px["volumes"]
    assert px["healthcheck"]["test"] == ["CMD", "/pipelock", "healthcheck"]
    assert px["read_only"] is True and px["cap_drop"] == ["ALL"]
    for p in px.get("ports", []):
        assert p.startswith("127.0.0.1:"), f"published beyond host loopback: {p}"

    svc, a = agent_service(doc)
    # Only the internal network; nothing that re-attaches it to the host or the outside.
    assert a["networks"] == ["pipelock-internal"], a["networks"]
    for key in ("network_mode", "ports", "cap_add", "privileged", "extra_hosts", "pid"):
        assert key not in a, f"{svc} has {key}"
    assert a["dns"] == ["127.0.0.1"]
    assert a["depends_on"] == {"pipelock": {"condition": "service_healthy"}}
    env = a["environment"]
    for k in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        assert env[k] == "http://pipelock:8888", k
    for k in ("NO_PROXY", "no_proxy"):
        assert "pipelock" not in env[k] and "*" not in env[k], env[k]
    # No other service may sit on the external network.
    on_external = [n for n, s in doc["services"].items()
                   if "pipelock-external" in (s.get("networks") or [])]
    assert on_external == ["pipelock"]


def test_options_publish_admin_ports_on_host_loopback_only():
    doc = yaml.safe_load(gen(*CASES["compose-options.yaml"]).stdout)
    px = doc["services"]["pipelock"]
    assert px["image"] == "registry.local/pipelock:1.2"
    assert px["ports"] == ["127.0.0.1:9090:9090", "127.0.0.1:9191:9091"]
    assert px["environment"]["PIPELOCK_KILLSWITCH_API_TOKEN"].startswith(
        "${PIPELOCK_KILLSWITCH_API_TOKEN:?")


def test_the_compose_healthcheck_and_config_work_with_this_binary(pipelock):
    """The pipelock service runs `run --listen ... --config ...` and `healthcheck` with no
    flags: both must work as written (healthcheck's default address is the listen port)."""
    p = pipelock()
    r = subprocess.run([str(pipelock_bin()), "healthcheck", "--addr", f"127.0.0.1:{p.port}"],
                       capture_output=True, text=True, timeout=GUARD)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(pipelock_bin()), "healthcheck", "--help"], capture_output=True,
                       text=True, timeout=GUARD)
    assert '127.0.0.1:8888' in r.stdout


def test_docker_compose_accepts_it(tmp_path):
    docker = shutil.which("docker")
    ok = docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                   timeout=GUARD).returncode == 0
    if not ok:
        pytest.skip("the docker compose plugin is not installed here; structure is checked above")
    for name in (n for n in CASES if n.endswith(".yaml")):
        f = tmp_path / "docker-compose.yaml"
        f.write_text(gen(*CASES[name]).stdout)
        (tmp_path / "pipelock.yaml").write_text("version: 1\n")
        env = dict(os.environ, ANTHROPIC_API_KEY="x", LLM_API_KEY="x",
                   PIPELOCK_KILLSWITCH_API_TOKEN="t")
        r = subprocess.run([docker, "compose", "-f", str(f), "config", "-q"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=GUARD, env=env)
        assert r.returncode == 0, f"{name}: {r.stderr}"


def test_output_file_and_errors(tmp_path):
    out = tmp_path / "dc.yaml"
    r = gen("-o", out)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text() == (GOLDEN / "compose-generic.yaml").read_text()
    assert gen("--agent", "nope").returncode == 2
    assert gen("--kill-switch-port", "0").returncode == 2
    assert gen("--metrics-port", "70000").returncode == 2
    assert gen("--kill-switch-port", "9090", "--metrics-port", "9090").returncode == 2
    assert gen("--image", "bad image").returncode == 2
    assert gen("extra").returncode == 2
