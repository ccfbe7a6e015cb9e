"""What every deployment of Jointly must keep true, checked on the rendered
Kubernetes manifests and on the Compose file (deploy/check.sh, and
tests/deploy/test_manifests.py). Each check returns a list of problems, empty
when all is well. Needs only PyYAML.

    python deploy/check_manifests.py --k8s rendered-staging.yaml --compose deploy/compose.yaml
"""

from __future__ import annotations

import argparse
import configparser
import re
import sys
from pathlib import Path

import yaml

QUEUES = ("deadlines", "mail", "maintenance")
REQUIRED_SECRETS = ("SECRET_KEY", "MFA_ENCRYPTION_KEY", "BID_SEALING_KEY", "AUDIT_CHAIN_KEY", "DATABASE_URL",
                    "METRICS_TOKEN")
# Names that must never be in a ConfigMap (they are secrets).
SECRET_NAME = re.compile(r"(^|_)(KEY|KEYS|PASSWORD|TOKEN|DSN|SECRET)(_|$)|DATABASE_.*URL$|^AWS_SECRET")
OWNER_SECRET = "jointly-owner-database"


def _component(doc: dict) -> str:
    return doc.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/component", "")


def _pod(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def _containers(doc: dict) -> list[dict]:
    return _pod(doc).get("containers", [])


def _env_sources(container: dict) -> list[tuple[str, str]]:
    """(kind, name) of each envFrom source, names without the generator's hash."""
    out = []
    for source in container.get("envFrom", []):
        for kind in ("configMapRef", "secretRef"):
            if kind in source:
                out.append((kind, source[kind]["name"]))
    return out


def _probe_path(container: dict, probe: str) -> str | None:
    return ((container.get(probe) or {}).get("httpGet") or {}).get("path")


def check_k8s(docs: list[dict]) -> list[str]:
    problems: list[str] = []
    docs = [d for d in docs if d]
    by_kind: dict[str, list[dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    deployments = {_component(d): d for d in by_kind.get("Deployment", [])}
    configmaps = by_kind.get("ConfigMap", [])
    secrets = by_kind.get("Secret", [])
    config = {k: v for cm in configmaps for k, v in (cm.get("data") or {}).items()}
    secret_keys = {k for s in secrets for k in (s.get("data") or {}) | (s.get("stringData") or {})}

    web = deployments.get("web")
    if web is None:
        return ["no web Deployment (component web)"]
    if web["spec"].get("replicas", 1) < 2:
        problems.append("web has fewer than 2 replicas")
    strategy = web["spec"].get("strategy", {})
    if strategy.get("type", "RollingUpdate") != "RollingUpdate" or \
            str(strategy.get("rollingUpdate", {}).get("maxUnavailable")) != "0":
        problems.append("web must roll with maxUnavailable 0")
    container = _containers(web)[0]
    if _probe_path(container, "readinessProbe") != "/readyz":
        problems.append("web's readiness probe is not /readyz")
    if _probe_path(container, "livenessProbe") != "/healthz":
        problems.append("web's liveness probe is not /healthz")
    allowed = {h.strip() for h in config.get("ALLOWED_HOSTS", "").split(",")}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = ((container.get(probe) or {}).get("httpGet") or {}).get("httpHeaders") or []
        host = next((h["value"] for h in headers if h["name"].lower() == "host"), None)
        if probe in container and host not in allowed:
            problems.append(f"web's {probe} sends Host {host!r}, not in ALLOWED_HOSTS")
    web_labels = web["spec"]["template"]["metadata"]["labels"]
    pdbs = [p for p in by_kind.get("PodDisruptionBudget", [])
            if all(web_labels.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items())]
    if not pdbs:
        problems.append("no PodDisruptionBudget selects the web pods")
    if not any(s["spec"].get("selector", {}).items() <= web_labels.items() for s in by_kind.get("Service", [])):
        problems.append("no Service selects the web pods")

    beat = [d for c, d in deployments.items() if c == "beat"]
    if len(beat) != 1:
        problems.append(f"{len(beat)} beat Deployments, not exactly one")
    else:
        if beat[0]["spec"].get("replicas", 1) != 1:
            problems.append("beat must have exactly 1 replica")
        if beat[0]["spec"].get("strategy", {}).get("type") != "Recreate":
            problems.append("beat must be replaced by Recreate (never two at once)")
        if "beat" not in _containers(beat[0])[0].get("command", []):
            problems.append("beat's command does not run celery beat")

    for queue in QUEUES:
        worker = deployments.get(f"worker-{queue}")
        if worker is None:
            problems.append(f"no worker Deployment for the {queue} queue")
            continue
        command = _containers(worker)[0].get("command", [])
        queues = command[command.index("--queues") + 1] if "--queues" in command[:-1] else None
        if command[:4] != ["celery", "--app", "config", "worker"] or queues != queue:
            problems.append(f"the {queue} worker does not run `celery --app config worker --queues {queue}`")

    jobs = [j for j in by_kind.get("Job", []) if _component(j) == "migrate"]
    image = container.get("image", "")
    if len(jobs) != 1:
        problems.append(f"{len(jobs)} migration Jobs, not exactly one")
    else:
        job = jobs[0]
        tag = image.rsplit(":", 1)[-1]
        if job["metadata"]["name"] != f"jointly-migrate-{tag}":
            problems.append(f"the migration Job is {job['metadata']['name']}, not named after the tag {tag}")
        job_container = _containers(job)[0]
        if job_container.get("command", [])[-1:] != ["migrate_all"]:
            problems.append("the migration Job does not run manage.py migrate_all")
        if not any(n.startswith(OWNER_SECRET) for _, n in _env_sources(job_container)):
            problems.append("the migration Job does not get the owner's database URL")
        if _pod(job).get("restartPolicy") != "Never":
            problems.append("the migration Job must not restart in place")

    workloads = [d for d in docs if d["kind"] in ("Deployment", "Job") and _containers(d)
                 and _containers(d)[0].get("image", "").split(":")[0] == image.split(":")[0]]
    for doc in workloads:
        name = doc["metadata"]["name"]
        pod = _pod(doc)
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            problems.append(f"{name} does not require a non-root user")
        for c in pod["containers"]:
            if c.get("image") != image:
                problems.append(f"{name} runs {c.get('image')}, not the release's image {image}")
            requests, limits = c.get("resources", {}).get("requests", {}), c.get("resources", {}).get("limits", {})
            if not {"cpu", "memory"} <= set(requests) or "memory" not in limits:
                problems.append(f"{name} lacks CPU and memory requests or a memory limit")
            sc = c.get("securityContext", {})
            if not sc.get("readOnlyRootFilesystem") or sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name} must have a read-only root and no privilege escalation")
            if doc["kind"] == "Deployment" and any(n.startswith(OWNER_SECRET) for _, n in _env_sources(c)):
                problems.append(f"{name} gets the owner's database URL (only the migration Job may)")

    for key in config:
        if SECRET_NAME.search(key):
            problems.append(f"the ConfigMap holds {key}, which is a secret")
    for secret in secrets:
        if not re.fullmatch(r"[a-z0-9-]+-[a-z0-9]{10}", secret["metadata"]["name"]):
            problems.append(f"Secret {secret['metadata']['name']} is not made by a secretGenerator")
    missing = [k for k in REQUIRED_SECRETS if k not in secret_keys]
    if missing:
        problems.append(f"no Secret provides {', '.join(missing)}")
    if "DATABASE_OWNER_URL" not in secret_keys:
        problems.append("no Secret provides DATABASE_OWNER_URL for the migration Job")
    return problems


def check_compose(path: Path) -> list[str]:
    problems: list[str] = []
    text = path.read_text()
    services = yaml.safe_load(text)["services"]
    for name in REQUIRED_SECRETS[:4] + ("METRICS_TOKEN",):
        if not re.search(rf"{name}: \$\{{{name}:\?", text):
            problems.append(f"compose must require {name} (${{{name}:?...}}), never default it")
    migrate = services.get("migrate", {})
    if migrate.get("command", [])[-1:] != ["migrate_all"]:
        problems.append("the migrate service does not run manage.py migrate_all")
    if "DATABASE_OWNER_URL" not in migrate.get("environment", {}):
        problems.append("the migrate service does not get DATABASE_OWNER_URL")
    app = ["web", "beat"] + [f"worker-{q}" for q in QUEUES]
    for name in app:
        service = services.get(name)
        if service is None:
            problems.append(f"no {name} service")
            continue
        if (service.get("depends_on") or {}).get("migrate", {}).get("condition") != "service_completed_successfully":
            problems.append(f"{name} does not wait for migrate to complete")
        if "DATABASE_OWNER_URL" in service.get("environment", {}):
            problems.append(f"{name} gets DATABASE_OWNER_URL (only migrate may)")
        if "pgbouncer:6432" not in service.get("environment", {}).get("DATABASE_URL", ""):
            problems.append(f"{name} does not connect through PgBouncer")
        if not service.get("read_only"):
            problems.append(f"{name} does not run on a read-only file system")
    for queue in QUEUES:
        command = services.get(f"worker-{queue}", {}).get("command", [])
        if command[:4] != ["celery", "--app", "config", "worker"] or f"--queues {queue}" not in " ".join(command):
            problems.append(f"worker-{queue} does not run `celery --app config worker --queues {queue}`")
    if "deploy" in services.get("beat", {}):
        problems.append("beat must not be scaled (no deploy: section)")
    for name, service in services.items():
        if name not in ("migrate", "minio-bucket") and "healthcheck" not in service and name != "beat":
            problems.append(f"{name} has no healthcheck")
    ini = configparser.ConfigParser(inline_comment_prefixes=None, comment_prefixes=(";", "#"))
    ini.read(path.parent / "compose" / "pgbouncer.ini")
    if ini.get("pgbouncer", "pool_mode", fallback="") != "session":
        problems.append("PgBouncer must run in session mode (django-tenants sets search_path per connection)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k8s", nargs="*", default=[], type=Path, help="rendered overlays (multi-document YAML)")
    parser.add_argument("--compose", type=Path, help="the Compose file")
    args = parser.parse_args(argv)
    failed = False
    for path in args.k8s:
        problems = check_k8s(list(yaml.safe_load_all(path.read_text())))
        failed |= bool(problems)
        print(f"{'FAIL' if problems else 'ok'}   invariants of {path.name}")
        for problem in problems:
            print(f"       - {problem}")
    if args.compose:
        problems = check_compose(args.compose)
        failed |= bool(problems)
        print(f"{'FAIL' if problems else 'ok'}   invariants of {args.compose}")
        for problem in problems:
            print(f"       - {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
