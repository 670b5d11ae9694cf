"""`pipelock generate systemd`: golden output, the shipped deploy/systemd units equal to it,
the hardening that the proxy unit promises (parsed line by line, since systemd allows repeated
keys), both units accepted by `systemd-analyze verify`, the proxy unit's exposure score from
`systemd-analyze security --offline`, and bad input refused without writing anything."""

import os
import re
import shutil
import stat
import subprocess

import pytest

from pltest.util import GUARD, REPO_ROOT, check_golden, pipelock_bin

GOLDEN = REPO_ROOT / "tests" / "data" / "golden"
SHIPPED = REPO_ROOT / "deploy" / "systemd"

OPTIONS = ["--user", "pl-proxy", "--binary", "/opt/pipelock/bin/pipelock",
           "--config", "/srv/pipelock/policy.yaml"]
RULES = "/var/lib/pipelock/rules.nft"

CASES = {
    "systemd-proxy.txt": [],
    "systemd-proxy-options.txt": OPTIONS,
    "systemd-containment.txt": ["--containment"],
    "systemd-containment-rules.txt": ["--containment", "--rules", RULES],
    "systemd-help.txt": ["--help"],
}


def gen(*args):
    return subprocess.run([str(pipelock_bin()), "generate", "systemd", *map(str, args)],
                          capture_output=True, text=True, timeout=GUARD,
                          stdin=subprocess.DEVNULL)


def unit_text(*args):
    r = gen(*args)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def parse_unit(text):
    """{section: {key: [values in order]}} plus the comment lines. Repeated keys (for
    instance SystemCallFilter) keep every value; an empty assignment is kept as ""."""
    sections, comments, cur = {}, [], None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "#;":
            comments.append(line)
            continue
        assert not line.endswith("\\"), f"line {n}: continuation lines are not expected"
        if line.startswith("[") and line.endswith("]"):
            cur = line[1:-1]
            assert cur not in sections, f"line {n}: section [{cur}] repeated"
            sections[cur] = {}
            continue
        assert cur is not None, f"line {n}: assignment before any section: {raw!r}"
        assert "=" in line, f"line {n}: not key=value: {raw!r}"
        key, value = line.split("=", 1)
        assert key == key.strip() and key, f"line {n}: bad key {key!r}"
        sections[cur].setdefault(key, []).append(value.strip())
    return sections, comments


def one(section, key):
    vals = section.get(key)
    assert vals is not None, f"{key}= is not set"
    assert len(vals) == 1, f"{key}= is set {len(vals)} times: {vals}"
    return vals[0]


# ------------------------------------------------------------------ golden and shipped


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    r = gen(*CASES[name])
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    check_golden(name, r.stdout)


@pytest.mark.parametrize("shipped, args", [
    ("pipelock.service", []),
    ("pipelock-containment.service", ["--containment"]),
])
def test_shipped_units_are_the_generated_ones(shipped, args):
    """deploy/systemd/ must be byte-identical to what the binary prints, so they cannot drift
    apart: regenerate with `pipelock generate systemd [--containment] > deploy/systemd/...`."""
    assert (SHIPPED / shipped).read_bytes() == unit_text(*args).encode(), (
        f"deploy/systemd/{shipped} differs from `pipelock generate systemd "
        f"{' '.join(args)}`")


@pytest.mark.parametrize("args", [[], OPTIONS, ["--containment"],
                                  ["--containment", "--rules", RULES]])
