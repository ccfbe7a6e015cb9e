"""Backing up one authority, and restoring it, under its own schema name or
another (docs/operating.md, "Restoring one authority").

A backup is a directory:

- ``schema.sql``: ``pg_dump --schema`` of the authority's schema, taken as the
  owner role, without owners or grants (the restore re-grants);
- ``public.json``: the public rows that describe it, read in the same
  snapshot as the dump: its authority row, every public row that points at
  it (routes, memberships, projections, evidence decisions, partnerships,
  areas), the anchors of its audit chain, and the catalogue evidence its
  schema and decisions refer to;
- ``evidence/``: those evidence files, from local disk or the bucket;
- ``manifest.json``: what it is, and the SHA-256 of every file above.

No key is in it: the bids stay sealed under BID_SEALING_KEY and the chain
under AUDIT_CHAIN_KEY, which are kept apart (docs/operating.md, Keys).

The restore checks every checksum first, then creates the schema from the
dump (renaming it when asked: only the statements are rewritten, never the
rows' data), puts the public rows back (pointing at the authority's new id if
its old one is taken), re-grants the application's role, copies the chain's
anchors under the schema's new name, and puts back any evidence file missing
from the store. Nothing in an authority's schema depends on the schema's name:
the audit chain seals event content and ids only, and bids are sealed under
the authority's sealing identity kept inside the schema (calloffs.sealing).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from psycopg2 import sql

FORMAT = "jointly-authority-backup/1"
AUTHORITY_TABLE = "tenancy_authority"
EVIDENCE_TABLE = "shared_catalogue_evidence"
ANCHORS = "jointly_audit.chain_anchor"
SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with the reason for the operator."""


@dataclass
class RestoreResult:
    authority_id: int
    slug: str
    schema: str
    evidence_restored: list[str] = field(default_factory=list)
    evidence_present: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# --- Connections and tools, as the owner role ---------------------------------------

def _owner_params() -> dict:
    owner = settings.DATABASE_OWNER
    return {"dbname": connection.settings_dict["NAME"], "user": owner.get("USER") or None,
            "password": owner.get("PASSWORD") or None, "host": owner.get("HOST") or None,
            "port": owner.get("PORT") or None}


def _owner_connection():
    try:
        return psycopg2.connect(**_owner_params())
    except psycopg2.OperationalError as error:
        raise BackupError(f"Cannot connect as the owner role (DATABASE_OWNER_URL): {str(error).strip()}")


def _pg_env() -> dict:
    params = _owner_params()
    env = dict(os.environ)
    for key, name in (("dbname", "PGDATABASE"), ("user", "PGUSER"), ("password", "PGPASSWORD"),
                      ("host", "PGHOST"), ("port", "PGPORT")):
        if params[key]:
            env[name] = str(params[key])
    return env


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed here: install PostgreSQL's client tools "
                          "of the server's major version.")
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _foreign_keys(cursor, *, to_table: str, in_schema: str) -> list[tuple[str, str]]:
    """(table, column) of every single-column foreign key in `in_schema` that
    points at public.`to_table`."""
    cursor.execute(
        "SELECT cls.relname, att.attname FROM pg_constraint con "
        "JOIN pg_class cls ON cls.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = cls.relnamespace "
        "JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1] "
        "WHERE con.contype = 'f' AND array_length(con.conkey, 1) = 1 AND ns.nspname = %s "
        "AND con.confrelid = to_regclass(%s) ORDER BY 1, 2",
        [in_schema, f"public.{to_table}"])
    return cursor.fetchall()


# --- Backup -------------------------------------------------------------------------

