"""`pipelock init sidecar`: the companion-proxy objects for one Kubernetes workload (reference
§8.5). Golden output per workload kind; every object valid against the Kubernetes schemas
(offline, tests/k8s/validate.mjs); the structure that leaves the agent's pods no way out but
pipelock; the generated config loads; idempotence; the kustomize layout; what is written and
what is not; bad input refused; and YAML quoting that keeps every string a string.

Known deliberate differences from the reference: lower-case proxy variables are injected too,
initContainers get the variables, and agent DNS egress goes only to k8s-app=kube-dns pods.
`--emit helm-values` is covered by test_helm_chart.py."""

import json
import os
import re
import resource
import shutil
import subprocess
import threading
from functools import lru_cache

import pytest
import yaml

from pltest.util import GUARD, REPO_ROOT, check_golden, is_asan, pipelock_bin

GOLDEN = REPO_ROOT / "tests" / "data" / "golden"
K8S = REPO_ROOT / "tests" / "data" / "k8s"
VALIDATOR = REPO_ROOT / "tests" / "k8s" / "validate.mjs"

# sample file → (kind, name, namespace or None)
SAMPLES = {
    "deployment.yaml": ("Deployment", "coding-agent", "agents"),
    "statefulset.yaml": ("StatefulSet", "research-agent", None),
    "job.yaml": ("Job", "triage-agent", "ci"),
    "cronjob.yaml": ("CronJob", "nightly-agent", "batch"),
}
ORDER = ["agent-workload.yaml", "pipelock-configmap.yaml", "pipelock-deployment.yaml",
         "pipelock-service.yaml", "agent-networkpolicy.yaml", "pipelock-networkpolicy.yaml",
         "pipelock-pdb.yaml"]
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
NO_PROXY_VARS = ("NO_PROXY", "no_proxy")


def sidecar(*args, cwd=None):
    r = subprocess.run([str(pipelock_bin()), "init", "sidecar", *map(str, args)],
                       capture_output=True, text=True, timeout=GUARD, cwd=cwd,
                       stdin=subprocess.DEVNULL)
    # Under the sanitizer build a finding must fail the test whatever the exit code asserted.
    assert "Sanitizer" not in r.stderr and "runtime error:" not in r.stderr, r.stderr
    return r


@lru_cache(maxsize=None)
def version():
    r = subprocess.run([str(pipelock_bin()), "version"], capture_output=True, text=True,
                       timeout=GUARD)
    m = re.search(r"pipelock version (\S+)", r.stdout)
    assert m, r.stdout
    return m.group(1)


def unversioned(text):
    """The output with this build's version (image tag, version label) as @VERSION@, so that a
    release does not change the golden files."""
    v = re.escape(version())
    text = re.sub(r'(app\.kubernetes\.io/version: )"?' + v + r'"?$', r"\1@VERSION@", text,
                  flags=re.M)
    return re.sub(r"(ghcr\.io/luckypipewrench/pipelock:)" + v + "$", r"\1@VERSION@", text,
                  flags=re.M)


@lru_cache(maxsize=None)
def emitted(sample, *extra):
    """stdout of `--emit patch` for a sample (cached: the command is pure)."""
    r = sidecar("--inject-spec", K8S / sample, *extra)
    assert r.returncode == 0, r.stderr
    return r.stdout


def docs(sample, *extra):
    return list(yaml.safe_load_all(emitted(sample, *extra)))


