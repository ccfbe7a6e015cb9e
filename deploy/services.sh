#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1. Where one already does
# (CI, a developer's machine) it is used as it is; otherwise it is installed
# from Debian's packages and started here, PostgreSQL with trust auth for the
# local user `postgres`, as the project's defaults expect.
set -euo pipefail

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "services: need root to run: $*" >&2; return 1; fi
}
apt_install() {
  say "Installing $* from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null \
    || { as_root apt-get update -qq >/dev/null && \
         as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; }
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  echo "services: nothing answers on 127.0.0.1:$1" >&2; return 1
}

pg_port=${PGPORT:-5432}
if ! port_open "$pg_port"; then
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  conf=/etc/postgresql/$version/main
  if ! as_root grep -q 'jointly-local' "$conf/pg_hba.conf"; then
    say "Letting local connections to PostgreSQL $version in by trust (development only)"
    as_root sed -i '1i # jointly-local\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' \
      "$conf/pg_hba.conf"
  fi
  say "Starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
    || as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  wait_for "$pg_port"
fi

redis_port=${REDIS_PORT:-6379}
if ! port_open "$redis_port"; then
  command -v redis-server >/dev/null || apt_install redis-server
  say "Starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/jointly.log
  wait_for "$redis_port"
fi