def authority_backup(*, slug: str, directory: str | Path) -> dict:
    """Back up the authority `slug` into `directory` (new or empty); returns the manifest."""
    from django.core.files.storage import storages

    from tenancy.models import Authority

    authority = Authority.objects.filter(slug=slug).exclude(kind=Authority.Kind.PLATFORM).first()
    if authority is None:
        raise BackupError(f"No authority has the slug '{slug}'.")
    out = Path(directory)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: back up into a new directory.")
    (out / "evidence").mkdir(parents=True, exist_ok=True)
    schema = authority.schema_name

    conn = _owner_connection()
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), now(), current_setting('server_version')")
            snapshot, taken_at, server_version = cursor.fetchone()
            public = _public_rows(cursor, authority_id=authority.pk, schema=schema)
            # The dump sees exactly what the rows above saw.
            _run(["pg_dump", "--schema", schema, "--no-owner", "--no-privileges", "--format", "plain",
                  "--snapshot", snapshot, "--file", str(out / "schema.sql")])
        conn.rollback()
    finally:
        conn.close()

    storage = storages["evidence"]
    for item in public["evidence"]:
        try:
            with storage.open(item["file"], "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            item["missing_from_store"] = True
            continue
        target = out / "evidence" / item["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        item["matches_upload"] = hashlib.sha256(data).hexdigest() == item["sha256"]

    (out / "public.json").write_text(json.dumps(public, indent=1, sort_keys=True, default=str), encoding="utf-8")
    files = {str(path.relative_to(out)): _sha256(path) for path in sorted(out.rglob("*")) if path.is_file()}
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "snapshot_at": taken_at.astimezone(UTC).isoformat(),
        "server_version": server_version,
        "authority": {"id": authority.pk, "slug": authority.slug, "name": authority.name, "schema": schema},
        "files": files,
        "evidence_missing_from_store": [item["file"] for item in public["evidence"]
                                        if item.get("missing_from_store")],
        "keys": "Not included: BID_SEALING_KEY (and its fallbacks) and AUDIT_CHAIN_KEY (and its fallbacks) "
                "are needed to open the sealed bids and verify the audit chain.",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def _public_rows(cursor, *, authority_id: int, schema: str) -> dict:
    cursor.execute(f"SELECT row_to_json(a) FROM public.{AUTHORITY_TABLE} a WHERE id = %s", [authority_id])
    (authority,) = cursor.fetchone()
    rows: dict[str, list[dict]] = {}
    evidence_ids: set[int] = set()
    for table, column in _foreign_keys(cursor, to_table=AUTHORITY_TABLE, in_schema="public"):
        cursor.execute(sql.SQL("SELECT row_to_json(t) FROM public.{} t WHERE {} = %s").format(
            sql.Identifier(table), sql.Identifier(column)), [authority_id])
        found = [row for (row,) in cursor.fetchall()]
        if found:
            rows.setdefault(table, []).extend(row for row in found if row not in rows.get(table, []))
    # The evidence its decisions are about, and the evidence its schema's rows point at.
    for table, column in _foreign_keys(cursor, to_table=EVIDENCE_TABLE, in_schema="public"):
        evidence_ids |= {row[column] for row in rows.get(table, []) if row.get(column)}
    for table, column in _foreign_keys(cursor, to_table=EVIDENCE_TABLE, in_schema=schema):
        cursor.execute(sql.SQL("SELECT DISTINCT {col} FROM {tbl} WHERE {col} IS NOT NULL").format(
            col=sql.Identifier(column), tbl=sql.Identifier(schema, table)))
        evidence_ids |= {value for (value,) in cursor.fetchall()}
    cursor.execute(f"SELECT id, file, storage_key, sha256, size, provider_id FROM public.{EVIDENCE_TABLE} "
                   "WHERE id = ANY(%s) ORDER BY id", [sorted(evidence_ids)])
    evidence = [dict(zip(("id", "file", "storage_key", "sha256", "size", "provider_id"), row, strict=True))
                for row in cursor.fetchall()]
    cursor.execute(f"SELECT events, last_id, last_hash, key_id, source, recorded_at FROM {ANCHORS} "
                   "WHERE chain = %s ORDER BY id", [schema])
    anchors = [dict(zip(("events", "last_id", "last_hash", "key_id", "source", "recorded_at"), row, strict=True))
               for row in cursor.fetchall()]
    return {"authority": authority, "rows": rows, "evidence": evidence, "anchors": anchors}


# --- Restore ------------------------------------------------------------------------

def backup_read(directory: str | Path) -> tuple[dict, dict]:
    """The manifest and public rows of a backup, after checking every file
    against the manifest's checksums."""
    root = Path(directory)
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{root} holds no readable manifest.json: {error}")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{root} is not a Jointly authority backup ({FORMAT}).")
    present = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} - {"manifest.json"}
    if present != set(manifest["files"]):
        extra, missing = sorted(present - set(manifest["files"])), sorted(set(manifest["files"]) - present)
        raise BackupError(f"The backup's files do not match its manifest (missing: {missing}, extra: {extra}).")
    for name, expected in manifest["files"].items():
        if _sha256(root / name) != expected:
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup is damaged.")
    public = json.loads((root / "public.json").read_text(encoding="utf-8"))
    return manifest, public


