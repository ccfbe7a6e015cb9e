#!/usr/bin/env bash
# A release on Kubernetes, in the order it must happen (docs/operating.md,
# "Deploying"):
#
#   deploy/k8s/release.sh staging 1.4.2
#
# 1. render the overlay with the release's tag (render.sh; the real secrets
#    files must be there);
# 2. apply everything but the workloads: namespace, settings, secrets and the
#    migration Job jointly-migrate-<tag>, and wait for the Job to succeed
#    (migrate_all as the owner role);
# 3. apply the rest: web rolls one pod at a time (a new pod takes traffic
#    only once /readyz passes), the workers roll, beat is recreated; wait for
#    each rollout.
# A failed migration stops the release before any process runs the new code.
# Needs kubectl pointed at the cluster (KUBECONFIG / context).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
overlay=${1:?usage: release.sh OVERLAY TAG}
tag=${2:?usage: release.sh OVERLAY TAG}
timeout=${MIGRATE_TIMEOUT:-1800}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
manifest="$work/release.yaml"
"$here/render.sh" "$overlay" --tag "$tag" > "$manifest"

workloads='app.kubernetes.io/component notin (web,beat,worker-deadlines,worker-mail,worker-maintenance)'
say "Applying settings, secrets and the migration Job for $tag"
kubectl apply -f "$manifest" --selector "$workloads"

job=$(kubectl get -f "$manifest" --selector app.kubernetes.io/component=migrate -o name)
namespace=$(kubectl get -f "$manifest" --selector app.kubernetes.io/component=migrate \
  -o jsonpath='{.items[0].metadata.namespace}')
say "Waiting for $job (migrate_all)"
deadline=$((SECONDS + timeout))
while :; do
  read -r succeeded failed < <(kubectl -n "$namespace" get "$job" \
    -o jsonpath='{.status.succeeded} {.status.failed}{"\n"}' | awk '{print ($1 ? $1 : 0), ($2 ? $2 : 0)}')
  [ "$succeeded" -ge 1 ] && break
  if [ "$failed" -ge 1 ] && ! kubectl -n "$namespace" get "$job" -o jsonpath='{.status.active}' | grep -q .; then
    kubectl -n "$namespace" logs "$job" --tail 50 || true
    echo "release: $job failed; nothing was rolled out" >&2
    exit 1
  fi
  [ $SECONDS -lt $deadline ] || { echo "release: $job did not finish in ${timeout}s" >&2; exit 1; }
  sleep 5
done

say "Rolling out web, the workers and beat"
kubectl apply -f "$manifest"
for deployment in $(kubectl get -f "$manifest" -o name | grep '^deployment'); do
  kubectl -n "$namespace" rollout status "$deployment" --timeout 10m
done
say "Released $tag to $overlay"
