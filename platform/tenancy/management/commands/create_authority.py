import contextlib

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Authority, Region
from tenancy.roles import as_owner
from tenancy.services import authority_create


class Command(BaseCommand):
    help = "Create an authority (council, NHS body or partnership) with its own schema."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Path segment, e.g. cheshire-east (served at /a/cheshire-east/).")
        parser.add_argument("name", help='Full name, e.g. "Cheshire East Council".')
        parser.add_argument("--kind", choices=[k for k, _ in Authority.Kind.choices if k != "platform"],
                            default="council")
        parser.add_argument("--code", default="", help="ONS GSS code (council) or ODS code (NHS body).")
        parser.add_argument("--region", help="ONS code of the region, e.g. E12000002.")
        parser.add_argument("--members", nargs="*", default=[],
                            help="Slugs of member authorities (partnerships only).")
        parser.add_argument("--by-migrating", action="store_true",
                            help="Replay every migration instead of cloning the template (slower).")

    def handle(self, *args, **o):
        region = None
        if o["region"]:
            region = Region.objects.filter(ons_code=o["region"]).first()
            if region is None:
                raise CommandError(f"No region has ONS code {o['region']}.")
        members = list(Authority.objects.filter(slug__in=o["members"]))
        missing = set(o["members"]) - {m.slug for m in members}
        if missing:
            raise CommandError(f"No authority has slug {', '.join(sorted(missing))}.")
        # Replaying migrations is DDL: the owner's connection (DATABASE_OWNER_URL).
        role = as_owner() if o["by_migrating"] else contextlib.nullcontext()
        try:
            with role:
                authority = authority_create(
                    actor=None, kind=o["kind"], name=o["name"], slug=o["slug"], official_code=o["code"],
                    region=region, members=members, by_migrating=o["by_migrating"],
                    reason="Created with manage.py create_authority",
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(
            f"Created {authority.name} (schema {authority.schema_name}), served at /a/{authority.slug}/"
        ))