def rehome_dump(text: str, old: str, new: str) -> str:
    """The dump with its schema renamed: every statement line, never the rows
    that COPY loads (which may contain anything)."""
    if old == new:
        return text
    qualified = re.compile(rf'(?<![\w$"])(?:{re.escape(old)}|"{re.escape(old)}")\.')
    bare = re.compile(rf'^((?:CREATE|ALTER|DROP|COMMENT ON) SCHEMA (?:IF (?:NOT )?EXISTS )?)'
                      rf'(?:{re.escape(old)}|"{re.escape(old)}")(?=[\s;])')
    out, in_copy = [], False
    for line in text.splitlines(keepends=True):
        if in_copy:
            out.append(line)
            if line.rstrip("\r\n") == "\\.":
                in_copy = False
            continue
        line = bare.sub(rf"\1{new}", qualified.sub(f"{new}.", line))
        if line.startswith("COPY ") and line.rstrip().endswith("FROM stdin;"):
            in_copy = True
        out.append(line)
    return "".join(out)


def authority_restore(*, directory: str | Path, schema: str | None = None, slug: str | None = None,
                      name: str | None = None, official_code: str | None = None) -> RestoreResult:
    """Restore a backup made by authority_backup, as a new authority (its old
    slug and schema, or the ones given). Refuses to overwrite anything."""
    from tenancy.models import Authority, Route, slug_validator

    root = Path(directory)
    manifest, public = backup_read(root)
    row = dict(public["authority"])
    old_id, old_schema, old_slug = row["id"], row["schema_name"], row["slug"]
    new_schema, new_slug = schema or old_schema, slug or old_slug
    new_name = name or row["name"]
    new_code = row["official_code"] if official_code is None else official_code
    if not SCHEMA_NAME.match(new_schema) or new_schema in ("public", settings.TENANT_BASE_SCHEMA, "jointly_audit"):
        raise BackupError(f"'{new_schema}' cannot be an authority's schema name: use lower-case letters, digits "
                          "and underscores, starting with a letter.")
    try:
        slug_validator(new_slug)
    except Exception as error:  # ValidationError: its message, for the operator
        raise BackupError(f"'{new_slug}' cannot be a slug: {' '.join(getattr(error, 'messages', [str(error)]))}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [new_schema])
        if cursor.fetchone():
            raise BackupError(f"Schema '{new_schema}' exists already: restore under another --schema, "
                              "or remove the authority first.")
    conflicts = {
        "--slug": Authority.objects.filter(slug=new_slug).exists() or Route.objects.filter(domain=new_slug).exists(),
        "--name": Authority.objects.filter(name=new_name).exists(),
        "--official-code": bool(new_code) and Authority.objects.filter(official_code=new_code).exists(),
    }
    taken = [option for option, clash in conflicts.items() if clash]
    if taken:
        raise BackupError("An authority with the same " + ", ".join(o.lstrip("-") for o in taken) + " exists: "
                          "restore it under another " + ", ".join(taken) + " (or remove it first).")

    result = RestoreResult(authority_id=0, slug=new_slug, schema=new_schema)
    conn = _owner_connection()
    created_id = None
    try:
        # 1. The authority row first: the schema's foreign keys point at it.
        with conn, conn.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM public.{AUTHORITY_TABLE} WHERE id = %s", [old_id])
            if cursor.fetchone():
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [f"public.{AUTHORITY_TABLE}"])
                (row["id"],) = cursor.fetchone()
            row.update(schema_name=new_schema, slug=new_slug, name=new_name, official_code=new_code)
            # Off the routes until its schema and rows are back (step 3).
            _insert(cursor, AUTHORITY_TABLE, {**row, "is_active": False})
            _sequence_catch_up(cursor, AUTHORITY_TABLE)
            created_id = result.authority_id = row["id"]
        # 2. The schema, from the dump, in one transaction.
        dump = (root / "schema.sql").read_text(encoding="utf-8")
        with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8", delete=False) as script:
            script.write(rehome_dump(dump, old_schema, new_schema))
        try:
            _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", script.name])
        finally:
            os.unlink(script.name)
        # 3. Its own id inside the schema, grants, the public rows and the anchors, in one transaction.
        with conn, conn.cursor() as cursor:
            if row["id"] != old_id:
                for table, column in _foreign_keys(cursor, to_table=AUTHORITY_TABLE, in_schema=new_schema):
                    cursor.execute(sql.SQL("UPDATE {} SET {col} = %s WHERE {col} = %s").format(
                        sql.Identifier(new_schema, table), col=sql.Identifier(column)), [row["id"], old_id])
            cursor.execute("SELECT public.jointly_grant_app(%s)", [new_schema])
            result.skipped += _public_rows_restore(cursor, public["rows"], old_id=old_id, new_id=row["id"],
                                                   old_slug=old_slug, new_slug=new_slug)
            _anchors_restore(cursor, public["anchors"], chain=new_schema)
            cursor.execute(f"UPDATE public.{AUTHORITY_TABLE} SET is_active = %s WHERE id = %s",
                           [row["is_active"], row["id"]])
    except Exception:
        if created_id is not None:
            _undo(conn, schema=new_schema, authority_id=created_id)
        raise
    finally:
        conn.close()

    _evidence_restore(root, public["evidence"], result)
    from audit.services import audit_record
    from tenancy.routing import forget_routes

    forget_routes(new_slug)
    authority = Authority.objects.get(pk=result.authority_id)
    audit_record(actor=None, action="authority.restored", obj=authority, schema="public",
                 context={"schema": new_schema, "from_schema": old_schema, "from_slug": old_slug,
                          "backup_taken_at": manifest["snapshot_at"]})
    return result


