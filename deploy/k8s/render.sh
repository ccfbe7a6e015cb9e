#!/usr/bin/env bash
# Renders one overlay to stdout, from a copy of deploy/k8s (the tree itself is
# never changed):
#
#   deploy/k8s/render.sh staging [--tag 1.4.2] [--example-secrets]
#
# --tag sets the release's image tag (and so the migration Job's name).
# --example-secrets uses the committed *.env.example files where the real,
# git-ignored *.env files are missing: for checks only, never to deploy.
# Uses `kustomize build` if installed, else `kubectl kustomize` (kubectl has
# kustomize built in).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

overlay=${1:?usage: render.sh OVERLAY [--tag TAG] [--example-secrets]}
shift
tag="" examples=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    --example-secrets) examples=1; shift ;;
    *) echo "render: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -d "$here/overlays/$overlay" ] || { echo "render: no overlay $overlay in $here/overlays" >&2; exit 2; }
if [ -n "$tag" ] && ! [[ "$tag" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]]; then
  echo "render: the tag must be lower-case letters, digits, dots and dashes (it names the migration Job)" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here" "$work/k8s"
dir="$work/k8s/overlays/$overlay"
for example in "$dir"/*.env.example; do
  [ -e "$example" ] || continue
  real=${example%.example}
  if [ ! -e "$real" ]; then
    if [ "$examples" = 1 ]; then
      cp "$example" "$real"
    else
      echo "render: $(basename "$real") is missing beside overlays/$overlay/kustomization.yaml" \
           "(copy $(basename "$example") and fill it in from the secret store)" >&2
      exit 1
    fi
  fi
done
if [ -n "$tag" ]; then
  # The overlay's one `newTag:` line (images:), as `kustomize edit set image` would.
  sed -i -E "s/^(\s*newTag:).*/\1 \"$tag\"/" "$dir/kustomization.yaml"
fi

if command -v kustomize >/dev/null; then
  kustomize build "$dir"
elif command -v kubectl >/dev/null; then
  kubectl kustomize "$dir"
else
  echo "render: neither kustomize nor kubectl is installed" >&2
  exit 127
fi
