# The user list from the environment (the two roles' passwords), then PgBouncer.
set -eu
umask 077
printf '"%s" "%s"\n"%s" "%s"\n' \
  jointly_app "${JOINTLY_APP_PASSWORD:?}" jointly_owner "${JOINTLY_OWNER_PASSWORD:?}" \
  > /tmp/pgbouncer-userlist.txt
exec /usr/sbin/pgbouncer /etc/pgbouncer/pgbouncer.ini
