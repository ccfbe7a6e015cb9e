#!/bin/sh
# Run once by the postgres image on an empty data directory: the two roles and
# the database, as a DBA does in production (docs/operating.md, Database
# roles). `migrate_all` (the migrate service) then makes the schemas and grants.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$JOINTLY_OWNER_PASSWORD" -v app_password="$JOINTLY_APP_PASSWORD" <<'SQL'
CREATE ROLE jointly_owner LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEROLE;
CREATE ROLE jointly_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE DATABASE jointly OWNER jointly_owner;
SQL
