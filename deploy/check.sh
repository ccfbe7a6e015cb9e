#!/usr/bin/env bash
# `make deploy-check`: validates what deploy/ ships, with whatever this machine
# allows, and says what it could not check (docs/operating.md, "Deploying").
#
#   1. every Kubernetes overlay renders (kustomize) and validates against the
#      Kubernetes JSON schemas (kubernetes-validate, strict, bundled schemas),
#      and keeps the invariants of deploy/check_manifests.py;
#   2. the Compose file resolves (`docker compose config`, else podman-compose),
#      validates against the Compose specification's schema, refuses to start
#      without its secrets, and keeps its invariants;
#   3. the image builds (podman, or docker with a running engine), runs as a
#      non-root user, carries no key, refuses to start without its keys, and
#      loads its settings, WSGI app and Celery app with keys given.
#
# Installs what it needs (a tools virtualenv from PyPI; podman from Debian's
# packages) and is safe to run again. DEPLOY_CHECK_IMAGE=0 skips the image.
set -euo pipefail
cd "$(dirname "$0")/.."

out=var/deploy-check
tools=var/deploy-tools
mkdir -p "$out"
KUBE_VERSIONS=${KUBE_VERSIONS:-"1.30.0 1.34.0"}
passed=() failed=() skipped=()
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
pass() { passed+=("$1"); printf '  ok      %s\n' "$1"; }
fail() { failed+=("$1"); printf '  FAILED  %s\n' "$1"; }
skip() { skipped+=("$1"); printf '  SKIPPED %s\n' "$1"; }
apt_install() {
  [ "$(id -u)" = 0 ] || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; }
}

# --- Tools ---------------------------------------------------------------------
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x "$tools/bin/python" ]; then
  say "Creating the tools virtualenv in $tools"
  "$PYTHON" -m venv "$tools"
fi
want=$(sha256sum deploy/check-requirements.txt | cut -c1-16)
if [ "$(cat "$tools/.installed" 2>/dev/null)" != "$want" ]; then
  say "Installing the check's tools (deploy/check-requirements.txt)"
  "$tools/bin/pip" install --quiet --disable-pip-version-check -r deploy/check-requirements.txt 2>&1 \
    | grep -v '^WARNING: Location' || true
  "$tools/bin/python" -c 'import kubernetes_validate, check_jsonschema, podman_compose' \
    || { echo "deploy-check: the tools did not install" >&2; exit 1; }
  echo "$want" > "$tools/.installed"
fi
if ! command -v podman >/dev/null && [ "${DEPLOY_CHECK_PODMAN:-1}" = 1 ]; then
  say "Installing podman from Debian's packages"
  apt_install podman || echo "  (podman could not be installed; the image and podman-compose checks are skipped)"
fi

