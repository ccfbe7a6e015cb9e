"""Create the database named by DATABASE_URL if it does not exist yet."""

import os
import sys

import environ
import psycopg2
from psycopg2 import sql

url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointly")
config = environ.Env.db_url_config(url)
name = config["NAME"]
try:
    connection = psycopg2.connect(
        dbname="postgres", user=config.get("USER") or None, password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None, port=config.get("PORT") or None,
    )
except psycopg2.OperationalError as error:
    sys.exit(f"Cannot reach PostgreSQL for {name}: {error}")
connection.autocommit = True
with connection.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"==> Created database {name}")
connection.close()