def test_output_file(tmp_path, args):
    out = tmp_path / "unit.service"
    r = gen(*args, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert f"Written to {out}" in r.stderr, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text() == unit_text(*args)


def test_output_file_replaces_an_existing_file_and_tightens_its_mode(tmp_path):
    out = tmp_path / "pipelock.service"
    out.write_text("old contents that are much longer than nothing\n" * 100)
    out.chmod(0o644)
    r = gen("--output", out)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text() == (GOLDEN / "systemd-proxy.txt").read_text()


# ------------------------------------------------------------------ structure


@pytest.mark.parametrize("args, user, binary, config", [
    ([], "pipelock-proxy", "/usr/local/bin/pipelock", "/etc/pipelock/pipelock.yaml"),
    (OPTIONS, "pl-proxy", "/opt/pipelock/bin/pipelock", "/srv/pipelock/policy.yaml"),
])
def test_proxy_unit_is_hardened(args, user, binary, config):
    text = unit_text(*args)
    sections, comments = parse_unit(text)
    assert list(sections) == ["Unit", "Service", "Install"]
    s = sections["Service"]

    assert one(s, "User") == user
    assert one(s, "Group") == user
    assert one(s, "ExecStart") == f"{binary} run --config {config}"
    reload_cmd = one(s, "ExecReload").split()
    assert reload_cmd[0].endswith("/kill") and "-HUP" in reload_cmd, reload_cmd
    assert reload_cmd[-1] == "$MAINPID", reload_cmd

    assert one(s, "NoNewPrivileges") == "yes"
    assert one(s, "CapabilityBoundingSet") == "", "the bounding set must be empty"
    assert one(s, "AmbientCapabilities") == ""
    assert one(s, "ProtectSystem") == "strict"
    assert one(s, "ProtectHome") == "yes"
    assert one(s, "PrivateTmp") == "yes"

    families = one(s, "RestrictAddressFamilies")
    assert not families.startswith("~"), "an allow-list is expected, not a deny-list"
    fams = families.split()
    assert {"AF_INET", "AF_INET6"} <= set(fams), fams
    assert "AF_NETLINK" not in fams and "AF_PACKET" not in fams, fams

    filters = s.get("SystemCallFilter", [])
    assert "@system-service" in [t for v in filters for t in v.split()], filters
    assert "" not in filters, "an empty SystemCallFilter= would reset the filter"

    # MemoryDenyWriteExecute would break PCRE2's JIT: not set anywhere, and the unit says why.
    for sec in sections.values():
        assert "MemoryDenyWriteExecute" not in sec
    assert not re.search(r"(?m)^\s*MemoryDenyWriteExecute\s*=", text)
    assert any("MemoryDenyWriteExecute" in c for c in comments), comments

    assert one(sections["Install"], "WantedBy") == "multi-user.target"


@pytest.mark.parametrize("args, rules", [
    (["--containment"], "/etc/pipelock/containment.nft"),
    (["--containment", "--rules", RULES], RULES),
    # The proxy unit's options are accepted next to --containment and do not leak into it.
    (["--containment", "--rules", RULES] + OPTIONS, RULES),
])
def test_containment_unit_structure(args, rules):
    sections, _ = parse_unit(unit_text(*args))
    assert list(sections) == ["Unit", "Service", "Install"]
    u, s = sections["Unit"], sections["Service"]
    assert one(u, "DefaultDependencies") == "no"
    before = [t for v in u.get("Before", []) for t in v.split()]
    assert "network-pre.target" in before, before
    assert one(s, "Type") == "oneshot"
    assert one(s, "RemainAfterExit") == "yes"
    assert one(s, "ExecStart") == f"/usr/sbin/nft -f {rules}"
    assert one(sections["Install"], "WantedBy") == "sysinit.target"
    assert "User" not in s, "nft must load the rules as root"


# ------------------------------------------------------------------ systemd-analyze


def analyze_env():
    return dict(os.environ, SYSTEMD_COLORS="0", SYSTEMD_PAGER="cat", SYSTEMD_LESS="",
                LC_ALL="C.UTF-8")


@pytest.fixture
def unit_dir(tmp_path):
    """pipelock.service (ExecStart = the built binary, which verify checks exists) and
    pipelock-containment.service in a temporary directory."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed here; the structure is checked above")
    binary = str(pipelock_bin().resolve())
    (tmp_path / "pipelock.yaml").write_text("version: 1\n")
    r = gen("--binary", binary, "--config", tmp_path / "pipelock.yaml",
            "-o", tmp_path / "pipelock.service")
    assert r.returncode == 0, f"--binary {binary}: {r.stderr}"
    r = gen("--containment", "--rules", tmp_path / "containment.nft",
            "-o", tmp_path / "pipelock-containment.service")
    assert r.returncode == 0, r.stderr
    (tmp_path / "containment.nft").write_text("table inet pipelock_containment {}\n")
    return tmp_path


def verify(unit_dir, name):
    r = subprocess.run(["systemd-analyze", "verify", f"./{name}"], cwd=unit_dir,
                       capture_output=True, text=True, timeout=GUARD, env=analyze_env(),
                       stdin=subprocess.DEVNULL)
    # verify also loads the units ours depend on; complaints about those are not ours.
    ours = [ln for ln in (r.stdout + r.stderr).splitlines() if "pipelock" in ln]
    assert r.returncode == 0 and not ours, f"{name}: rc={r.returncode}\n{r.stdout}{r.stderr}"


def test_systemd_analyze_verify_proxy_unit(unit_dir):
    verify(unit_dir, "pipelock.service")


def test_systemd_analyze_verify_containment_unit(unit_dir):
    if not os.path.exists("/usr/sbin/nft"):
        pytest.skip("/usr/sbin/nft (the containment unit's ExecStart) is not installed here")
    verify(unit_dir, "pipelock-containment.service")


def test_systemd_analyze_security_exposure(unit_dir):
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "./pipelock.service"],
                       cwd=unit_dir, capture_output=True, text=True, timeout=GUARD,
                       env=analyze_env(), stdin=subprocess.DEVNULL)
    out = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout + r.stderr)
    m = re.search(r"Overall exposure level for pipelock\.service:\s*([0-9]+(?:\.[0-9]+)?)", out)
    if not m:
        if r.returncode != 0 and re.search(r"unrecognized|unknown|invalid|not supported", out,
                                           re.I):
            pytest.skip(f"systemd-analyze security --offline is not supported here: {out[:200]}")
        pytest.fail(f"no overall exposure level in the output (rc={r.returncode}):\n{out}")
    level = float(m.group(1))
    assert level <= 2.0, f"exposure {level} > 2.0:\n{out}"


# ------------------------------------------------------------------ bad input


BAD = [
    pytest.param(["--user", "root;x"], "user names", id="user-semicolon"),
    pytest.param(["--user", "Root"], "user names", id="user-uppercase"),
    pytest.param(["--user", ""], "user names", id="user-empty"),
    pytest.param(["--user", "a" * 33], "user names", id="user-too-long"),
    pytest.param(["--user", "-x"], "user names", id="user-leading-dash"),
    pytest.param(["--binary", "relative/path"], "paths must be", id="binary-relative"),
    pytest.param(["--binary", "/usr/bin/x y"], "paths must be", id="binary-space"),
    pytest.param(["--binary", "/usr/bin/x\nExecStartPre=/bin/sh"], "paths must be",
                 id="binary-newline"),
    pytest.param(["--config", "/etc/../x"], "paths must be", id="config-dotdot"),
    pytest.param(["--config", "/etc/pipelock/.."], "paths must be", id="config-trailing-dotdot"),
    pytest.param(["--config", "/etc/x;y"], "paths must be", id="config-semicolon"),
    pytest.param(["--containment", "--rules", "rel"], "paths must be", id="rules-relative"),
    pytest.param(["--containment", "--rules", "/etc/a b.nft"], "paths must be",
                 id="rules-space"),
    pytest.param(["--containment", "--user", "Root"], "user names",
                 id="containment-user-uppercase"),
    pytest.param(["extra"], 'unexpected argument "extra"', id="positional"),
    pytest.param(["--containment", "extra"], 'unexpected argument "extra"',
                 id="containment-positional"),
    pytest.param(["--bogus"], "Usage: pipelock generate systemd", id="unknown-flag"),
    pytest.param(["--user"], "Usage: pipelock generate systemd", id="missing-value"),
]


@pytest.mark.parametrize("args, why", BAD)
def test_bad_input_is_refused(args, why):
    r = gen(*args)
    assert r.returncode == 2, (r.returncode, r.stdout)
    assert why in r.stderr, r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("args, why", BAD)
def test_bad_input_writes_no_file(tmp_path, args, why):
    out = tmp_path / "pipelock.service"
    r = gen("-o", out, *args)
    assert r.returncode == 2, r.stderr
    assert why in r.stderr, r.stderr
    assert r.stdout == "" and "Written to" not in r.stderr
    assert not out.exists(), "a refused invocation created the output file"

    # An existing file is left as it was, contents and mode.
    out.write_text("keep me\n")
    out.chmod(0o644)
    r = gen("-o", out, *args)
    assert r.returncode == 2, r.stderr
    assert out.read_text() == "keep me\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_rules_without_containment_is_refused(tmp_path):
    """`--rules` belongs to `--containment` (usage: [--containment [--rules path]]). Given
    alone with a path the generator would refuse, it must not be accepted silently: today
    the value is neither checked nor used, the proxy unit is printed and the exit is 0."""
    out = tmp_path / "pipelock.service"
    r = gen("--rules", "rel", "-o", out)
    assert r.returncode == 2, (
        f"`generate systemd --rules rel` (no --containment) exited {r.returncode}; "
        f"stderr={r.stderr!r}")
    assert r.stderr.strip()
    assert not out.exists()
    r = gen("--rules", "rel")
    assert r.returncode == 2 and r.stdout == "", (r.returncode, r.stdout[:80])
