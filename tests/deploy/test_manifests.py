"""The deployment's invariants (deploy/check_manifests.py) hold for every
Kubernetes overlay as rendered by kustomize, and for the Compose file; the
checker itself catches a broken manifest; no secret is committed.

Rendering needs kustomize or kubectl (kubectl has kustomize built in): those
tests are skipped where neither is installed. `make deploy-check` does more
(schemas, Compose resolution, the image)."""

from __future__ import annotations

import copy
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = sorted(p.name for p in (DEPLOY / "k8s" / "overlays").iterdir() if p.is_dir())

_spec = importlib.util.spec_from_file_location("check_manifests", DEPLOY / "check_manifests.py")
check_manifests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_manifests)

needs_kustomize = pytest.mark.skipif(not (shutil.which("kustomize") or shutil.which("kubectl")),
                                     reason="neither kustomize nor kubectl is installed")


def render(overlay: str, tag: str = "1.4.2") -> list[dict]:
    result = subprocess.run(
        ["bash", str(DEPLOY / "k8s" / "render.sh"), overlay, "--example-secrets", "--tag", tag],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(docs: list[dict], kind: str, component: str) -> dict:
    return next(d for d in docs if d["kind"] == kind
                and d["metadata"]["labels"].get("app.kubernetes.io/component") == component)


@needs_kustomize
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_keeps_the_invariants(overlay):
    docs = render(overlay)

    assert check_manifests.check_k8s(docs) == []
    beat, web = find(docs, "Deployment", "beat"), find(docs, "Deployment", "web")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    assert web["spec"]["replicas"] >= 2
    assert find(docs, "Job", "migrate")["metadata"]["name"] == "jointly-migrate-1.4.2"


@needs_kustomize
def test_the_checker_catches_what_would_break_a_release():
    docs = render("staging")
    broken = copy.deepcopy(docs)
    find(broken, "Deployment", "beat")["spec"]["replicas"] = 2
    web = find(broken, "Deployment", "web")
    web["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/healthz"
    worker = find(broken, "Deployment", "worker-mail")
    worker["spec"]["template"]["spec"]["containers"][0]["envFrom"].append(
        {"secretRef": {"name": "jointly-owner-database-abcde12345"}})
    next(d for d in broken if d["kind"] == "ConfigMap")["data"]["SECRET_KEY"] = "oops"

    problems = "\n".join(check_manifests.check_k8s(broken))

    assert "beat must have exactly 1 replica" in problems
    assert "readiness probe is not /readyz" in problems
    assert "jointly-worker-mail gets the owner's database URL" in problems
    assert "the ConfigMap holds SECRET_KEY" in problems


@needs_kustomize
def test_a_tag_that_cannot_name_the_migration_job_is_refused():
    result = subprocess.run(["bash", str(DEPLOY / "k8s" / "render.sh"), "staging", "--example-secrets",
                             "--tag", "Release_1"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "lower-case letters, digits, dots and dashes" in result.stderr


def test_the_compose_file_keeps_the_invariants():
    assert check_manifests.check_compose(DEPLOY / "compose.yaml") == []


def test_no_secret_is_committed():
    """Only *.example env files are in the tree, and they hold placeholders."""
    listed = subprocess.run(["git", "ls-files", "deploy"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    files = listed.stdout.split()
    assert not [f for f in files if f.endswith(".env")], "a secrets file is committed"
    examples = [f for f in files if f.endswith(".env.example")]
    assert len(examples) >= 5
    secret = re.compile(r"^([A-Z_]*(KEY|PASSWORD|TOKEN|SECRET_ACCESS_KEY|_ID)|[A-Z_]*URL)=(.*)$")
    for name in examples:
        for line in (ROOT / name).read_text().splitlines():
            match = secret.match(line)
            if match and match.group(3):
                assert "change-me" in match.group(3), (name, line)