def pod_template(w):
    spec = w["spec"]
    if w["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]


def all_containers(w):
    pod = pod_template(w)["spec"]
    return pod["containers"] + pod.get("initContainers", [])


def envmap(c):
    return {e["name"]: e for e in c.get("env", [])}


def config_of(objs):
    return yaml.safe_load(objs[1]["data"]["pipelock.yaml"])


# ---------------------------------------------------------------- golden output

CASES = {f"sidecar-{s.removesuffix('.yaml')}.yaml": ["--inject-spec", K8S / s] for s in SAMPLES}
CASES["sidecar-help.txt"] = ["--help"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    r = sidecar(*CASES[name])
    assert r.returncode == 0, r.stderr
    out = unversioned(r.stdout)
    check_golden(name, out)


# ---------------------------------------------------------------- schema validation


def validator():
    if not shutil.which("node"):
        pytest.skip("node is not installed: the Kubernetes schema check needs it "
                    "(structure is checked by the other tests)")
    if not (REPO_ROOT / "tests" / "k8s" / "node_modules" / "kubernetes-models").is_dir():
        pytest.skip("tests/k8s/node_modules/kubernetes-models is missing: run `make test-deps` "
                    "(or `npm ci --prefix tests/k8s`)")

    def run(objs):
        return subprocess.run(["node", str(VALIDATOR)], input=json.dumps(objs),
                              capture_output=True, text=True, timeout=GUARD * 2)
    return run


def test_the_validator_can_fail():
    validate = validator()
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "broken"},
           "spec": {"replicas": "two", "selector": {"matchLabels": {"app": "x"}},
                    "template": {"metadata": {"labels": {"app": "x"}},
                                 "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
    good = json.loads(json.dumps(bad))
    good["metadata"]["name"] = "fine"
    good["spec"]["replicas"] = 2
    r = validate([good, bad])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ok Deployment fine" in r.stdout
    assert re.search(r"^INVALID Deployment broken: .*replicas", r.stdout, re.M), r.stdout
    r = validate([{"apiVersion": "v1", "kind": "NoSuchKind", "metadata": {"name": "n"}}])
    assert r.returncode == 1 and "INVALID NoSuchKind" in r.stdout


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_object_is_schema_valid_in_order(sample):
    kind, name, ns = SAMPLES[sample]
    objs = docs(sample)
    proxy = f"{name}-pipelock"
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        (kind, name), ("ConfigMap", proxy), ("Deployment", proxy), ("Service", proxy),
        ("NetworkPolicy", f"{name}-pipelock-egress"), ("NetworkPolicy", f"{name}-pipelock-policy"),
        ("PodDisruptionBudget", f"{name}-pipelock-pdb")]
    for o in objs:
        assert o["metadata"].get("namespace") == ns, (o["kind"], o["metadata"])
    validate = validator()
    r = validate(objs)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sum(line.startswith("ok ") for line in r.stdout.splitlines()) == 7, r.stdout


# ---------------------------------------------------------------- structure


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_container_goes_through_the_proxy(sample):
    _, name, _ = SAMPLES[sample]
    w = docs(sample)[0]
    url = f"http://{name}-pipelock:8888"
    src = yaml.safe_load((K8S / sample).read_text())
    assert len(all_containers(w)) == len(all_containers(src))
    for c in all_containers(w):
        names = [e["name"] for e in c["env"]]
        assert len(names) == len(set(names)), f"duplicate env names in {c['name']}: {names}"
        env = envmap(c)
        for k in PROXY_VARS:
            assert env[k] == {"name": k, "value": url}, (c["name"], env[k])
        for k in NO_PROXY_VARS:
            np = env[k]["value"].split(",")
            assert "localhost" in np and "127.0.0.1" in np, np
            assert "*" not in np and not any("pipelock" in x for x in np), np
    ann = w["metadata"]["annotations"]
    assert ann["pipelock.dev/topology"] == "companion-proxy"
    assert ann["pipelock.dev/proxy-name"] == f"{name}-pipelock"
    assert ann["pipelock.dev/proxy-service"] == f"{name}-pipelock:8888"
    # Nothing else in the workload moved: the same object once the injection is taken out.
    for c in all_containers(w):
        c["env"] = [e for e in c["env"] if e["name"] not in PROXY_VARS + NO_PROXY_VARS]
        if not c["env"]:
            del c["env"]
    for c in all_containers(src):
        c["env"] = [e for e in c.get("env", []) if e["name"] not in PROXY_VARS + NO_PROXY_VARS]
        if not c["env"]:
            del c["env"]
    for k in ("pipelock.dev/topology", "pipelock.dev/proxy-name", "pipelock.dev/proxy-service"):
        del w["metadata"]["annotations"][k]
    if not w["metadata"]["annotations"]:
        del w["metadata"]["annotations"]
    assert w == src


def test_existing_proxy_variables_are_replaced_and_other_env_kept():
    w = docs("deployment.yaml")[0]
    pod = pod_template(w)["spec"]
    agent = pod["containers"][0]
    assert agent["name"] == "agent"
    # The old HTTPS_PROXY is replaced in place; the valueFrom variable is kept as it was.
    assert agent["env"][0] == {"name": "HTTPS_PROXY",
                               "value": "http://coding-agent-pipelock:8888"}
    assert envmap(agent)["ANTHROPIC_API_KEY"] == {
        "name": "ANTHROPIC_API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "agent-secrets", "key": "anthropic"}}}
    assert envmap(agent)["LOG_LEVEL"]["value"] == "info"
    assert "old-proxy" not in emitted("deployment.yaml")
    # An http_proxy taken from a ConfigMap (valueFrom) is replaced by our value too.
    runner = pod["containers"][1]
    assert envmap(runner)["http_proxy"] == {"name": "http_proxy",
                                            "value": "http://coding-agent-pipelock:8888"}
    init = pod["initContainers"][0]
    assert envmap(init)["HTTPS_PROXY"]["value"] == "http://coding-agent-pipelock:8888"


def test_a_duplicated_proxy_variable_leaves_no_copy_behind(tmp_path):
    """Kubernetes uses the last of two env entries with one name, so a second HTTPS_PROXY that
    survives the injection overrides pipelock's."""
    f = tmp_path / "dup.yaml"
    f.write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: dup}\nspec:\n  template:\n"
        "    metadata: {labels: {app: dup}}\n    spec:\n      restartPolicy: Never\n"
        "      containers:\n      - name: c\n        image: x\n        env:\n"
        "        - {name: HTTPS_PROXY, value: 'http://a:1'}\n"
        "        - {name: KEEP, value: k}\n"
        "        - {name: HTTPS_PROXY, value: 'http://elsewhere:3128'}\n")
    r = sidecar("--inject-spec", f)
    assert r.returncode == 0, r.stderr
    c = pod_template(next(yaml.safe_load_all(r.stdout)))["spec"]["containers"][0]
    vals = [e.get("value") for e in c["env"] if e["name"] == "HTTPS_PROXY"]
    assert vals == ["http://dup-pipelock:8888"], c["env"]
    assert {"name": "KEEP", "value": "k"} in c["env"]


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_selectors_and_network_policies_fit_together(sample):
    _, name, _ = SAMPLES[sample]
    w, cm, dep, svc, agent_np, proxy_np, pdb = docs(sample)
    proxy = f"{name}-pipelock"
    agent_labels = pod_template(w)["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    proxy_pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert sel.items() <= proxy_pod_labels.items()
    assert svc["spec"]["selector"] == sel
    assert svc["spec"]["type"] == "ClusterIP"
    assert {(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]} == {
        ("http", 8888, "http"), ("metrics", 9091, "metrics")}
    # Neither side's policy may select the other's pods: the proxy's policy lets its pods out
    # to the web, so it must never apply to the agent's.
    assert not sel.items() <= agent_labels.items()
    assert not agent_labels.items() <= proxy_pod_labels.items()

    # The agent's pods: out only to pipelock on 8888 and to the cluster resolver on 53.
    assert agent_np["spec"]["podSelector"] == {"matchLabels": agent_labels}
    assert agent_np["spec"]["policyTypes"] == ["Egress"]
    assert "ingress" not in agent_np["spec"]
    rules = agent_np["spec"]["egress"]
    assert len(rules) == 2, rules
    for rule in rules:
        assert rule.get("to"), f"an egress rule without 'to' allows any destination: {rule}"
        for peer in rule["to"]:
            assert "ipBlock" not in peer, rule
    dns = [r for r in rules if any(p["port"] == 53 for p in r["ports"])]
    to_proxy = [r for r in rules if r not in dns]
    assert len(dns) == 1 and len(to_proxy) == 1, rules
    assert sorted((p["protocol"], p["port"]) for p in dns[0]["ports"]) == [("TCP", 53),
                                                                           ("UDP", 53)]
    assert dns[0]["to"] == [{"namespaceSelector": {},
                             "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert to_proxy[0]["ports"] == [{"protocol": "TCP", "port": 8888}]
    assert to_proxy[0]["to"] == [{"podSelector": {"matchLabels": sel}}]

    # pipelock's pods: in only from the agent's pods on 8888; out to DNS and the web.
    assert proxy_np["spec"]["podSelector"] == {"matchLabels": sel}
    assert sorted(proxy_np["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert proxy_np["spec"]["ingress"] == [{
        "from": [{"podSelector": {"matchLabels": agent_labels}}],
        "ports": [{"protocol": "TCP", "port": 8888}]}]
    out_ports = sorted((p["protocol"], p["port"]) for r in proxy_np["spec"]["egress"]
                       for p in r["ports"])
    assert out_ports == [("TCP", 53), ("TCP", 80), ("TCP", 443), ("UDP", 53)]

    assert pdb["spec"] == {"minAvailable": 1, "selector": {"matchLabels": sel}}
    for o in (cm, dep, svc, agent_np, proxy_np, pdb):
        lab = o["metadata"]["labels"]
        assert lab["app.kubernetes.io/name"] == "pipelock"
        assert lab["app.kubernetes.io/instance"] == proxy
        assert lab["app.kubernetes.io/managed-by"] == "pipelock-init-sidecar"
        assert lab["app.kubernetes.io/version"] == version()


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_the_proxy_deployment_is_hardened(sample):
    _, name, _ = SAMPLES[sample]
    objs = docs(sample)
    dep = objs[2]
    proxy = f"{name}-pipelock"
    spec = dep["spec"]
    assert spec["replicas"] == 2
    pod = spec["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert "hostNetwork" not in pod
    term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term[0]["weight"] == 100
    assert term[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert term[0]["podAffinityTerm"]["labelSelector"] == spec["selector"]
    (c,) = pod["containers"]
    assert c["image"] == f"ghcr.io/luckypipewrench/pipelock:{version()}"
    assert c["args"] == ["run", "--config", "/etc/pipelock/pipelock.yaml"]
    assert {(p["name"], p["containerPort"]) for p in c["ports"]} == {("http", 8888),
                                                                     ("metrics", 9091)}
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 65534
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert "privileged" not in sc
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}, probe
    assert c["readinessProbe"]["timeoutSeconds"] == 2
    assert c["readinessProbe"]["periodSeconds"] == 10
    assert c["livenessProbe"]["timeoutSeconds"] == 5
    assert c["livenessProbe"]["periodSeconds"] == 30
    assert c["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"cpu": "500m", "memory": "512Mi"}}
    (mount,) = c["volumeMounts"]
    assert mount["mountPath"] == "/etc/pipelock" and mount["readOnly"] is True
    (vol,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert vol["configMap"]["name"] == objs[1]["metadata"]["name"] == proxy
    assert "pipelock.yaml" in objs[1]["data"]


def test_image_option():
    dep = docs("job.yaml", "--image", "registry.local/pipelock@sha256:" + "a" * 64)[2]
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "registry.local/pipelock@sha256:" + "a" * 64


# ---------------------------------------------------------------- the config


def check_config(text, tmp_path):
    f = tmp_path / "pipelock.yaml"
    f.write_text(text)
    r = subprocess.run([str(pipelock_bin()), "check", "-c", str(f)], capture_output=True,
                       text=True, timeout=GUARD)
    assert r.returncode == 0, r.stdout + r.stderr
    # The canary, again, from outside: the config blocks a fake AWS key in a URL.
    r = subprocess.run([str(pipelock_bin()), "check", "-c", str(f), "--no-dns", "--url",
                        "https://example.invalid/?key=AKIAIOSFODNN7EXAMPLE"],
                       capture_output=True, text=True, timeout=GUARD)
    assert r.returncode == 1, r.stdout + r.stderr


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_the_configmap_holds_a_valid_config(sample, tmp_path):
    kind, name, _ = SAMPLES[sample]
    objs = docs(sample)
    text = objs[1]["data"]["pipelock.yaml"]
    check_config(text, tmp_path)
    cfg = yaml.safe_load(text)
    assert cfg["mode"] == "balanced"
    assert cfg["fetch_proxy"]["listen"] == "0.0.0.0:8888"
    assert cfg["metrics_listen"] == "0.0.0.0:9091"
    assert cfg["forward_proxy"]["enabled"] is True
    assert cfg["default_agent_identity"] == f"{kind.lower()}/{name}"
    assert cfg["bind_default_agent_identity"] is True


@pytest.mark.parametrize("preset", ["strict", "audit", "balanced"])
def test_presets(preset, tmp_path):
    objs = docs("statefulset.yaml", "--preset", preset)
    text = objs[1]["data"]["pipelock.yaml"]
    check_config(text, tmp_path)
    cfg = yaml.safe_load(text)
    assert cfg["mode"] == preset
    assert cfg["fetch_proxy"]["listen"] == "0.0.0.0:8888"
    assert cfg["forward_proxy"]["enabled"] is True
    assert cfg["bind_default_agent_identity"] is True


def test_agent_identity_option(tmp_path):
    r = sidecar("--inject-spec", K8S / "job.yaml", "--agent-identity", "team-a.triage_bot",
                "--json", "-o", tmp_path / "out.yaml")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["agent_identity"] == "team-a.triage_bot"
    objs = list(yaml.safe_load_all((tmp_path / "out.yaml").read_text()))
    cfg = config_of(objs)
    assert cfg["default_agent_identity"] == "team-a.triage_bot"
    assert cfg["bind_default_agent_identity"] is True
    check_config(objs[1]["data"]["pipelock.yaml"], tmp_path)


# ---------------------------------------------------------------- idempotence


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_feeding_the_output_back_gives_the_same_output(sample, tmp_path):
    first = emitted(sample)
    assert first.startswith("---\n")
    workload = first.split("---\n")[1]
    f = tmp_path / "again.yaml"
    f.write_text(workload)
    r = sidecar("--inject-spec", f)
    assert r.returncode == 0, r.stderr
    assert r.stdout == first


# ---------------------------------------------------------------- kustomize


def snapshot(d):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(d.iterdir())}


def test_kustomize_layout(tmp_path):
    d = tmp_path / "kz"
    r = sidecar("--inject-spec", K8S / "deployment.yaml", "--emit", "kustomize", "-o", d)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert sorted(p.name for p in d.iterdir()) == sorted(ORDER + ["kustomization.yaml"])
    kz = yaml.safe_load((d / "kustomization.yaml").read_text())
    assert kz == {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                  "resources": ORDER}
    # The files hold the same objects as the patch stream, one each, in the same order.
    stream = docs("deployment.yaml")
    files = [yaml.safe_load((d / f).read_text()) for f in ORDER]
    assert files == stream
    assert "".join("---\n" + (d / f).read_text() for f in ORDER) == emitted("deployment.yaml")

    # A second run refuses and changes nothing.
    before = snapshot(d)
    r = sidecar("--inject-spec", K8S / "deployment.yaml", "--emit", "kustomize", "-o", d)
    assert r.returncode == 1, r.stderr
    assert "exists" in r.stderr and "--force" in r.stderr
    assert snapshot(d) == before
    # Even when only one of the files is there.
    for f in ORDER:
        (d / f).unlink()
    r = sidecar("--inject-spec", K8S / "deployment.yaml", "--emit", "kustomize", "-o", d)
    assert r.returncode == 1
    assert sorted(p.name for p in d.iterdir()) == ["kustomization.yaml"]
    # --force writes them all.
    r = sidecar("--inject-spec", K8S / "deployment.yaml", "--emit", "kustomize", "-o", d,
                "--force")
    assert r.returncode == 0, r.stderr
    assert [yaml.safe_load((d / f).read_text()) for f in ORDER] == stream

    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed: `kubectl kustomize` not checked (files checked)")
    r = subprocess.run([kubectl, "kustomize", str(d)], capture_output=True, text=True,
                       timeout=GUARD * 2)
    assert r.returncode == 0, r.stderr
    built = list(yaml.safe_load_all(r.stdout))
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert len(built) == 7
    assert sorted(built, key=key) == sorted(stream, key=key)


def test_kustomize_needs_an_output_directory(tmp_path):
    r = sidecar("--inject-spec", K8S / "job.yaml", "--emit", "kustomize", cwd=tmp_path)
    assert r.returncode == 2
    assert "-o" in r.stderr
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_kustomize_into_a_file_fails(tmp_path):
    f = tmp_path / "plain-file"
    f.write_text("x")
    r = sidecar("--inject-spec", K8S / "job.yaml", "--emit", "kustomize", "-o", f)
    assert r.returncode != 0
    assert f.read_text() == "x"


# ---------------------------------------------------------------- what is written


@pytest.mark.parametrize("emit", ["patch", "kustomize"])
def test_dry_run_writes_nothing(emit, tmp_path):
    out = tmp_path / ("out.yaml" if emit == "patch" else "outdir")
    r = sidecar("--inject-spec", K8S / "cronjob.yaml", "--emit", emit, "-o", out, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    assert r.stdout == emitted("cronjob.yaml")
    r = sidecar("--inject-spec", K8S / "cronjob.yaml", "--emit", emit, "--dry-run",
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == emitted("cronjob.yaml")
    assert list(tmp_path.iterdir()) == []


def test_output_file_and_json_summary(tmp_path):
    out = tmp_path / "sidecar.yaml"
    r = sidecar("--inject-spec", K8S / "deployment.yaml", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    assert out.read_text() == emitted("deployment.yaml")
    s = json.loads(r.stdout)
    assert s["workload_kind"] == "Deployment"
    assert s["workload"] == "coding-agent"
    assert s["proxy"] == "coding-agent-pipelock"
    assert s["agent_identity"] == "deployment/coding-agent"
    assert s["objects"] == [{"kind": o["kind"], "name": o["metadata"]["name"]}
                            for o in docs("deployment.yaml")]
    assert len(s["objects"]) == 7
    assert s["files"] == [str(out)]
    assert s["verify"] == "ok" and s["canary"] == "ok"

    # It refuses to overwrite without --force, and leaves the file as it was.
    out.write_text("mine\n")
    r = sidecar("--inject-spec", K8S / "deployment.yaml", "-o", out)
    assert r.returncode == 1
    assert "--force" in r.stderr
    assert out.read_text() == "mine\n"
    r = sidecar("--inject-spec", K8S / "deployment.yaml", "-o", out, "--force")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert out.read_text() == emitted("deployment.yaml")


def test_json_summary_of_kustomize(tmp_path):
    d = tmp_path / "kz"
    r = sidecar("--inject-spec", K8S / "job.yaml", "--emit", "kustomize", "-o", d, "--json",
                "--skip-canary")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["files"] == [str(d / f) for f in ORDER + ["kustomization.yaml"]]
    assert s["verify"] == "ok" and s["canary"] == "skipped"
    assert s["agent_identity"] == "job/triage-agent"


def test_json_with_patch_needs_an_output_file(tmp_path):
    r = sidecar("--inject-spec", K8S / "job.yaml", "--json", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert "-o" in r.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- bad input

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: a}}
  template:
{meta}    spec:
{pod}      containers:
      - name: c
        image: x
"""
LABELS = "    metadata:\n      labels: {app: a}\n"


def deploy(name="agent", meta=LABELS, pod=""):
    return DEPLOY.format(name=name, meta=meta, pod=pod)


BAD_FILES = {
    "pod": ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
            "spec: {containers: [{name: c, image: x}]}\n", "not supported"),
    "no-kind": ("apiVersion: v1\nmetadata: {name: p}\n", "not supported"),
    "no-pod-labels": (deploy(meta=""), "no labels"),
    "empty-pod-labels": (deploy(meta="    metadata:\n      labels: {}\n"), "no labels"),
    "no-containers": (deploy().split("      containers:")[0] + "      containers: []\n",
                      "missing"),
    "host-network": (deploy(pod="      hostNetwork: true\n"), "hostNetwork"),
    "name-too-long": (deploy(name="a" * 55), "63"),
    "name-digit": (deploy(name="1agent"), "start with a letter"),
    "name-upper": (deploy(name="Agent"), "metadata.name"),
    "no-name": (deploy().replace("  name: agent\n", "  labels: {x: y}\n"), "metadata.name"),
    "not-yaml": ("this is: [not yaml\n", "YAML"),
    "two-documents": (deploy() + "---\n" + deploy(name="other"), "second YAML document"),
    "empty": ("", "one Kubernetes object"),
    "only-a-comment": ("# nothing\n", "one Kubernetes object"),
    "a-list": ("- a\n- b\n", "one Kubernetes object"),
    "a-string": ("just a string\n", "one Kubernetes object"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_workload_is_refused(case, tmp_path):
    text, why = BAD_FILES[case]
    f = tmp_path / "workload.yaml"
    f.write_text(text)
    for emit in ("patch", "kustomize"):
        out = tmp_path / "out"
        r = sidecar("--inject-spec", f, "--emit", emit, "-o", out)
        assert r.returncode == 2, (emit, r.stdout, r.stderr)
        assert why in r.stderr, r.stderr
        assert r.stderr.startswith("pipelock: init sidecar: "), r.stderr
        assert r.stdout == ""
        assert sorted(p.name for p in tmp_path.iterdir()) == ["workload.yaml"]
    assert f.read_text() == text


def test_the_longest_name_is_accepted(tmp_path):
    """54 characters + "-pipelock" = 63, the longest DNS label a Service name may be."""
    f = tmp_path / "w.yaml"
    f.write_text(deploy(name="a" * 54))
    r = sidecar("--inject-spec", f)
    assert r.returncode == 0, r.stderr
    objs = list(yaml.safe_load_all(r.stdout))
    assert objs[3]["metadata"]["name"] == "a" * 54 + "-pipelock"
    assert len(objs[3]["metadata"]["name"]) == 63


@pytest.mark.parametrize("args, why", [
    (["--inject-spec", "missing.yaml"], "cannot read missing.yaml"),
    ([], "--inject-spec is required"),
    (["--emit", "bogus"], "unknown --emit"),
    (["--image", "a b"], "--image"),
    (["--image", ""], "--image"),
    (["--image", 'a"b'], "--image"),
    (["--agent-identity", "has space"], "--agent-identity"),
    (["--agent-identity", "tab\there"], "--agent-identity"),
    (["--agent-identity", "ünïcode"], "--agent-identity"),
    # An empty identity turns bind_default_agent_identity into a no-op: the agent could then
    # name itself with X-Pipelock-Agent.
    (["--agent-identity", ""], "--agent-identity"),
    (["--preset", "bogus"], "unknown preset"),
    (["extra"], 'unexpected argument "extra"'),
    (["--no-such-flag"], "Usage"),
])
def test_bad_arguments_are_refused(args, why, tmp_path):
    (tmp_path / "w.yaml").write_text(deploy())
    if args and args[0] != "--inject-spec":
        args = ["--inject-spec", "w.yaml"] + args
    r = sidecar(*args, "-o", "out", cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert why in r.stderr, r.stderr
    assert r.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.yaml"]


# ---------------------------------------------------------------- YAML quoting


def job_with_args(args):
    """A Job whose container args are these strings, each written as a double-quoted YAML
    scalar (a JSON string is one), so that the input leaves no doubt they are strings."""
    items = "".join("        - " + json.dumps(a, ensure_ascii=False).replace("\u2028", "\\u2028")
                    + "\n" for a in args)
    return ("apiVersion: batch/v1\nkind: Job\nmetadata: {name: q}\nspec:\n  template:\n"
            "    metadata: {labels: {app: q}}\n    spec:\n      restartPolicy: Never\n"
            "      containers:\n      - name: c\n        image: x\n        args:\n" + items)


def round_trip(args, tmp_path, *extra):
    f = tmp_path / "q.yaml"
    f.write_text(job_with_args(args), encoding="utf-8")
    assert yaml.safe_load(f.read_text())["spec"]["template"]["spec"]["containers"][0][
        "args"] == args
    r = sidecar("--inject-spec", f, *extra)
    assert r.returncode == 0, r.stderr
    w = next(yaml.safe_load_all(r.stdout))
    return r.stdout, w["spec"]["template"]["spec"]["containers"][0]["args"]


QUOTING = ["yes", "no", "on", "0755", "1e3", "8080", "true", "null", "~", "a: b", "#x", "- x",
           "", "naïve ✓ 日本"]


def test_strings_that_yaml_would_retype_stay_strings(tmp_path):
    _, got = round_trip(QUOTING, tmp_path)
    bad = [(a, g) for a, g in zip(QUOTING, got) if type(g) is not str or g != a]
    assert not bad, f"changed by the round trip (sent, got back): {bad}"
    assert len(got) == len(QUOTING)


# Further strings a YAML reader retypes or rejects when they are written plain: the YAML 1.1
# booleans in every case (Kubernetes reads manifests with a YAML 1.1 reader: Y, N, YES, OFF...
# are booleans there), numbers in other notations, and the value and merge keys.
MORE_QUOTING = ["YES", "NO", "ON", "OFF", "Off", "No", "True", "FALSE", "Null", "NULL",
                "=", "<<", "0x1F", "0o17", "1_000", "+1", "-1", "-1.5", ".5", ".inf", "-.inf",
                ".NaN", "2001-12-14", "12:30:45", "190:20:30", "a #b", "a:", "[x]", "{x}",
                "*x", "&x", "!x", "|", ">x", "%x", "@x", "`x", "'x", '"x', "x ", " x", "\tx",
                "-", "--- x", "...", "?", "? x", "a,b", "tab\there", "cr\rx", "nul\x01x",
                "\u2028", "line\u2028sep", "é"]


@pytest.mark.parametrize("arg", MORE_QUOTING, ids=ascii)
def test_more_strings_that_yaml_would_retype_stay_strings(arg, tmp_path):
    # One string a run, so that one a reader cannot load does not hide the others; the
    # static check is skipped to see what the emitter writes (the test above keeps it on).
    _, (got,) = round_trip([arg], tmp_path, "--skip-verify", "--skip-canary")
    assert type(got) is str and got == arg, (arg, got)


YAML11_BOOLS = ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True",
                "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]


def test_yaml11_booleans_are_quoted(tmp_path):
    """PyYAML takes y/Y/n/N for strings, but go-yaml v2 (what kubectl and the API server read
    manifests with) takes them for booleans: every YAML 1.1 boolean word must be quoted."""
    text, _ = round_trip(YAML11_BOOLS, tmp_path)
    lines = text.split("\n")
    start = lines.index("        args:")
    plain = [line.strip()[2:] for line in lines[start + 1:start + 1 + len(YAML11_BOOLS)]
             if not line.strip()[2:].startswith(('"', "'"))]
    assert not plain, f"written plain, read as booleans by a YAML 1.1 reader: {plain}"


MULTILINE = ["line1\nline2", "#!/bin/sh\nset -e\necho hi\n", "\nlead", " lead\nx",
             "trail\n\n", "x\n", "  both\n  ", "a \nb", "a\n\n\nb", "\n", "x\n  indented\ny"]


def test_multiline_strings_come_back_unchanged(tmp_path):
    text, got = round_trip(MULTILINE, tmp_path)
    bad = [(a, g) for a, g in zip(MULTILINE, got) if g != a]
    assert not bad, f"changed by the round trip (sent, got back): {bad}"
    # And pipelock reads its own output back the same (idempotence with such strings).
    f = tmp_path / "again.yaml"
    f.write_text(text.split("---\n")[1])
    r = sidecar("--inject-spec", f)
    assert r.returncode == 0, r.stderr
    assert r.stdout == text


WORKLOAD_TYPES = """apiVersion: batch/v1
kind: Job
metadata: {name: typed}
spec:
  template:
    metadata: {labels: {app: typed}}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: False
      terminationGracePeriodSeconds: 30
      containers:
      - name: c
        image: x
        stdin: TRUE
        tty: True
        volumeMounts:
        - {name: v, mountPath: /v, readOnly: True}
        resources:
          requests: {cpu: 0.5, memory: 64Mi}
      volumes:
      - name: v
        emptyDir: {sizeLimit: 1Gi}
"""


def test_booleans_and_numbers_of_the_workload_keep_their_type(tmp_path):
    """`True`, `TRUE`, `False` are booleans to every YAML reader (1.1 and the 1.2 core schema):
    the patched workload must keep them booleans, not turn them into strings that the API
    server refuses."""
    f = tmp_path / "typed.yaml"
    f.write_text(WORKLOAD_TYPES)
    src = yaml.safe_load(WORKLOAD_TYPES)
    r = sidecar("--inject-spec", f)
    assert r.returncode == 0, r.stderr
    w = next(yaml.safe_load_all(r.stdout))
    pod, spod = pod_template(w)["spec"], pod_template(src)["spec"]
    for c in pod["containers"]:
        c["env"] = [e for e in c["env"] if e["name"] not in PROXY_VARS + NO_PROXY_VARS]
        if not c["env"]:
            del c["env"]
    changed = [(k, spod[k], pod[k]) for k in spod if pod[k] != spod[k] and k != "containers"]
    changed += [(k, spod["containers"][0][k], pod["containers"][0][k])
                for k in spod["containers"][0]
                if pod["containers"][0][k] != spod["containers"][0][k]]
    assert not changed, f"changed by pipelock (field, sent, got back): {changed}"
    assert pod == spod


def test_octal_file_modes_stay_numbers(tmp_path):
    """`defaultMode: 0400` (as the Kubernetes documentation writes it) is a number to every
    YAML reader (256 in YAML 1.1, which kubectl uses); it must not become the string "0400"."""
    text = WORKLOAD_TYPES.replace(
        "        emptyDir: {sizeLimit: 1Gi}\n",
        "        secret: {secretName: s, defaultMode: 0400}\n")
    f = tmp_path / "octal.yaml"
    f.write_text(text)
    r = sidecar("--inject-spec", f)
    assert r.returncode == 0, r.stderr
    w = next(yaml.safe_load_all(r.stdout))
    mode = pod_template(w)["spec"]["volumes"][0]["secret"]["defaultMode"]
    assert isinstance(mode, int) and mode in (0o400, 400), repr(mode)


# ---------------------------------------------------------------- alias bombs


def alias_bomb(levels):
    """A workload of under 1 KB whose aliases expand to 10**(levels+1) scalars."""
    lines = ["apiVersion: batch/v1", "kind: Job", "metadata: {name: bomb}", "spec:",
             "  template:", "    metadata: {labels: {app: bomb}}", "    spec:",
             "      restartPolicy: Never", "      containers:", "      - name: c",
             "        image: x", "        env:", "        - name: X0",
             "          value: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines += [f"        - name: X{i}",
                  f"          value: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]"]
    lines.append(f"        args: *l{levels}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_without_eating_memory(tmp_path):
    """The YAML tree does not copy aliases (pl_ytree: "walkers must bound the work they do",
    PL_YTREE_MAX_VISITS = 1,000,000); turning the workload into JSON must bound it too. Ten
    million expanded scalars from an 800-byte file must be refused (exit 2) without using
    gigabytes first: a few more levels would take all the machine's memory."""
    if is_asan():
        pytest.skip("needs an address-space limit, which the sanitizer build cannot run under")

    f = tmp_path / "bomb.yaml"
    f.write_text(alias_bomb(6))
    assert len(f.read_bytes()) < 1024
    limit = 4 << 30  # a safety net for this machine; the bound asserted is far lower

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "wb") as o, open(err, "wb") as e:
        p = subprocess.Popen([str(pipelock_bin()), "init", "sidecar", "--inject-spec", str(f),
                              "-o", str(tmp_path / "out.yaml")], stdout=o, stderr=e,
                             stdin=subprocess.DEVNULL, preexec_fn=cap)
    watchdog = threading.Timer(GUARD * 2, p.kill)
    watchdog.start()
    try:
        _, status, ru = os.wait4(p.pid, 0)  # the child's own peak RSS, in KiB on Linux
    finally:
        watchdog.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    err = err.read_text(errors="replace")
    assert p.returncode == 2, (p.returncode, err)
    assert out.read_text() == ""
    assert not (tmp_path / "out.yaml").exists()
    assert ru.ru_maxrss < 512 * 1024, f"used {ru.ru_maxrss >> 10} MiB before refusing: {err!r}"
    assert "must hold one Kubernetes object" not in err, (
        f"refused for the wrong reason (an allocation failed): {err!r}")
    assert "out of memory" not in err, f"refused only when memory ran out: {err!r}"
