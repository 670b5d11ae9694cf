"""The Helm chart in deploy/helm/pipelock (reference §8.7), rendered offline, and the values
`pipelock init sidecar --emit helm-values` writes for it.

No `helm` binary exists here (nor in Debian): tests/helm/render.go is Helm's template engine
(Go text/template + sprig v3 + include/tpl/toYaml/required/fail/lookup) built from Debian's Go
packages in a session fixture. Rendered objects are checked against the Kubernetes schemas
offline (tests/k8s/validate.mjs); the PodMonitor, a CRD the validator does not know, is checked
structurally here. The ConfigMap's pipelock.yaml is loaded by this build's `pipelock check`.

Deliberate differences from the reference chart: appVersion is this build's 0.1.0,
`mcp.enabled: true` fails the render (no MCP listener yet), `killSwitch.api.enabled` adds an
admin port and needs `killSwitch.api.tokenSecret.name`, and `image.digest` beats the tag.

Golden renders: tests/data/golden/helm-*.yaml (regenerate with PIPELOCK_UPDATE_GOLDEN=1)."""

import hashlib
import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from pltest.util import GUARD, REPO_ROOT, check_golden, pipelock_bin

CHART = REPO_ROOT / "deploy" / "helm" / "pipelock"
RENDER_SRC = REPO_ROOT / "tests" / "helm" / "render.go"
GOPATH = Path("/usr/share/gocode")
SPRIG = GOPATH / "src" / "github.com" / "Masterminds" / "sprig"
GOLDEN = REPO_ROOT / "tests" / "data" / "golden"
K8S = REPO_ROOT / "tests" / "data" / "k8s"
VALIDATOR = REPO_ROOT / "tests" / "k8s" / "validate.mjs"
NODE_MODULES = REPO_ROOT / "tests" / "k8s" / "node_modules"

if not shutil.which("go"):
    pytest.skip("the Helm chart tests need `go` to build tests/helm/render.go "
                "(apt-get install golang-go)", allow_module_level=True)
if not SPRIG.is_dir():
    pytest.skip(f"the Helm chart tests need sprig in {SPRIG} "
                "(apt-get install golang-github-masterminds-sprig-dev)",
                allow_module_level=True)

SELECTOR = {"app.kubernetes.io/name": "pipelock", "app.kubernetes.io/instance": "pl"}
DIGEST = "sha256:" + "0123456789abcdef" * 4

# The values of the "everything on" render (golden helm-full.yaml).
FULL_VALUES = {
    "image": {"tag": "9.9.9", "digest": DIGEST},
    "imagePullSecrets": [{"name": "regcred"}],
    "serviceAccount": {"annotations": {"example.com/role": "egress"}},
    "podAnnotations": {"example.com/team": "ai"},
    "podLabels": {"tier": "egress"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "egress",
                     "effect": "NoSchedule"}],
    "killSwitch": {"api": {"enabled": True, "tokenSecret": {"name": "pl-admin"}}},
    "networkPolicy": {"enabled": True},
    "podMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "prom"}},
}


# ---------------------------------------------------------------- renderer and helpers


@pytest.fixture(scope="session")
def renderer(tmp_path_factory):
    d = tmp_path_factory.mktemp("helm-render")
    out = d / "render"
    env = dict(os.environ, GO111MODULE="off", GOPATH=str(GOPATH), GOCACHE=str(d / "gocache"),
               GOFLAGS="")
    r = subprocess.run(["go", "build", "-o", str(out), str(RENDER_SRC)], cwd=REPO_ROOT,
                       env=env, capture_output=True, text=True, timeout=max(GUARD, 300))
    assert r.returncode == 0, f"building tests/helm/render.go failed:\n{r.stderr}"
    return out


@pytest.fixture
def render(renderer, tmp_path):
    """render(values dict(s) or paths..., release=, namespace=, chart=) → CompletedProcess."""
    n = [0]

    def run(*values, release="pl", namespace="agents", chart=CHART):
        args = [str(renderer), str(chart)]
        for v in values:
            if isinstance(v, dict):
                n[0] += 1
                p = tmp_path / f"values-{n[0]}.yaml"
                p.write_text(yaml.safe_dump(v, sort_keys=False))
                v = p
            args += ["-f", str(v)]
        if release is not None:
            args += ["--release", release]
        if namespace is not None:
            args += ["--namespace", namespace]
        return subprocess.run(args, capture_output=True, text=True, timeout=GUARD,
                              stdin=subprocess.DEVNULL)

    return run


@pytest.fixture
def objs(render):
    """objs(...) → the rendered objects (the render must succeed)."""

    def run(*values, **kw):
        r = render(*values, **kw)
        assert r.returncode == 0, r.stderr
        return parse(r.stdout)

    return run


def parse(stream):
    return [d for d in yaml.safe_load_all(stream) if d is not None]


def sources(stream):
    return re.findall(r"^# Source: (\S+)$", stream, flags=re.M)


def kinds(objects):
    return [o["kind"] for o in objects]


def one(objects, kind):
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects in {kinds(objects)}"
    return found[0]


def config_text(objects):
    return one(objects, "ConfigMap")["data"]["pipelock.yaml"]


def config(objects):
    return yaml.safe_load(config_text(objects))