# --- 1. Kubernetes ---------------------------------------------------------------
say "Kubernetes: render each overlay, validate against the schemas of Kubernetes $KUBE_VERSIONS"
if command -v kustomize >/dev/null || command -v kubectl >/dev/null; then
  for dir in deploy/k8s/overlays/*/; do
    overlay=$(basename "$dir")
    rendered="$out/k8s-$overlay.yaml"
    if deploy/k8s/render.sh "$overlay" --example-secrets --tag 0.0.0-check > "$rendered" 2> "$out/render.err"; then
      pass "overlay $overlay renders ($(grep -c '^kind:' "$rendered") objects, $rendered)"
    else
      fail "overlay $overlay renders: $(tail -1 "$out/render.err")"; continue
    fi
    for version in $KUBE_VERSIONS; do
      if "$tools/bin/kubernetes-validate" --strict --quiet --no-warn -k "$version" "$rendered" > "$out/validate.err" 2>&1
      then pass "overlay $overlay is valid Kubernetes $version (strict)"
      else fail "overlay $overlay against Kubernetes $version:"; sed 's/^/      /' "$out/validate.err"
      fi
    done
    if "$tools/bin/python" deploy/check_manifests.py --k8s "$rendered" > "$out/invariants.txt"
    then pass "overlay $overlay keeps the invariants (deploy/check_manifests.py)"
    else fail "overlay $overlay invariants:"; sed 's/^/    /' "$out/invariants.txt"
    fi
  done
else
  skip "Kubernetes overlays: neither kustomize nor kubectl is installed (Debian's kubernetes-client is 1.20, too old for these kustomizations)"
fi

# --- 2. Compose --------------------------------------------------------------------
say "Compose: resolve, schema, secrets required, invariants"
compose=deploy/compose.yaml
example=deploy/compose.env.example
: > "$out/empty.env"
if docker compose version >/dev/null 2>&1; then
  resolve() { docker compose -f "$compose" --env-file "$1" config --quiet; }
  resolver="docker compose config"
elif command -v podman >/dev/null; then
  resolve() { "$tools/bin/podman-compose" -f "$compose" --env-file "$1" config > /dev/null; }
  resolver="podman-compose config (no docker compose plugin here)"
else
  resolve() { return 2; }
  resolver=""
fi
if [ -n "$resolver" ]; then
  if resolve "$example" 2> "$out/compose.err"; then pass "compose file resolves with the example secrets ($resolver)"
  else fail "compose file resolves ($resolver): $(tail -1 "$out/compose.err")"; fi
  if resolve "$out/empty.env" 2>/dev/null; then fail "compose file starts without secrets (it must refuse)"
  else pass "compose file refuses to start without its secrets"; fi
else
  skip "compose resolution: neither the docker compose plugin nor podman is available"
fi
if "$tools/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$compose" > "$out/compose-schema.txt" 2>&1
then pass "compose file is valid against the Compose specification's schema"
else fail "compose schema:"; sed 's/^/    /' "$out/compose-schema.txt"
fi
if "$tools/bin/python" deploy/check_manifests.py --compose "$compose" > "$out/invariants.txt"
then pass "compose file keeps the invariants (deploy/check_manifests.py)"
else fail "compose invariants:"; sed 's/^/    /' "$out/invariants.txt"
fi

# --- 3. The image ---------------------------------------------------------------------
say "Image: build deploy/Dockerfile and try it"
image=localhost/jointly:check
engine=""
if [ "${DEPLOY_CHECK_IMAGE:-1}" != 1 ]; then
  skip "image build (DEPLOY_CHECK_IMAGE=0)"
elif docker info >/dev/null 2>&1; then
  engine=docker
elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then
  engine=podman
else
  skip "image build: no docker engine answers ($(docker info 2>&1 | grep -m1 -i 'cannot connect' || echo 'no docker')) and podman is not usable here"
fi
if [ -n "$engine" ]; then
  build_flags=(--network host)
  base_python=docker.io/library/python:3.11-slim-bookworm
  if ! timeout 60 "$engine" pull -q "$base_python" >/dev/null 2>"$out/pull.err" \
     || ! timeout 60 "$engine" pull -q docker.io/library/node:20-bookworm-slim >/dev/null 2>>"$out/pull.err"; then
    echo "  (no registry of images answers: $(grep -m1 -o 'dial tcp.*' "$out/pull.err" || tail -1 "$out/pull.err"))"
    base_python=""
  fi
  # Can this engine start a container at all? In some sandboxes podman cannot
  # (setrlimit is refused, cgroups are in hybrid mode): then RUN steps use
  # chroot isolation and the image is tried in a chroot of its file system.
  mode=container isolation=()
  if [ "$engine" = podman ]; then
    probe=$(mktemp -d); printf 'FROM scratch\nCOPY probe /probe\n' > "$probe/Containerfile"; : > "$probe/probe"
    podman build -q -t localhost/jointly-probe "$probe" >/dev/null 2>&1; rm -rf "$probe"
    if ! podman run --rm --network none localhost/jointly-probe /probe >/dev/null 2>"$out/run.err" \
       && grep -qiE 'rlimit|cgroup' "$out/run.err"; then
      mode=chroot isolation=(--isolation chroot)
      echo "  (podman cannot start a container here: $(grep -m1 -oiE '(crun|runc).*' "$out/run.err");" \
           "building with --isolation chroot and trying the image in a chroot of its file system)"
    fi
  fi
  build_flags+=("${isolation[@]}")
  # This machine reaches PyPI and npm through a TLS-inspecting proxy whose CA
  # is in the host's bundle: lend that bundle to the build's RUN steps (read
  # only; nothing of it stays in the image).
  host_ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  if [ -s "$host_ca" ]; then
    build_flags+=(-v "$host_ca:/etc/ssl/certs/build-host-ca.crt:ro"
                  --build-arg NPM_CONFIG_CAFILE=/etc/ssl/certs/build-host-ca.crt
                  --build-arg PIP_CERT=/etc/ssl/certs/build-host-ca.crt)
  fi
  pgbouncer_flags=()
  if [ -z "$base_python" ]; then
    if [ "$engine" = podman ] && PODMAN_BUILD_FLAGS="${isolation[*]}" bash deploy/image-base.sh; then
      build_flags+=(--build-arg PYTHON_IMAGE=localhost/jointly-base-python:bookworm
                    --build-arg NODE_IMAGE=localhost/jointly-base-node:bookworm)
      pgbouncer_flags=(--build-arg DEBIAN_IMAGE=localhost/jointly-base-python:bookworm)
      echo "  (building on Debian bookworm bases made from Debian's packages by deploy/image-base.sh)"
    else
      fail "image build: no base image (no registry of images, and no base could be made)"
      engine=""
    fi
  fi
fi
if [ -n "$engine" ]; then
  if "$engine" build "${build_flags[@]}" -f deploy/Dockerfile -t "$image" . > "$out/build.log" 2>&1; then
    pass "image builds with $engine ($image; log in $out/build.log)"
    user=$("$engine" image inspect "$image" --format '{{.Config.User}}')
    mapfile -t image_env < <("$engine" image inspect "$image" --format '{{range .Config.Env}}{{println .}}{{end}}' | grep .)
    root=""
    if [ "$mode" = chroot ]; then
      root=$(podman image mount "$image")
    fi
    # run_image [NAME=value ...] -- command ...: in a container, or as the
    # image's user in a chroot of its file system, with its environment.
    run_image() {
      local envs=()
      while [ "$1" != "--" ]; do envs+=("$1"); shift; done
      shift
      if [ "$mode" = container ]; then
        local flags=()
        for e in "${envs[@]}"; do flags+=(-e "$e"); done
        "$engine" run --rm --network none "${flags[@]}" "$image" "$@"
      else
        chroot --userspec="$user" "$root" /usr/bin/env -i "${image_env[@]}" "${envs[@]}" \
          /bin/sh -c 'cd /app && exec "$@"' sh "$@"
      fi
    }
    keys=(SECRET_KEY=check-1 MFA_ENCRYPTION_KEY=check-2 BID_SEALING_KEY=check-3 AUDIT_CHAIN_KEY=check-4)
    uid=$(run_image -- id -u 2>&1 || true)
    if [ "$user" = "10001:10001" ] && [ "$uid" = 10001 ]; then pass "image runs as the non-root user 10001 ($mode)"
    else fail "image user: $user, id -u: $uid"; fi
    baked=$(printf '%s\n' "${image_env[@]}" \
      | grep -E '^(SECRET_KEY|MFA_ENCRYPTION_KEY|BID_SEALING_KEY|AUDIT_CHAIN_KEY|DATABASE_[A-Z_]*URL|AWS_[A-Z_]*)=' || true)
    [ -z "$baked" ] && pass "image's environment holds no key, credential or database URL" || fail "image bakes: $baked"
    if run_image -- test -e /app/.env; then fail "image contains a .env file"; else pass "image contains no .env file"; fi
    refusal=$(run_image -- python manage.py check 2>&1 || true)
    if grep -q "SECRET_KEY must be set" <<< "$refusal"; then pass "image refuses to start without its keys"
    else fail "image started without keys: $(tail -1 <<< "$refusal")"; fi
    if run_image "${keys[@]}" -- gunicorn config.wsgi --config deploy/gunicorn.conf.py --check-config \
         > "$out/smoke.log" 2>&1 \
       && run_image "${keys[@]}" -- python -c 'from config.celery import app; import django; django.setup(); app.loader.import_default_modules(); print(len(app.tasks), "tasks")' \
         >> "$out/smoke.log" 2>&1 \
       && run_image -- test -s /app/var/static/jointly.css.gz -a -s /app/var/static/govuk/govuk-frontend.min.js \
         >> "$out/smoke.log" 2>&1
    then pass "image loads gunicorn's WSGI app, the Celery app and its tasks ($(grep -o '[0-9]* tasks' "$out/smoke.log")), and has its static files"
    else fail "image smoke test: $(tail -3 "$out/smoke.log" | tr '\n' ' ')"; fi
    [ -n "$root" ] && podman image unmount "$image" >/dev/null
    if "$engine" build --network host "${isolation[@]}" "${pgbouncer_flags[@]}" \
         -f deploy/compose/pgbouncer.Dockerfile -t localhost/jointly-pgbouncer:check deploy/compose \
         > "$out/pgbouncer-build.log" 2>&1
    then
      pass "compose's PgBouncer image builds"
      # It starts with compose's settings (its user list from the environment).
      pg_image=localhost/jointly-pgbouncer:check pg_env=(JOINTLY_APP_PASSWORD=check JOINTLY_OWNER_PASSWORD=check)
      if [ "$mode" = container ]; then
        timeout 10 "$engine" run --rm --network none -e "${pg_env[0]}" -e "${pg_env[1]}" "$pg_image" \
          > "$out/pgbouncer-run.log" 2>&1 || true
      elif (exec 3<>/dev/tcp/127.0.0.1/6432) 2>/dev/null; then
        echo "something else listens on 127.0.0.1:6432" > "$out/pgbouncer-run.log"
      else
        pg_root=$(podman image mount "$pg_image")
        mount -t tmpfs -o size=4m tmpfs "$pg_root/tmp"
        timeout 4 chroot --userspec=postgres:postgres "$pg_root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/bin \
          "${pg_env[@]}" sh /usr/local/bin/pgbouncer-start > "$out/pgbouncer-run.log" 2>&1 || true
        umount "$pg_root/tmp"
        podman image unmount "$pg_image" >/dev/null
      fi
      if grep -q "process up" "$out/pgbouncer-run.log"; then
        pass "PgBouncer starts with compose's settings ($(grep -o 'PgBouncer [0-9.]*' "$out/pgbouncer-run.log"), pool_mode session)"
      elif grep -q "something else listens" "$out/pgbouncer-run.log"; then
        skip "PgBouncer start: 127.0.0.1:6432 is taken on this machine"
      else
        fail "PgBouncer does not start: $(tail -2 "$out/pgbouncer-run.log" | tr '\n' ' ')"
      fi
    else fail "compose's PgBouncer image: $(tail -1 "$out/pgbouncer-build.log")"; fi
  else
    fail "image build with $engine: $(tail -3 "$out/build.log" | tr '\n' ' ')"
  fi
fi

# --- Summary ---------------------------------------------------------------------------
echo
printf 'deploy-check: %d passed, %d failed, %d skipped\n' "${#passed[@]}" "${#failed[@]}" "${#skipped[@]}"
for item in "${skipped[@]}"; do printf '  skipped: %s\n' "$item"; done
[ "${#failed[@]}" = 0 ]
