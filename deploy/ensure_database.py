"""Create the two database roles and the database, idempotently.

- DATABASE_URL names the application's role (default jointly_app) and the
  database (default jointly);
- DATABASE_OWNER_URL names the owner role (default jointly_owner, same
  server and database), which owns the database and everything in it;
- DATABASE_ADMIN_URL is a superuser used only here (default postgres on the
  same server).

A database made before the roles were separated is handed over to the owner.
`--roles-only` only makes sure the roles exist (what the test set-up needs).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "platform"))

import environ  # noqa: E402
import psycopg2  # noqa: E402

from tenancy import dbsetup  # noqa: E402

environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)
app_url = os.environ.get("DATABASE_URL", dbsetup.DEFAULT_DATABASE_URL)
owner_url = os.environ.get("DATABASE_OWNER_URL") or dbsetup.owner_url_for(app_url)
try:
    dbsetup.ensure_all(app_url, owner_url, database="--roles-only" not in sys.argv[1:])
except psycopg2.Error as error:
    sys.exit(f"Cannot set up the database roles and database: {error}")