def pod_spec(objects):
    return one(objects, "Deployment")["spec"]["template"]["spec"]


def container(objects):
    cs = pod_spec(objects)["containers"]
    assert [c["name"] for c in cs] == ["pipelock"]
    return cs[0]


def ports(c):
    return {p["name"]: p for p in c["ports"]}


def pod_labels(objects):
    return one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]


def checksum(objects):
    return (one(objects, "Deployment")["spec"]["template"]["metadata"]["annotations"]
            ["checksum/config"])


def selects(selector, labels):
    """A matchLabels selector (non-empty) selects a pod with these labels."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pipelock_check(text, tmp_path, name="pipelock.yaml", **env_extra):
    p = tmp_path / name
    p.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "PIPELOCK_KILLSWITCH_API_TOKEN"}
    env.update(env_extra)
    r = subprocess.run([str(pipelock_bin()), "check", "-c", str(p)], capture_output=True,
                       text=True, timeout=GUARD, env=env, stdin=subprocess.DEVNULL)
    assert "Sanitizer" not in r.stderr and "runtime error:" not in r.stderr, r.stderr
    return r


def schema_validate(objects):
    """Every object valid against the Kubernetes schemas; skip when the validator cannot run."""
    if not shutil.which("node"):
        pytest.skip("node is not installed: schema validation (tests/k8s/validate.mjs) skipped")
    if not (NODE_MODULES / "kubernetes-models").is_dir():
        pytest.skip("tests/k8s/node_modules is missing (run `npm ci --prefix tests/k8s`): "
                    "schema validation skipped")
    r = subprocess.run(["node", str(VALIDATOR)], input=json.dumps(objects),
                       capture_output=True, text=True, timeout=GUARD)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(objects), r.stdout
    assert all(line.startswith("ok ") for line in lines), r.stdout
    return lines


DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# spec.podMetricsEndpoints[].interval in the PodMonitor CRD (monitoring.coreos.com/v1).
PROM_DURATION = re.compile(r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
                           r"(([0-9]+)s)?(([0-9]+)ms)?)$")


def check_podmonitor(pm, objects):
    """Structural validation of a PodMonitor against the CRD's schema, and that it scrapes
    the chart's pods on a port they have."""
    assert pm["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(pm) == {"apiVersion", "kind", "metadata", "spec"}, set(pm)
    md = pm["metadata"]
    assert DNS_SUBDOMAIN.match(md["name"]) and len(md["name"]) <= 253, md["name"]
    for k, v in md.get("labels", {}).items():
        assert isinstance(k, str) and isinstance(v, str), (k, v)
        assert LABEL_VALUE.match(v) and len(v) <= 63, (k, v)
    spec = pm["spec"]
    assert set(spec) <= {"selector", "podMetricsEndpoints", "namespaceSelector", "jobLabel",
                         "podTargetLabels", "sampleLimit"}, set(spec)
    sel = spec["selector"]
    assert set(sel) <= {"matchLabels", "matchExpressions"}
    assert all(isinstance(v, str) for v in sel["matchLabels"].values())
    assert selects(sel["matchLabels"], pod_labels(objects))
    eps = spec["podMetricsEndpoints"]
    assert isinstance(eps, list) and eps
    named = ports(container(objects))
    for ep in eps:
        assert set(ep) <= {"port", "path", "interval", "scrapeTimeout", "scheme",
                           "honorLabels", "relabelings", "metricRelabelings"}, set(ep)
        assert isinstance(ep["port"], str) and ep["port"] in named, ep
        assert ep["path"].startswith("/")
        assert isinstance(ep["interval"], str) and PROM_DURATION.match(ep["interval"]), ep


# ---------------------------------------------------------------- 1. default render, names


def test_default_render_objects(render):
    r = render()
    assert r.returncode == 0, r.stderr
    objects = parse(r.stdout)
    assert kinds(objects) == ["ConfigMap", "Deployment", "Service", "ServiceAccount"]
    srcs = sources(r.stdout)
    assert srcs == sorted(srcs) and len(srcs) == 4, srcs
    assert [s.rsplit("/", 1)[1] for s in srcs] == [
        "configmap.yaml", "deployment.yaml", "service.yaml", "serviceaccount.yaml"]
    for o in objects:
        md = o["metadata"]
        assert md["name"] == "pl-pipelock", (o["kind"], md["name"])
        labels = md["labels"]
        assert labels["app.kubernetes.io/name"] == "pipelock"
        assert labels["app.kubernetes.io/instance"] == "pl"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "pipelock-0.1.0"
    dep = one(objects, "Deployment")
    assert dep["spec"]["selector"]["matchLabels"] == SELECTOR
    assert selects(SELECTOR, pod_labels(objects))
    assert one(objects, "Service")["spec"]["selector"] == SELECTOR
    assert pod_spec(objects)["serviceAccountName"] == "pl-pipelock"
    assert pod_spec(objects)["volumes"][0]["configMap"]["name"] == "pl-pipelock"


def test_default_render_is_schema_valid(objs):
    lines = schema_validate(objs())
    assert lines == ["ok ConfigMap pl-pipelock", "ok Deployment pl-pipelock",
                     "ok Service pl-pipelock", "ok ServiceAccount pl-pipelock"]


@pytest.mark.parametrize("release, values, fullname, name", [
    ("my-pipelock", {}, "my-pipelock", "pipelock"),      # release already names the chart
    ("pipelock", {}, "pipelock", "pipelock"),
    ("pl", {"fullnameOverride": "edge-proxy"}, "edge-proxy", "pipelock"),
    ("pl", {"nameOverride": "egress"}, "pl-egress", "egress"),
    ("egress-prod", {"nameOverride": "egress"}, "egress-prod", "egress"),
    ("pl", {"fullnameOverride": "a" * 70 + "-b"}, "a" * 63, "pipelock"),   # 63, no "-" tail
])
def test_fullname_and_overrides(objs, release, values, fullname, name):
    objects = objs(values, release=release)
    for o in objects:
        assert o["metadata"]["name"] == fullname, (o["kind"], o["metadata"]["name"])
        assert o["metadata"]["labels"]["app.kubernetes.io/name"] == name
        assert o["metadata"]["labels"]["app.kubernetes.io/instance"] == release
    sel = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": release}
    assert one(objects, "Deployment")["spec"]["selector"]["matchLabels"] == sel
    assert one(objects, "Service")["spec"]["selector"] == sel
    spec = pod_spec(objects)
    assert spec["serviceAccountName"] == fullname
    assert spec["volumes"][0]["configMap"]["name"] == fullname


GOLDEN_CASES = {
    "helm-default.yaml": [],
    "helm-full.yaml": [FULL_VALUES],
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(render, name):
    r = render(*GOLDEN_CASES[name])
    assert r.returncode == 0, r.stderr
    check_golden(name, r.stdout)


def test_full_render_is_schema_valid(objs):
    objects = objs(FULL_VALUES)
    assert kinds(objects) == ["ConfigMap", "Deployment", "NetworkPolicy", "PodMonitor",
                              "Service", "ServiceAccount"]
    check_podmonitor(one(objects, "PodMonitor"), objects)
    schema_validate([o for o in objects if o["kind"] != "PodMonitor"])


# ---------------------------------------------------------------- 2. the ConfigMap's config


def test_default_config(objs, tmp_path):
    objects = objs()
    cm = one(objects, "ConfigMap")
    assert list(cm["data"]) == ["pipelock.yaml"]
    cfg = config(objects)
    assert cfg["fetch_proxy"] == {"listen": "0.0.0.0:8888", "timeout_seconds": 30,
                                  "max_response_mb": 10}
    assert cfg["metrics_listen"] == "0.0.0.0:9091"
    assert cfg["version"] == 1 and cfg["mode"] == "balanced" and cfg["enforce"] is True
    assert cfg["forward_proxy"] == {"enabled": True}
    assert cfg["dlp"] == {"include_defaults": True}
    assert cfg["response_scanning"] == {"enabled": True, "action": "warn"}
    assert "kill_switch" not in cfg
    r = pipelock_check(config_text(objects), tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"Listen:\s+0\.0\.0\.0:8888", r.stdout), r.stdout
    assert re.search(r"Forward proxy:\s+enabled", r.stdout), r.stdout


def test_listeners_are_forced_whatever_the_values_say(objs, tmp_path):
    objects = objs({"pipelock": {"fetch_proxy": {"listen": "127.0.0.1:1234",
                                                 "timeout_seconds": 7},
                                 "metrics_listen": "127.0.0.1:5555"}})
    cfg = config(objects)
    assert cfg["fetch_proxy"]["listen"] == "0.0.0.0:8888"
    assert cfg["fetch_proxy"]["timeout_seconds"] == 7
    assert cfg["fetch_proxy"]["max_response_mb"] == 10      # the chart's other defaults stay
    assert cfg["metrics_listen"] == "0.0.0.0:9091"
    assert "1234" not in config_text(objects) and "5555" not in config_text(objects)
    # An empty (null) fetch_proxy section still gets its listener.
    cfg = config(objs({"pipelock": {"fetch_proxy": None}}))
    assert cfg["fetch_proxy"] == {"listen": "0.0.0.0:8888"}


def test_service_port_moves_listener_container_and_service(objs, tmp_path):
    objects = objs({"service": {"port": 9999, "metricsPort": 9191}})
    cfg = config(objects)
    assert cfg["fetch_proxy"]["listen"] == "0.0.0.0:9999"
    assert cfg["metrics_listen"] == "0.0.0.0:9191"
    p = ports(container(objects))
    assert p["http"]["containerPort"] == 9999 and p["metrics"]["containerPort"] == 9191
    svc = {x["name"]: x for x in one(objects, "Service")["spec"]["ports"]}
    assert svc["http"]["port"] == 9999 and svc["http"]["targetPort"] == "http"
    assert svc["metrics"]["port"] == 9191 and svc["metrics"]["targetPort"] == "metrics"
    r = pipelock_check(config_text(objects), tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"Listen:\s+0\.0\.0\.0:9999", r.stdout), r.stdout


def test_pipelock_values_reach_the_config(objs, tmp_path):
    objects = objs({"pipelock": {"mode": "strict",
                                 "response_scanning": {"action": "block"},
                                 "api_allowlist": ["*.anthropic.com", "github.com"]}})
    cfg = config(objects)
    assert cfg["mode"] == "strict"
    assert cfg["response_scanning"] == {"enabled": True, "action": "block"}   # merged
    assert cfg["api_allowlist"] == ["*.anthropic.com", "github.com"]
    assert cfg["dlp"] == {"include_defaults": True}
    r = pipelock_check(config_text(objects), tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"Mode:\s+strict", r.stdout), r.stdout
    assert re.search(r"API allowlist:\s+2 domains", r.stdout), r.stdout
    # A value this build rejects makes a config that `check` refuses (the check is real).
    bad = objs({"pipelock": {"mode": "yolo"}})
    assert pipelock_check(config_text(bad), tmp_path, "bad.yaml").returncode == 1


# ---------------------------------------------------------------- 3. the Deployment


def test_checksum_is_the_configs_and_follows_it(objs):
    base = objs()
    text = config_text(base)
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert checksum(base) == hashlib.sha256(text[:-1].encode()).hexdigest()
    assert checksum(objs()) == checksum(base)                       # deterministic
    for changed in ({"pipelock": {"mode": "strict"}},
                    {"pipelock": {"fetch_proxy": {"timeout_seconds": 31}}},
                    {"service": {"port": 9999}},
                    {"killSwitch": {"api": {"enabled": True, "tokenSecret": {"name": "s"}}}}):
        o = objs(changed)
        assert checksum(o) != checksum(base), changed
        assert checksum(o) == hashlib.sha256(config_text(o)[:-1].encode()).hexdigest()
    for same in ({"replicaCount": 3}, {"image": {"tag": "1.2.3"}},
                 {"podAnnotations": {"a": "b"}}, {"podLabels": {"c": "d"}},
                 {"resources": {"limits": {"memory": "1Gi"}}},
                 {"pipelock": {"mode": "balanced"}}, {"networkPolicy": {"enabled": True}}):
        assert checksum(objs(same)) == checksum(base), same


@pytest.mark.parametrize("image, expected", [
    ({}, "ghcr.io/luckypipewrench/pipelock:0.1.0"),
    ({"tag": "1.2.3"}, "ghcr.io/luckypipewrench/pipelock:1.2.3"),
    ({"digest": DIGEST}, "ghcr.io/luckypipewrench/pipelock@" + DIGEST),
    ({"tag": "1.2.3", "digest": DIGEST}, "ghcr.io/luckypipewrench/pipelock@" + DIGEST),
    ({"repository": "registry.local:5000/pl", "tag": "7"}, "registry.local:5000/pl:7"),
])
def test_image(objs, image, expected):
    c = container(objs({"image": image}))
    assert c["image"] == expected
    assert c["imagePullPolicy"] == "IfNotPresent"


def test_security_contexts(objs):
    objects = objs()
    spec = pod_spec(objects)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"] == {"runAsNonRoot": True,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
    sc = container(objects)["securityContext"]
    assert sc == {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                  "runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                  "capabilities": {"drop": ["ALL"]}}
    assert "privileged" not in sc and "add" not in sc["capabilities"]
    assert one(objects, "ServiceAccount")["automountServiceAccountToken"] is False


def test_container_shape(objs):
    objects = objs()
    c = container(objects)
    assert c["args"] == ["run", "--config", "/etc/pipelock/pipelock.yaml"]
    assert "command" not in c and "env" not in c
    p = ports(c)
    assert set(p) == {"http", "metrics"}
    assert p["http"] == {"name": "http", "containerPort": 8888, "protocol": "TCP"}
    assert p["metrics"] == {"name": "metrics", "containerPort": 9091, "protocol": "TCP"}
    for probe, delay, period in (("readinessProbe", 2, 10), ("livenessProbe", 5, 30)):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}, probe
        assert c[probe]["initialDelaySeconds"] == delay
        assert c[probe]["periodSeconds"] == period
    assert c["volumeMounts"] == [{"name": "config", "mountPath": "/etc/pipelock",
                                  "readOnly": True}]
    vols = pod_spec(objects)["volumes"]
    assert vols == [{"name": "config", "configMap": {"name": "pl-pipelock"}}]
    assert c["resources"] == {"requests": {"cpu": "25m", "memory": "32Mi"},
                              "limits": {"cpu": "200m", "memory": "128Mi"}}
    assert one(objects, "Deployment")["spec"]["replicas"] == 1


def test_resources_and_pod_settings_from_values(objs):
    objects = objs({"replicaCount": 3,
                    "resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                                  "limits": {"cpu": "2", "memory": "2Gi"}},
                    "podAnnotations": {"example.com/x": "y"},
                    "podLabels": {"tier": "egress"},
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "imagePullSecrets": [{"name": "regcred"}]})
    dep = one(objects, "Deployment")
    assert dep["spec"]["replicas"] == 3
    assert container(objects)["resources"] == {"requests": {"cpu": "1", "memory": "1Gi"},
                                               "limits": {"cpu": "2", "memory": "2Gi"}}
    meta = dep["spec"]["template"]["metadata"]
    assert meta["annotations"]["example.com/x"] == "y"
    assert "checksum/config" in meta["annotations"]
    assert meta["labels"]["tier"] == "egress"
    assert dep["spec"]["selector"]["matchLabels"] == SELECTOR     # pod labels don't leak in
    spec = pod_spec(objects)
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    schema_validate(objects)


# ---------------------------------------------------------------- 4. kill-switch admin API


def test_killswitch_api_needs_a_token_secret(render):
    r = render({"killSwitch": {"api": {"enabled": True}}})
    assert r.returncode == 1
    assert r.stdout == ""
    assert "killSwitch.api.tokenSecret.name is required" in r.stderr, r.stderr


def test_killswitch_api(objs, tmp_path):
    objects = objs({"killSwitch": {"api": {"enabled": True,
                                           "tokenSecret": {"name": "pl-admin"}}}})
    c = container(objects)
    p = ports(c)
    assert p["admin"] == {"name": "admin", "containerPort": 9090, "protocol": "TCP"}
    assert c["env"] == [{"name": "PIPELOCK_KILLSWITCH_API_TOKEN",
                         "valueFrom": {"secretKeyRef": {"name": "pl-admin", "key": "token"}}}]
    cfg = config(objects)
    assert cfg["kill_switch"] == {"api_listen": "0.0.0.0:9090"}
    assert "api_token" not in cfg["kill_switch"]      # the token never lands in the ConfigMap
    # This build refuses an admin listener without a token, and takes it from the env the
    # chart sets.
    r = pipelock_check(config_text(objects), tmp_path)
    assert r.returncode == 1 and "PIPELOCK_KILLSWITCH_API_TOKEN" in r.stdout + r.stderr
    r = pipelock_check(config_text(objects), tmp_path,
                       PIPELOCK_KILLSWITCH_API_TOKEN="0123456789abcdef0123456789abcdef")
    assert r.returncode == 0, r.stdout + r.stderr
    schema_validate(objects)


def test_killswitch_api_custom_port_and_key(objs):
    objects = objs({"killSwitch": {"api": {"enabled": True, "port": 9191,
                                           "tokenSecret": {"name": "s", "key": "bearer"}}},
                    "pipelock": {"kill_switch": {"sentinel_file": "/tmp/kill"}}})
    assert ports(container(objects))["admin"]["containerPort"] == 9191
    assert container(objects)["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "s",
                                                                       "key": "bearer"}
    assert config(objects)["kill_switch"] == {"api_listen": "0.0.0.0:9191",
                                              "sentinel_file": "/tmp/kill"}


# ---------------------------------------------------------------- 5. MCP not in this build


def test_mcp_enabled_fails_the_render(render):
    r = render({"mcp": {"enabled": True, "upstream": "http://mcp:3000"}})
    assert r.returncode == 1
    assert r.stdout == ""
    assert "not in this build" in r.stderr, r.stderr


# ---------------------------------------------------------------- 6. optional objects


def netpol_ports(rule):
    return sorted((p["protocol"], p["port"]) for p in rule["ports"])


@pytest.mark.parametrize("admin", [False, True])
def test_network_policy(objs, admin):
    values = {"networkPolicy": {"enabled": True}}
    if admin:
        values["killSwitch"] = {"api": {"enabled": True, "tokenSecret": {"name": "s"}}}
    objects = objs(values)
    assert kinds(objects) == ["ConfigMap", "Deployment", "NetworkPolicy", "Service",
                              "ServiceAccount"]
    np = one(objects, "NetworkPolicy")
    assert np["metadata"]["name"] == "pl-pipelock"
    spec = np["spec"]
    assert spec["podSelector"] == {"matchLabels": SELECTOR}
    assert selects(spec["podSelector"]["matchLabels"], pod_labels(objects))
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    assert len(spec["ingress"]) == 1
    ing = spec["ingress"][0]
    assert ing["from"] == [{"podSelector": {}}]        # any pod of the release's namespace
    want = [("TCP", 8888), ("TCP", 9091)] + ([("TCP", 9090)] if admin else [])
    assert netpol_ports(ing) == sorted(want)
    assert [netpol_ports(e) for e in spec["egress"]] == [
        [("TCP", 53), ("UDP", 53)], [("TCP", 80), ("TCP", 443)]]
    assert all("to" not in e for e in spec["egress"])
    schema_validate(objects)


def test_network_policy_follows_service_ports(objs):
    np = one(objs({"networkPolicy": {"enabled": True},
                   "service": {"port": 3128, "metricsPort": 9100}}), "NetworkPolicy")
    assert netpol_ports(np["spec"]["ingress"][0]) == [("TCP", 3128), ("TCP", 9100)]


def test_pod_monitor(objs):
    objects = objs({"podMonitor": {"enabled": True, "interval": "45s",
                                   "labels": {"release": "kube-prometheus"}}})
    assert kinds(objects) == ["ConfigMap", "Deployment", "PodMonitor", "Service",
                              "ServiceAccount"]
    pm = one(objects, "PodMonitor")
    assert pm["kind"] == "PodMonitor" and pm["metadata"]["name"] == "pl-pipelock"
    assert pm["metadata"]["labels"]["release"] == "kube-prometheus"
    assert pm["metadata"]["labels"]["app.kubernetes.io/instance"] == "pl"
    assert pm["spec"]["selector"] == {"matchLabels": SELECTOR}
    assert pm["spec"]["podMetricsEndpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "45s"}]
    check_podmonitor(pm, objects)
    # The default interval.
    pm = one(objs({"podMonitor": {"enabled": True}}), "PodMonitor")
    assert pm["spec"]["podMetricsEndpoints"][0]["interval"] == "30s"
    schema_validate([o for o in objects if o["kind"] != "PodMonitor"])


@pytest.mark.parametrize("sa, expected", [
    ({"create": False}, "default"),
    ({"create": False, "name": "existing-sa"}, "existing-sa"),
])
def test_no_service_account(objs, sa, expected):
    objects = objs({"serviceAccount": sa})
    assert "ServiceAccount" not in kinds(objects)
    assert pod_spec(objects)["serviceAccountName"] == expected
    assert pod_spec(objects)["automountServiceAccountToken"] is False


def test_service_account_named_and_annotated(objs):
    objects = objs({"serviceAccount": {"name": "egress-sa",
                                       "annotations": {"example.com/r": "x"}}})
    sa = one(objects, "ServiceAccount")
    assert sa["metadata"]["name"] == "egress-sa"
    assert sa["metadata"]["annotations"] == {"example.com/r": "x"}
    assert pod_spec(objects)["serviceAccountName"] == "egress-sa"


# ---------------------------------------------------------------- 7. sidecar --emit helm-values

# sample → (kind, name, namespace)
SIDECAR_SAMPLES = {
    "deployment.yaml": ("Deployment", "coding-agent", "agents"),
    "cronjob.yaml": ("CronJob", "nightly-agent", "batch"),
}
HELM_FILES = ["README.txt", "agent-networkpolicy.yaml", "agent-workload.yaml",
              "pipelock-networkpolicy.yaml", "pipelock-pdb.yaml", "values.yaml"]


def sidecar(*args):
    r = subprocess.run([str(pipelock_bin()), "init", "sidecar", *map(str, args)],
                       capture_output=True, text=True, timeout=GUARD, stdin=subprocess.DEVNULL)
    assert "Sanitizer" not in r.stderr and "runtime error:" not in r.stderr, r.stderr
    return r


@pytest.fixture(scope="module", params=sorted(SIDECAR_SAMPLES))
def helm_out(request, tmp_path_factory):
    sample = request.param
    out = tmp_path_factory.mktemp("helm-values") / "out"
    r = sidecar("--emit", "helm-values", "-o", out, "--inject-spec", K8S / sample)
    assert r.returncode == 0, r.stderr
    return sample, out, r


def agent_pod(w):
    spec = w["spec"]
    if w["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]


@lru_cache(maxsize=None)
def patch_objects(sample):
    r = sidecar("--inject-spec", K8S / sample)
    assert r.returncode == 0, r.stderr
    return tuple(parse(r.stdout))


def deep_subset(small, big, path="config"):
    """Every key of small is in big with the same value (maps compared key by key)."""
    if isinstance(small, dict):
        assert isinstance(big, dict), path
        for k, v in small.items():
            assert k in big, f"{path}.{k} missing"
            deep_subset(v, big[k], f"{path}.{k}")
    else:
        assert small == big, f"{path}: {small!r} != {big!r}"


def test_helm_values_files(helm_out):
    sample, out, r = helm_out
    kind, name, ns = SIDECAR_SAMPLES[sample]
    assert sorted(p.name for p in out.iterdir()) == HELM_FILES
    proxy = f"{name}-pipelock"
    readme = (out / "README.txt").read_text()
    assert f"{kind}/{name}" in readme
    assert f"helm install {proxy} deploy/helm/pipelock -f values.yaml -n {ns}" in readme
    assert f"release name\n{proxy}" in readme
    assert proxy in r.stderr
    values = yaml.safe_load((out / "values.yaml").read_text())
    assert values["fullnameOverride"] == proxy and values["replicaCount"] == 2
    assert values["networkPolicy"] == {"enabled": False}
    for f in HELM_FILES[1:5]:
        docs = parse((out / f).read_text())
        assert len(docs) == 1 and docs[0]["metadata"]["namespace"] == ns, f


def render_sidecar(render, out, sample):
    kind, name, ns = SIDECAR_SAMPLES[sample]
    r = render(out / "values.yaml", release=f"{name}-pipelock", namespace=ns)
    assert r.returncode == 0, r.stderr
    return parse(r.stdout)


def test_helm_values_render_matches_the_agent_side(render, helm_out):
    sample, out, _ = helm_out
    kind, name, ns = SIDECAR_SAMPLES[sample]
    proxy = f"{name}-pipelock"
    objects = render_sidecar(render, out, sample)
    # The chart's own (permissive) NetworkPolicy stays off: the generated ones apply.
    assert kinds(objects) == ["ConfigMap", "Deployment", "Service", "ServiceAccount"]
    for o in objects:
        assert o["metadata"]["name"] == proxy, o["kind"]
    dep = one(objects, "Deployment")
    assert dep["spec"]["replicas"] == 2
    labels = pod_labels(objects)
    assert selects(dep["spec"]["selector"]["matchLabels"], labels)

    px_np = parse((out / "pipelock-networkpolicy.yaml").read_text())[0]
    assert selects(px_np["spec"]["podSelector"]["matchLabels"], labels), (
        px_np["spec"]["podSelector"], labels)
    pdb = parse((out / "pipelock-pdb.yaml").read_text())[0]
    assert selects(pdb["spec"]["selector"]["matchLabels"], labels), (pdb["spec"], labels)
    agent_np = parse((out / "agent-networkpolicy.yaml").read_text())[0]
    to_proxy = [e for e in agent_np["spec"]["egress"]
                if any("podSelector" in t and "namespaceSelector" not in t
                       for t in e.get("to", []))]
    assert len(to_proxy) == 1, agent_np["spec"]["egress"]
    sel = to_proxy[0]["to"][0]["podSelector"]["matchLabels"]
    assert selects(sel, labels), (sel, labels)
    http = ports(container(objects))["http"]["containerPort"]
    assert netpol_ports(to_proxy[0]) == [("TCP", http)]
    assert netpol_ports(px_np["spec"]["ingress"][0]) == [("TCP", http)]

    # Every agent container's HTTPS_PROXY names the chart's Service and its http port.
    svc = one(objects, "Service")
    svc_http = {p["name"]: p for p in svc["spec"]["ports"]}["http"]["port"]
    w = parse((out / "agent-workload.yaml").read_text())[0]
    pod = agent_pod(w)["spec"]
    assert selects(agent_np["spec"]["podSelector"]["matchLabels"],
                   agent_pod(w)["metadata"]["labels"])
    for c in pod["containers"] + pod.get("initContainers", []):
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        u = urlsplit(env["HTTPS_PROXY"])
        assert (u.scheme, u.hostname, u.port) == ("http", svc["metadata"]["name"], svc_http), (
            c["name"], env["HTTPS_PROXY"])
        assert env["HTTP_PROXY"] == env["HTTPS_PROXY"]


def test_helm_values_config(render, helm_out, tmp_path):
    sample, out, _ = helm_out
    kind, name, ns = SIDECAR_SAMPLES[sample]
    objects = render_sidecar(render, out, sample)
    cfg = config(objects)
    assert cfg["default_agent_identity"] == f"{kind.lower()}/{name}"
    assert cfg["bind_default_agent_identity"] is True
    assert cfg["fetch_proxy"]["listen"] == "0.0.0.0:8888"
    assert cfg["metrics_listen"] == "0.0.0.0:9091"
    assert cfg["forward_proxy"]["enabled"] is True
    r = pipelock_check(config_text(objects), tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # The chart installs the config `--emit patch` would have: each of its settings unchanged.
    patch = patch_objects(sample)
    patch_cm = next(o for o in patch if o["kind"] == "ConfigMap")
    deep_subset(yaml.safe_load(patch_cm["data"]["pipelock.yaml"]), cfg)
    # And the proxy Deployment's scheduling, resources and hardening.
    pdep = next(o for o in patch if o["kind"] == "Deployment"
                and o["metadata"]["name"] == f"{name}-pipelock")
    ppod = pdep["spec"]["template"]["spec"]
    spec = pod_spec(objects)
    assert spec["affinity"] == ppod["affinity"]
    assert container(objects)["resources"] == ppod["containers"][0]["resources"]
    assert container(objects)["image"] == ppod["containers"][0]["image"]
    for k in ("readOnlyRootFilesystem", "allowPrivilegeEscalation", "runAsNonRoot",
              "runAsUser", "capabilities"):
        assert container(objects)["securityContext"][k] == \
            ppod["containers"][0]["securityContext"][k], k
    assert spec["automountServiceAccountToken"] is False


def test_helm_values_everything_is_schema_valid(render, helm_out):
    sample, out, _ = helm_out
    objects = render_sidecar(render, out, sample)
    files = [parse((out / f).read_text())[0] for f in HELM_FILES[1:5]]
    lines = schema_validate(objects + files)
    assert len(lines) == 8


def test_helm_values_second_run_and_dry_run(tmp_path):
    out = tmp_path / "out"
    spec = K8S / "deployment.yaml"
    r = sidecar("--emit", "helm-values", "-o", out, "--inject-spec", spec)
    assert r.returncode == 0, r.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "values.yaml").write_text("# edited\n")
    before["values.yaml"] = b"# edited\n"
    r = sidecar("--emit", "helm-values", "-o", out, "--inject-spec", spec)
    assert r.returncode == 1
    assert "exists" in r.stderr and "--force" in r.stderr, r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before   # nothing rewritten
    r = sidecar("--emit", "helm-values", "-o", out, "--force", "--inject-spec", spec)
    assert r.returncode == 0, r.stderr
    assert (out / "values.yaml").read_text().startswith("# values for deploy/helm/pipelock")

    dry = tmp_path / "dry"
    r = sidecar("--emit", "helm-values", "-o", dry, "--dry-run", "--inject-spec", spec)
    assert r.returncode == 0, r.stderr
    assert not dry.exists()
    assert "Would generate" in r.stderr
    assert list(tmp_path.iterdir()) == [out]


def test_helm_values_image_split(render, tmp_path):
    """--image reaches the chart's Deployment as the same reference (tag or digest)."""
    for i, img in enumerate(("registry.local:5000/pl:1.2", "registry.local/pl@" + DIGEST)):
        out = tmp_path / f"o{i}"
        r = sidecar("--emit", "helm-values", "-o", out, "--image", img,
                    "--inject-spec", K8S / "deployment.yaml")
        assert r.returncode == 0, r.stderr
        objects = render(out / "values.yaml", release="coding-agent-pipelock")
        assert objects.returncode == 0, objects.stderr
        assert container(parse(objects.stdout))["image"] == img


@pytest.mark.parametrize("preset", ["strict", "audit"])
def test_helm_values_other_presets(render, tmp_path, preset):
    out = tmp_path / "out"
    r = sidecar("--emit", "helm-values", "--preset", preset, "-o", out,
                "--inject-spec", K8S / "job.yaml")
    assert r.returncode == 0, r.stderr
    objects = parse(render(out / "values.yaml", release="triage-agent-pipelock").stdout)
    cfg = config(objects)
    assert cfg["mode"] == ("audit" if preset == "audit" else "strict")
    assert pipelock_check(config_text(objects), tmp_path).returncode == 0
    r = sidecar("--preset", preset, "--inject-spec", K8S / "job.yaml")
    cm = next(o for o in parse(r.stdout) if o["kind"] == "ConfigMap")
    deep_subset(yaml.safe_load(cm["data"]["pipelock.yaml"]), cfg)


# Helm's own rule for release names (helm.sh/helm/v3/pkg/chartutil ValidateReleaseName),
# applied by `helm install` and `helm template` alike before anything is rendered.
HELM_RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
HELM_RELEASE_MAX = 53


def helm_accepts_release(name):
    return len(name) <= HELM_RELEASE_MAX and bool(HELM_RELEASE_NAME.match(name))


@pytest.mark.parametrize("n", [44, 45, 54])
def test_helm_values_release_name_is_one_helm_accepts(tmp_path, n):
    """A workload name of 45-54 characters fits the Service name <w>-pipelock (63), but the
    release name README.txt prescribes, <w>-pipelock, would be over Helm's 53, and no other
    release name works (the policies and the PDB select app.kubernetes.io/instance, which the
    chart sets from the release name): --emit helm-values refuses such a name."""
    name = "a" * n
    spec = tmp_path / "w.yaml"
    spec.write_text((K8S / "deployment.yaml").read_text().replace("coding-agent", name))
    out = tmp_path / "out"
    r = sidecar("--emit", "helm-values", "-o", out, "--inject-spec", spec)
    if r.returncode != 0:
        assert r.returncode == 2, r.stderr
        assert not out.exists()
        return
    m = re.search(r"helm install (\S+) deploy/helm/pipelock", (out / "README.txt").read_text())
    assert m, (out / "README.txt").read_text()
    release = m.group(1)
    assert helm_accepts_release(release), (
        f"README.txt says `helm install {release} ...` ({len(release)} characters): Helm "
        f"refuses release names longer than {HELM_RELEASE_MAX}")
    sel = parse((out / "pipelock-pdb.yaml").read_text())[0]["spec"]["selector"]["matchLabels"]
    assert sel["app.kubernetes.io/instance"] == release


# ---------------------------------------------------------------- 8. the renderer itself


def throwaway_chart(tmp_path, template, values=""):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: t\nversion: 0.0.1\n"
                                      "appVersion: \"1\"\n")
    (chart / "values.yaml").write_text(values)
    (chart / "templates" / "a.yaml").write_text(template)
    return chart


def test_renderer_fails_on_an_undefined_function(render, tmp_path):
    chart = throwaway_chart(tmp_path, "x: {{ nosuchfunction .Values.a }}\n", "a: 1\n")
    r = render(chart=chart)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "nosuchfunction" in r.stderr, r.stderr


def test_renderer_fails_on_required(render, tmp_path):
    tpl = "kind: ConfigMap\nx: {{ required \"a is required here\" .Values.a }}\n"
    chart = throwaway_chart(tmp_path, tpl, "a: \"\"\n")
    r = render(chart=chart)
    assert r.returncode == 1 and r.stdout == ""
    assert "a is required here" in r.stderr, r.stderr
    # Unset (missing) fails the same way; a value renders.
    assert render({"a": None}, chart=chart).returncode == 1
    r = render({"a": "set"}, chart=chart)
    assert r.returncode == 0, r.stderr
    assert parse(r.stdout) == [{"kind": "ConfigMap", "x": "set"}]
    assert sources(r.stdout) == ["chart/templates/a.yaml"]


def test_renderer_fail_and_bad_input(render, renderer, tmp_path):
    chart = throwaway_chart(tmp_path, "{{ fail \"stop here\" }}\n")
    r = render(chart=chart)
    assert r.returncode == 1 and "stop here" in r.stderr
    # Unknown arguments and a missing chart are errors too, not an empty render.
    r = subprocess.run([str(renderer), str(CHART), "--bogus"], capture_output=True, text=True,
                       timeout=GUARD)
    assert r.returncode == 1 and "unknown argument" in r.stderr
    r = subprocess.run([str(renderer), str(tmp_path / "nope")], capture_output=True,
                       text=True, timeout=GUARD)
    assert r.returncode == 1


@pytest.mark.parametrize("release", ["a" * 54, "Upper_Case"])
def test_renderer_refuses_release_names_helm_refuses(render, release):
    """render.go refuses the release names `helm template`/`helm install` refuse before
    rendering (chartutil.ValidateReleaseName: DNS-1123 subdomain, at most 53 characters), so
    a generated release name Helm would refuse cannot pass a render here."""
    assert not helm_accepts_release(release)
    r = render(release=release)
    assert r.returncode == 1, f"rendered with release {release!r}, which Helm refuses"
    assert r.stdout == ""
