"""Creating and changing authorities. Every write here runs in the public
schema, in one transaction, and leaves an audit event."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from audit.services import audit_record, changes
from common.errors import Invalid
from tenancy.models import Authority, Region, Route
from tenancy.roles import connected_as_owner, roles_separated
from tenancy.routing import forget_routes

AUDITED_FIELDS = ("kind", "name", "slug", "official_code", "region_id", "is_active", "schema_name")


class AuthorityError(Invalid):
    """An authority could not be created or changed as asked."""


def _require_operator(actor) -> None:
    if actor is not None and not getattr(actor, "is_platform_operator", False):
        raise AuthorityError("Only a platform operator can create or change authorities.")


def schema_name_for(slug: str) -> str:
    return slug.replace("-", "_")


def template_schema_ensure(*, verbosity: int = 0) -> None:
    """Create the template schema if missing and bring it up to date.

    New authorities are cloned from it; run after every deploy's migrations
    (`manage.py migrate_all` does).
    """
    template = settings.TENANT_BASE_SCHEMA
    with schema_context(get_public_schema_name()):
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{template}"')
        call_command("migrate_schemas", schema_name=template, tenant=True,
                     interactive=False, verbosity=verbosity)


def platform_ensure() -> Authority:
    """The public tenant: the regional site itself."""
    with schema_context(get_public_schema_name()):
        platform, created = Authority.objects.get_or_create(
            schema_name=get_public_schema_name(),
            defaults={"kind": Authority.Kind.PLATFORM, "name": "Jointly regional site", "slug": "regional"},
        )
        if created:
            audit_record(actor=None, action="authority.created", obj=platform,
                         after=changes(platform, AUDITED_FIELDS))
        forget_routes()
        return platform


def authority_create(
    *,
    actor,
    kind: str,
    name: str,
    slug: str,
    official_code: str = "",
    region: Region | None = None,
    members: list[Authority] | tuple = (),
    by_migrating: bool = False,
    reason: str = "",
) -> Authority:
    """Create an authority with its own schema, cloned from the template.

    `by_migrating` replays every migration instead (slower; kept for the
    benchmark and for a database without a template schema).
    """
    _require_operator(actor)
    authority = Authority(
        kind=kind, name=name.strip(), slug=slug, official_code=official_code.strip().upper(),
        region=region, schema_name=schema_name_for(slug),
    )
    authority.full_clean()
    if authority.schema_name in {get_public_schema_name(), settings.TENANT_BASE_SCHEMA}:
        raise AuthorityError({"slug": "That name is reserved; choose another."})
    members = list(members)
    if members and kind != Authority.Kind.PARTNERSHIP:
        raise AuthorityError({"members": "Only a partnership has member authorities."})
    if kind == Authority.Kind.PARTNERSHIP and len(members) < 2:
        raise AuthorityError({"members": "A partnership needs at least two member authorities."})
    if any(m.kind in (Authority.Kind.PARTNERSHIP, Authority.Kind.PLATFORM) for m in members):
        raise AuthorityError({"members": "A partnership's members are councils and NHS bodies."})

    with schema_context(get_public_schema_name()), transaction.atomic():
        if not by_migrating and not schema_exists(settings.TENANT_BASE_SCHEMA):
            by_migrating = True
        if by_migrating and roles_separated() and not connected_as_owner():
            raise AuthorityError(
                "Building an authority by replaying migrations needs the owner's database role: "
                "use manage.py create_authority --by-migrating, or run manage.py migrate_all first "
                "so that the template schema can be cloned.")
        authority._provision_by_migrating = by_migrating
        authority.save(verbosity=0)
        Route.objects.create(domain=slug, tenant=authority, is_primary=True)
        if members:
            authority.members.set(members)
        after = changes(authority, AUDITED_FIELDS) | {"members": [m.slug for m in members]}
        audit_record(actor=actor, action="authority.created", obj=authority, reason=reason,
                     after=after, context={"provisioned_by": "migrating" if by_migrating else "cloning"})
        audit_record(actor=actor, action="authority.provisioned", obj=authority, reason=reason,
                     after=after, schema=authority.schema_name)
        transaction.on_commit(lambda: forget_routes(slug))
    return authority


def authority_update(*, actor, authority: Authority, reason: str = "", **fields) -> Authority:
    """Change an authority's name, code, region, members or active state."""
    _require_operator(actor)
    allowed = {"name", "official_code", "region", "is_active", "members"}
    unknown = set(fields) - allowed
    if unknown:
        raise AuthorityError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    with schema_context(get_public_schema_name()), transaction.atomic():
        authority = Authority.objects.select_for_update().get(pk=authority.pk)
        before = changes(authority, AUDITED_FIELDS) | {
            "members": sorted(authority.members.values_list("slug", flat=True))
        }
        members = fields.pop("members", None)
        for name, value in fields.items():
            setattr(authority, name, value)
        authority.full_clean()
        authority.save()
        if members is not None:
            if not authority.is_partnership:
                raise AuthorityError({"members": "Only a partnership has member authorities."})
            authority.members.set(members)
        after = changes(authority, AUDITED_FIELDS) | {
            "members": sorted(authority.members.values_list("slug", flat=True))
        }
        audit_record(actor=actor, action="authority.updated", obj=authority, reason=reason,
                     before=before, after=after)
        slugs = list(authority.domains.values_list("domain", flat=True))
        transaction.on_commit(lambda: forget_routes(*slugs))
    return authority