def _insert(cursor, table: str, row: dict) -> None:
    columns = list(row)
    cursor.execute(sql.SQL("INSERT INTO public.{tbl} ({cols}) SELECT {cols} FROM "
                           "json_populate_record(NULL::public.{tbl}, %s::json)").format(
        tbl=sql.Identifier(table), cols=sql.SQL(", ").join(map(sql.Identifier, columns))), [json.dumps(row)])


def _sequence_catch_up(cursor, table: str) -> None:
    """After rows with their own ids: the id sequence past them (a fresh database)."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f"public.{table}"])
    (sequence,) = cursor.fetchone()
    if sequence:
        cursor.execute(sql.SQL("SELECT setval(%s, GREATEST((SELECT COALESCE(max(id), 1) FROM public.{}), "
                               "(SELECT last_value FROM {})))").format(
            sql.Identifier(table), sql.SQL(sequence)), [sequence])


def _public_rows_restore(cursor, rows: dict, *, old_id: int, new_id: int, old_slug: str,
                         new_slug: str) -> list[str]:
    """Put back each public row that pointed at the authority, pointing at it
    again. A row whose other references are gone (a person removed since, a
    partner authority) is skipped and named; a row that is there already is
    left as it is."""
    skipped = []
    authority_columns: dict[str, set[str]] = {}
    for table, column in _foreign_keys(cursor, to_table=AUTHORITY_TABLE, in_schema="public"):
        authority_columns.setdefault(table, set()).add(column)
    for table, table_rows in rows.items():
        if table not in authority_columns:
            skipped.append(f"{table}: {len(table_rows)} row(s), a table this database no longer has")
            continue
        for original in table_rows:
            row = dict(original)
            for column in authority_columns[table]:
                if row.get(column) == old_id:
                    row[column] = new_id
            if table == "tenancy_route" and row.get("domain") == old_slug:
                row["domain"] = new_slug
            if "id" in row:
                cursor.execute(sql.SQL("SELECT 1 FROM public.{} WHERE id = %s").format(sql.Identifier(table)),
                               [row["id"]])
                if cursor.fetchone():
                    row.pop("id")
            cursor.execute("SAVEPOINT restore_row")
            try:
                _insert(cursor, table, row)
                cursor.execute("RELEASE SAVEPOINT restore_row")
            except psycopg2.IntegrityError as error:
                cursor.execute("ROLLBACK TO SAVEPOINT restore_row")
                if error.pgcode != "23505":  # there already (a unique key): nothing to say
                    skipped.append(f"{table} {original.get('id', '')}: {error.pgerror.splitlines()[0]}")
        if any("id" in row for row in table_rows):
            _sequence_catch_up(cursor, table)
    return skipped


def _anchors_restore(cursor, anchors: list[dict], *, chain: str) -> None:
    """The chain's anchors from the backup, under the chain's (new) name,
    unless that chain holds the same head already. Stamped by the database
    with the time of the restore; the source says where they came from."""
    cursor.execute(f"SELECT events, last_id, last_hash FROM {ANCHORS} WHERE chain = %s", [chain])
    held = set(cursor.fetchall())
    for anchor in anchors:
        if (anchor["events"], anchor["last_id"], anchor["last_hash"]) in held:
            continue
        cursor.execute(f"INSERT INTO {ANCHORS} (chain, events, last_id, last_hash, key_id, source) "
                       "VALUES (%s, %s, %s, %s, %s, %s)",
                       [chain, anchor["events"], anchor["last_id"], anchor["last_hash"], anchor["key_id"],
                        "restored from backup"])
        held.add((anchor["events"], anchor["last_id"], anchor["last_hash"]))


def _evidence_restore(root: Path, evidence: list[dict], result: RestoreResult) -> None:
    """Put back each evidence file the store has lost, under its own name,
    if the catalogue still describes it with the same checksum."""
    from django.core.files.storage import storages

    from shared_catalogue.models import Evidence

    storage = storages["evidence"]
    known = {item.pk: item for item in Evidence.objects.filter(pk__in=[entry["id"] for entry in evidence])}
    for entry in evidence:
        item, name = known.get(entry["id"]), entry["file"]
        if item is None or item.file.name != name or item.sha256 != entry["sha256"]:
            result.skipped.append(f"evidence {name}: no longer in the catalogue as it was")
            continue
        if storage.exists(name):
            result.evidence_present.append(name)
            continue
        source = root / "evidence" / name
        if not source.is_file():
            result.skipped.append(f"evidence {name}: missing from the store when the backup was taken")
            continue
        saved = storage.save(name, ContentFile(source.read_bytes()))
        if saved != name:
            raise BackupError(f"Evidence {name} was stored as {saved}: the store did not keep its name.")
        result.evidence_restored.append(name)


def _undo(conn, *, schema: str, authority_id: int) -> None:
    """A failed restore leaves nothing behind: its schema, its public rows, its authority."""
    conn.rollback()
    with conn, conn.cursor() as cursor:
        cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        for table, column in _foreign_keys(cursor, to_table=AUTHORITY_TABLE, in_schema="public"):
            cursor.execute(sql.SQL("DELETE FROM public.{} WHERE {} = %s").format(
                sql.Identifier(table), sql.Identifier(column)), [authority_id])
        cursor.execute(f"DELETE FROM public.{AUTHORITY_TABLE} WHERE id = %s", [authority_id])
