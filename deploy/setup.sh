#!/usr/bin/env bash
# Sets up everything Jointly needs on this machine, and is safe to run again:
# a virtualenv with the locked Python packages, the npm assets built into
# var/assets, and reachable PostgreSQL and Redis (installed and started
# locally where none answers on 127.0.0.1). With --browser it also makes sure
# Debian's Chromium is there for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2; return 1; fi
}

apt_install() {
  say "Installing $* from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null \
    || { as_root apt-get update -qq >/dev/null && \
         as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- Python ------------------------------------------------------------------
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: Jointly needs Python 3.11 (Django 5.2 LTS); found $("$PYTHON" --version)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "Creating the virtualenv in .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.jointly-installed
want=$(hash_of pyproject.toml requirements.lock)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "Installing Python packages (requirements.lock)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]' 2>&1 \
    | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import django, django_tenants, allauth, rest_framework, celery, playwright' \
    || { echo "setup: the Python packages did not install" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# --- Pango, which WeasyPrint needs to draw the committee pack's PDF ----------------
if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
  apt_install libpango-1.0-0 libpangoft2-1.0-0
fi

# --- Front-end assets ----------------------------------------------------------
if ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
stamp=node_modules/.jointly-installed
want=$(hash_of package.json package-lock.json)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "Installing npm packages (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
bash deploy/build-assets.sh

# --- PostgreSQL and Redis --------------------------------------------------------
bash deploy/services.sh
# The database roles: an owner for migrations, an application role that owns
# nothing (docs/operating.md). The database itself is made by `make db`.
.venv/bin/python deploy/ensure_database.py --roles-only

# --- Browser for the browser tests -----------------------------------------------------
if [ "$want_browser" = 1 ] && [ ! -x "${JOINTLY_CHROMIUM:-/usr/bin/chromium}" ]; then
  apt_install chromium
fi

mkdir -p var/mail var/static
say "Set-up complete"
